import { DEFAULT_ASK_SECONDS } from '../core/egress/live-policy.js';
import { randomBytes } from 'node:crypto';
import { coversName } from '../core/egress/egress-policy.js';
import { checkRulesInspected, describeNoInspect } from '../core/egress/http-rule.js';
import { assembleRunPlan, type ResolvedRun } from '../core/run/assemble-run-plan.js';
import type { HomeAction } from '../core/agents/agent-home-plan.js';
import { HOST_GATEWAY_REFUSAL } from '../core/engine/engine.js';
import { UsageError } from '../core/errors.js';
import { validateDnsServer, validateNetworkName } from '../core/egress/network-options.js';
import { isSameOrInside } from '../core/run/path-rules.js';
import type { EgressPolicy } from '../core/egress/egress-policy.js';
import { validateRepoSpec } from '../core/run/repo-spec.js';
import { resolveRunMode } from '../core/run/run-mode.js';
import { attachMountIds, type RunPlan } from '../core/run/run-plan.js';
import { currentEngine, prefetchImageInspect } from '../host/engine/docker.js';
import type { HostContext } from '../host/host-context.js';
import { resolveEgressLogFile } from '../host/egress/egress-append.js';
import { egressRawDir } from '../host/egress/egress-log.js';
import { resolveInputPath } from '../host/tree/input-path.js';
import { resolveProtectedGit } from '../host/track/protect-git.js';
import { resolveProjectPaths, type SettingsFile } from '../host/settings-file.js';
import { hashWorkdir } from '../host/workdir.js';
import { prepareEgress, type PreparedEgress } from './prepare-egress.js';
import { prepareHomes, type PreparedHomes } from './prepare-homes.js';
import { prepareSecrets, type PreparedSecrets } from './prepare-secrets.js';
import { prepareSettings, type PreparedSettings } from './prepare-settings.js';
import type { RunOptions } from './run-options.js';
import { resolveRunPlaces, type RunPlaces } from './run-places.js';

export interface PreparedRun {
  plan: RunPlan;
  resolved: ResolvedRun;
  /** Host changes still to make (nothing has been touched yet). */
  actions: HomeAction[];
  /** The bytes each copy writes, read (and checked) while planning. */
  contents: Map<string, Buffer>;
  /** Values of variables the plan passes by name that the launcher supplies (never printed, R125). */
  secretEnv: Record<string, string>;
  /** Every tree the agent can write: workdirs, Codex home, sessions directory (R101). */
  trees: string[];
  /** Reasons this run needs consent (writable mounts outside the workdir). */
  exposures: string[];
  warnings: string[];
  /** "allowing …" lines for stderr: every allowance beyond the defaults (no credentials). */
  egressNotes: string[];
  /** The run's credentials and their placeholders (R161-R164); absent: none. Never printed. */
  secrets?: PreparedSecrets;
  /** `.codex/sandbox.ini` of the workdir and what its paths resolve to: must be trusted before the run (app/trust-check.ts). */
  projectSettings?: { file: SettingsFile; resolved: string[] };
  /** `[build] base_image` of the settings files: the base of an automatic build (R191). */
  baseImage?: string;
  /** `--proxy` and `--ca-cert` as given: an automatic build goes through them, read only when it happens (R191). */
  buildEgress: { proxy?: string; caCerts: readonly string[] };
}

/**
 * All reads and validation for a run, step by step; returns plain values and changes
 * nothing on the host (R21): the places (workdirs, Codex home, sessions), the settings files,
 * the read-only mounts, the Codex home's inputs, the egress policy, clone and protected .git.
 */
export async function prepareRun(
  options: RunOptions,
  ctx: HostContext,
  command: ResolvedRun['command'],
  launcherVersion: string,
): Promise<PreparedRun> {
  // Flag checks that need no reads come first, so a typo fails before anything is read.
  const network = options.network === undefined ? undefined : validateNetworkName(options.network);
  const dns = options.dns.map(validateDnsServer);
  const places = await resolveRunPlaces(options, ctx);
  const { workdir, trees } = places;
  // R171: checked before anything else is read; nothing is created until the record is made.
  const egressLog = options.egressLog === undefined ? undefined : await resolveEgressLogFile(options.egressLog, ctx.cwd, trees);
  const settings = await prepareSettings(options, ctx, workdir);
  // The image's labels are read while the rest is planned; a dry run never asks the engine.
  if (!options.dryRun) prefetchImageInspect(settings.image);
  const readOnly = await resolveReadOnly(settings.readOnly, ctx, workdir, trees);
  const readOnlyWorkdir = readOnly.find((entry) => places.extraWorkdirs.includes(entry));
  if (readOnlyWorkdir !== undefined) throw new UsageError(`--read-only ${readOnlyWorkdir} is also a workdir: list it once`);
  const { homes, egress } = await prepareHomesAndEgress(options, ctx, places, settings);
  const extras = await resolveRepoAndGit(options, places, egress.policy);
  const secrets = await collectSecrets(options, ctx, places, settings, homes, egress);
  const resolved = composeResolvedRun({
    options,
    ctx,
    command,
    launcherVersion,
    network,
    dns,
    places,
    settings,
    readOnly,
    agent: homes.agent,
    egress,
    extras,
    secrets,
    egressLog,
  });
  const plan = assembleRunPlan(resolved);
  refuseWhatTheEngineLacks(plan);
  return {
    plan,
    resolved,
    actions: homes.actions,
    contents: homes.contents,
    secretEnv: homes.secretEnv,
    trees,
    exposures: places.exposures,
    warnings: [...homes.warnings, ...egress.warnings, ...extras.warnings, ...(secrets?.warnings ?? [])],
    ...(secrets === undefined ? {} : { secrets }),
    egressNotes: [...egress.messages, ...describeNoInspect(settings.noInspect)],
    ...(settings.baseImage === undefined ? {} : { baseImage: settings.baseImage }),
    buildEgress: { ...(options.egress.proxy === undefined ? {} : { proxy: options.egress.proxy }), caCerts: options.egress.caCerts },
    ...(settings.projectFile === undefined
      ? {}
      : {
          projectSettings: {
            file: settings.projectFile,
            resolved: await resolveProjectPaths(settings.projectFile, ctx.home, ctx.cwd, trees),
          },
        }),
  };
}

/**
 * The prepared run with `resolved` changed (exec's headless argv, a parallel session's name):
 * its plan assembled again, the mount identities already pinned kept (R103).
 */
export function replanRun(prepared: PreparedRun, resolved: ResolvedRun): PreparedRun {
  return { ...prepared, resolved, plan: attachMountIds(assembleRunPlan(resolved), prepared.plan.mountIds) };
}

/**
 * The run's homes and its egress policy, from its places and settings: a run and `egress check`
 * (R169) take this one step, so the check cannot disagree with the policy the run is given.
 */
export async function prepareHomesAndEgress(
  options: RunOptions,
  ctx: HostContext,
  places: RunPlaces,
  settings: PreparedSettings,
): Promise<{ homes: PreparedHomes; egress: PreparedEgress }> {
  const homes = await prepareHomes(settings.agent, options, places, settings.initScript, ctx);
  // Model-provider hosts come from the agent's `configFlag` file (R83): none for an agent without one.
  // `[network] ask` holds names for interactive runs only: `exec` waits only with its own --ask (R172).
  const ask = options.egress.ask ?? (settings.ask && options.headless !== true ? DEFAULT_ASK_SECONDS : undefined);
  const egressFlags = {
    ...options.egress,
    ...(ask === undefined ? {} : { ask }),
  };
  const egress = await prepareEgress(egressFlags, ctx, homes.home.facts, places.trees, settings.egressLayers, homes.defaults);
  checkRulesInspected(egress.policy.rules, settings.noInspect, coversName);
  return { homes, egress };
}

interface RunParts {
  options: RunOptions;
  ctx: HostContext;
  command: ResolvedRun['command'];
  launcherVersion: string;
  network: string | undefined;
  dns: string[];
  places: RunPlaces;
  settings: PreparedSettings;
  readOnly: string[];
  agent: ResolvedRun['agent'];
  egress: PreparedEgress;
  extras: Awaited<ReturnType<typeof resolveRepoAndGit>>;
  secrets: PreparedSecrets | undefined;
  egressLog: string | undefined;
}

/** The agent's keys and login file and `--secret` (R161-R164): what the proxy injects, and where. */
async function collectSecrets(
  options: RunOptions,
  ctx: HostContext,
  places: RunPlaces,
  settings: PreparedSettings,
  homes: PreparedHomes,
  egress: PreparedEgress,
): Promise<PreparedSecrets | undefined> {
  const loginFile = homes.agent.credentialFile;
  return prepareSecrets({
    agent: homes.agent.id,
    ctx,
    trees: places.trees,
    ...(options.secrets === undefined ? {} : { flags: options.secrets }),
    ...(loginFile === undefined ? {} : { loginFile }),
    passEnv: homes.agent.passEnv,
    secretEnv: homes.secretEnv,
    providerHosts: egress.providerHosts,
    allowed: [...egress.policy.domains, ...egress.policy.ports.map((entry) => entry.host)],
    noInspect: settings.noInspect,
  });
}

/** Everything the plan needs, from the steps' results; a new run id names this run (R17). */
function composeResolvedRun(parts: RunParts): ResolvedRun {
  const { options, ctx, places, egress, extras } = parts;
  const runId = randomBytes(4).toString('hex');
  const { workdir, envDir, sessionsDir } = places;
  return {
    command: parts.command,
    workdir,
    envDir,
    sessionsDir,
    agent: parts.agent,
    readOnly: parts.readOnly,
    allowlist: egress.policy.domains,
    egress: egress.policy,
    caFiles: egress.caFiles,
    image: parts.settings.image,
    network: parts.network,
    dns: parts.dns,
    uid: ctx.uid,
    gid: ctx.gid,
    // tty, session, --track, headless: the flows take them from the plan (core/run/run-mode.ts).
    ...resolveRunMode(options, ctx),
    runId,
    workdirHash: hashWorkdir(workdir),
    launcherPid: ctx.pid,
    launcherHost: ctx.hostname,
    launcherVersion: parts.launcherVersion,
    args: options.passThrough,
    egressLogDir: egressRawDir(ctx, runId),
    ...(parts.egressLog === undefined ? {} : { egressAppendFile: parts.egressLog }),
    ...extras.resolved,
    ...(places.extraWorkdirs.length === 0 ? {} : { extraWorkdirs: places.extraWorkdirs }),
    ...(parts.settings.noInspect.length === 0 ? {} : { noInspect: parts.settings.noInspect }),
    ...(parts.secrets === undefined
      ? {}
      : { secrets: { dir: parts.secrets.dir, loginCopy: parts.secrets.loginCopy !== undefined, names: parts.secrets.names } }),
  };
}

/** `--repo` (R53) and `--protect-git` (R55, R105): both absent unless their flags are used. */
async function resolveRepoAndGit(
  options: RunOptions,
  places: RunPlaces,
  policy: EgressPolicy,
): Promise<{ resolved: Pick<ResolvedRun, 'repo' | 'protectedGit' | 'pinnedDirs'>; warnings: string[] }> {
  const repo =
    options.repo === undefined
      ? undefined
      : validateRepoSpec({ url: options.repo, ref: options.repoRef, dir: options.repoDir }, policy.domains, policy.denied);
  const protectedGit = options.protectGit === true ? await resolveProtectedGit([places.workdir, ...places.extraWorkdirs]) : undefined;
  // A writable mount inside a protected repository would undo the protection (R105).
  for (const [what, dir] of [
    ['--codex-home', places.envDir],
    ['--sessions-path', places.sessionsDir],
  ] as const) {
    const inside = protectedGit?.paths.find((entry) => isSameOrInside(entry, dir));
    if (inside !== undefined)
      throw new UsageError(`--protect-git: ${what} ${dir} lies in ${inside}, which is protected read-only: choose another directory`);
  }
  return {
    resolved: {
      ...(repo === undefined ? {} : { repo: { url: repo.url, ...(repo.ref === undefined ? {} : { ref: repo.ref }), dir: repo.dir } }),
      ...(protectedGit === undefined
        ? {}
        : { protectedGit: protectedGit.paths, ...(protectedGit.pinned.length === 0 ? {} : { pinnedDirs: protectedGit.pinned }) }),
    },
    warnings: protectedGit?.warnings ?? [],
  };
}

/** `--read-only PATH`: must exist, never `/`, never the workdir itself; duplicates collapse. */
async function resolveReadOnly(inputs: readonly string[], ctx: HostContext, workdir: string, trees: readonly string[]): Promise<string[]> {
  const resolved: string[] = [];
  for (const input of inputs) {
    // Inside a tree the agent can write, only links that stay inside it are followed (R104).
    const real = (await resolveInputPath(input, ctx.cwd, '--read-only', 'any', trees)).physical;
    if (real === '/') throw new UsageError('refusing to mount / with --read-only: give a narrower path');
    if (real === workdir)
      throw new UsageError(`--read-only ${JSON.stringify(input)} is the workdir itself: drop it or choose another workdir`);
    if (!resolved.includes(real)) resolved.push(real);
  }
  return resolved;
}

/** R176: checked before anything is created, so the host stays unchanged. */
function refuseWhatTheEngineLacks(plan: RunPlan): void {
  if (currentEngine().name === 'podman' && (plan.addHosts ?? []).some((entry) => entry.endsWith(':host-gateway'))) {
    throw new UsageError(HOST_GATEWAY_REFUSAL);
  }
}
