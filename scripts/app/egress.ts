import path from 'node:path';
import { EnvironmentError, UsageError } from '../core/errors.js';
import { formatPolicyChange } from '../core/egress/egress-changes.js';
import { formatSchemaLines, toSchemaLines } from '../core/egress/egress-schema.js';
import { AGENTS } from '../core/agents/agents.js';
import { formatEgressSummary, type BackgroundHosts, type EgressDestination } from '../core/egress/egress-summary.js';
import { describeBackgroundNote, describeOutcome, describeTarget } from '../core/egress/egress-text.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import { egressStoreDir, listEgressRecords, readEgressRecord } from '../host/egress/egress-store.js';
import type { HostContext } from '../host/host-context.js';
import { resolveWorkdir } from '../host/workdir.js';
import { resolveHomeDir } from './run-places.js';

export interface EgressReportOptions {
  run?: string;
  last: boolean;
  json: boolean;
  /** Requests inside inspected traffic (R166) instead of connections; without it, only refused requests are listed. */
  requests?: boolean;
  /** Only allowed connections, or only refusals. */
  only?: 'allowed' | 'refused';
  workDir?: string;
  codexHome?: string;
}

function formatLine(d: EgressDestination, background: BackgroundHosts): string {
  const when =
    d.time === undefined ? '' : `  first ${d.time}${d.lastTime !== undefined && d.lastTime !== d.time ? `  last ${d.lastTime}` : ''}`;
  const columns = `${d.verdict.padEnd(7)}  ${String(d.count).padStart(6)}×  ${d.kind.padEnd(7)}`;
  return `${columns}  ${describeTarget(d)}${describeBackgroundNote(d, background)} — ${describeOutcome(d)}${when}`;
}

/** `run-in-container egress [RUN|--last] [--allowed|--blocked] [--json]`: what a run of this workdir reached and was refused (R94). */
export async function egressCommand(options: EgressReportOptions, ctx: HostContext): Promise<number> {
  if (options.run !== undefined && options.last) throw new UsageError('give either RUN or --last, not both');
  if (options.run !== undefined && !/^[0-9a-f]{1,8}$/.test(options.run)) {
    throw new UsageError(
      `${JSON.stringify(options.run)} is not a run id: give the 8 hex digits (or a prefix) printed in the container name, or --last`,
    );
  }
  const workdir = (await resolveWorkdir(options.workDir, ctx)).path;
  // Resolved as a run resolves it (R101): a link the agent planted in the workdir is refused, never followed.
  const envDir = await resolveHomeDir(
    options.codexHome ?? path.join(workdir, '.codex', '.environment'),
    ctx.cwd,
    options.codexHome === undefined ? 'the Codex home' : '--codex-home',
    [workdir],
  );
  // R146: only the launcher's own records are read; copies in the Codex home are the agent's to forge.
  const store = egressStoreDir(ctx, envDir);
  const runs = await listEgressRecords(store);
  const where = escapeTerminalText(envDir);
  if (runs.length === 0) throw new EnvironmentError(`no egress record for ${where} yet: one is kept when a run or session command ends`);
  const matches = options.run === undefined ? runs.slice(0, 1) : runs.filter((run) => run.runId.startsWith(options.run ?? ''));
  if (matches.length === 0)
    throw new UsageError(
      `no run ${options.run} for ${where}: known runs: ${runs
        .slice(0, 10)
        .map((r) => r.runId)
        .join(' ')}`,
    );
  if (matches.length > 1)
    throw new UsageError(`run id prefix ${options.run} is ambiguous (${matches.map((r) => r.runId).join(' ')}): give more digits`);
  const chosen = matches[0]!;
  const { destinations, dropped, changes, agent, badLines } = await readEgressRecord(chosen.file);
  if (badLines > 0) process.stderr.write(`warning: ${escapeTerminalText(chosen.file)}: ${badLines} malformed line(s) skipped\n`);
  // Connections by default, with the requests the inspection refused; every request with --requests.
  const chosenKind = destinations.filter((d) =>
    options.requests === true ? d.kind === 'request' : d.kind !== 'request' || d.verdict === 'refused',
  );
  const shown = options.only === undefined ? chosenKind : chosenKind.filter((d) => d.verdict === options.only);
  if (options.json) {
    // Schema v1 (R170, docs/egress-record.md): one line per destination, per policy change, and the dropped count.
    process.stdout.write(formatSchemaLines(toSchemaLines({ destinations: shown, dropped, ...(changes ? { changes } : {}) }, chosen.runId)));
    return 0;
  }
  const allowed = chosenKind.filter((d) => d.verdict === 'allowed').length;
  const leftOut = dropped > 0 ? `, ${dropped} events not recorded (flood limits of the sandbox's log)` : '';
  const counts = `${allowed} allowed, ${chosenKind.length - allowed} refused${leftOut}`;
  process.stdout.write(`run ${chosen.runId} (${escapeTerminalText(chosen.file)}): ${counts}\n`);
  // The run's agent's background hosts (a record from before R199 names none: nothing is marked).
  const background = agent === undefined ? {} : (AGENTS[agent].backgroundHosts ?? {});
  if (shown.length > 0) process.stdout.write(`${shown.map((d) => escapeTerminalText(formatLine(d, background))).join('\n')}\n`);
  for (const change of changes ?? []) process.stdout.write(`${escapeTerminalText(formatPolicyChange(change))}\n`);
  // The same line as at the run's end: names allowed live are marked, not suggested (R167).
  const summary =
    options.only === 'allowed' ? undefined : formatEgressSummary({ destinations, dropped: 0, ...(changes ? { changes } : {}) }, background);
  if (summary !== undefined) process.stdout.write(`${summary}\n`);
  return 0;
}
