import { AGENTS, type AgentId } from '../core/agents/agents.js';
import {
  decideDestination,
  decisionRecord,
  formatDecision,
  parseCheckTarget,
  type EgressDecision,
} from '../core/egress/egress-decision.js';
import { DEFAULT_LAYER } from '../core/egress/egress-policy.js';
import { hasSettings, SETTINGS_FILE_KEYS } from '../core/settings.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import { trustStateOf } from '../core/trust.js';
import type { HostContext } from '../host/host-context.js';
import { resolveProjectPaths } from '../host/settings-file.js';
import { readTrustStore } from '../host/trust-store.js';
import { prepareHomesAndEgress } from './prepare-run.js';
import { prepareSettings, type PreparedSettings } from './prepare-settings.js';
import type { EgressFlags, RunOptions } from './run-options.js';
import { resolveRunPlaces, type RunPlaces } from './run-places.js';
import { trustHint } from './trust-check.js';

/**
 * `egress check HOST[:PORT]` (R169): would a run of this project let the destination through,
 * by which entry and from which source, or why not. The policy is made by the run's own steps
 * (places, settings, homes and egress: app/prepare-run.ts), with the flags given here; nothing
 * is started, asked or written.
 */

export interface EgressCheckOptions {
  host: string;
  workDir?: string;
  agent?: AgentId;
  json: boolean;
  codexHome?: string;
  egress: EgressFlags;
}

/** The run options a run with these flags would have (a plain run, nothing else given). */
function toRunOptions(options: EgressCheckOptions): RunOptions {
  return {
    ...(options.agent === undefined ? {} : { agent: options.agent }),
    ...(options.workDir === undefined ? {} : { workDir: options.workDir }),
    ...(options.codexHome === undefined ? {} : { codexHome: options.codexHome }),
    readOnly: [],
    yes: false,
    dns: [],
    dryRun: true,
    passThrough: [],
    egress: options.egress,
  };
}

/**
 * The settings a run would apply: a project file that sets anything applies only when trusted
 * (R75); a run would ask (or refuse), the check says so on stderr and checks without it.
 */
export async function settingsAsRun(runOptions: RunOptions, ctx: HostContext, places: RunPlaces): Promise<PreparedSettings> {
  const settings = await prepareSettings(runOptions, ctx, places.workdir);
  const file = settings.projectFile;
  if (file === undefined || !hasSettings(file.layer)) return settings;
  const resolved = await resolveProjectPaths(file, ctx.home, ctx.cwd, places.trees);
  if (trustStateOf(await readTrustStore(ctx), file.path, file.sha256, resolved) === 'trusted') return settings;
  process.stderr.write(
    `warning: ${escapeTerminalText(file.path)} is not trusted (a run asks first): checked without it; ` +
      `to apply it run \`${escapeTerminalText(trustHint(places.workdir, ctx))}\`\n`,
  );
  return prepareSettings(runOptions, ctx, places.workdir, { withoutProject: true });
}

/** Sources as the user recognises them: a settings file's key, the agent's built-in hosts. */
function labelSource(decision: EgressDecision, settings: PreparedSettings): EgressDecision {
  if (!('source' in decision)) return decision;
  const files = new Set(settings.egressLayers.map((layer) => layer.source));
  const key = decision.pattern.startsWith('host.docker.internal:')
    ? SETTINGS_FILE_KEYS.allowHostPorts
    : decision.allowed
      ? SETTINGS_FILE_KEYS.allow
      : SETTINGS_FILE_KEYS.deny;
  if (files.has(decision.source)) return { ...decision, source: `${decision.source} ${key}` };
  if (decision.source === DEFAULT_LAYER.source) return { ...decision, source: `${DEFAULT_LAYER.source} (${AGENTS[settings.agent].title})` };
  return decision;
}

/** Prints the verdict (one line, or one JSON object with --json); 0 allowed, 1 refused (R169). */
export async function egressCheckCommand(options: EgressCheckOptions, ctx: HostContext): Promise<number> {
  // A malformed HOST fails before anything is read.
  const target = parseCheckTarget(options.host);
  const runOptions = toRunOptions(options);
  const places = await resolveRunPlaces(runOptions, ctx);
  const settings = await settingsAsRun(runOptions, ctx, places);
  const { egress } = await prepareHomesAndEgress(runOptions, ctx, places, settings);
  const decision = labelSource(decideDestination(egress.policy, egress.provenance, target.host, target.port), settings);
  const line = options.json ? JSON.stringify(decisionRecord(target, decision)) : escapeTerminalText(formatDecision(target, decision));
  process.stdout.write(`${line}\n`);
  return decision.allowed ? 0 : 1;
}
