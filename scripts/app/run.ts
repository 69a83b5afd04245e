import { agentIdOf, type ResolvedRun } from '../core/run/assemble-run-plan.js';
import { describeHomeAction } from '../core/agents/agent-home-plan.js';
import { listEgressSecrets } from '../core/egress/egress-run-args.js';
import { attachMountIds, buildDockerRunArgs } from '../core/run/run-plan.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import type { AgentVersions } from '../core/image/image-tags.js';
import type { ChangedFile } from '../core/track/track-changes.js';
import { applyHomeActions } from '../host/agents/apply-home-actions.js';
import { confirmExposures } from '../host/confirm.js';
import { describeEngineCall, provideDockerEnv, runDockerAttached } from '../host/engine/docker.js';
import { startEgressLog, type EgressOutcome } from '../host/egress/egress-log.js';
import type { HostContext } from '../host/host-context.js';
import { ensureSandboxImage } from '../host/engine/image.js';
import { pinMountSources } from '../host/mount-pins.js';
import { removeRunPrivateFiles, writeRunSecrets } from '../host/tree/private-files.js';
import { reapOrphanContainers } from '../host/engine/reaper.js';
import { startTracking } from '../host/track/track-run.js';
import { writeBackLogin } from './login-writeback.js';
import { prepareBuildEgress } from './prepare-egress.js';
import { prepareRun, type PreparedRun } from './prepare-run.js';
import type { RunOptions } from './run-options.js';
import { runSession } from './session.js';
import { ensureProjectSettingsTrusted } from './trust-check.js';
import { printResumeHint } from './resume-hint.js';

/** What a run ended with: the agent's exit code, its egress record and (with --track) its changes. */
export interface RunResult {
  exitCode: number;
  egress: EgressOutcome;
  changes?: ChangedFile[];
}

/**
 * Runs the container once everything is ready (argv without the leading `docker`); resolves with its exit code.
 * `imageAgents`: the agents the image's labels name, with their versions (exec reports them).
 */
export type ContainerStep = (dockerArgs: string[], prepared: PreparedRun, imageAgents: AgentVersions) => Promise<number>;

const attached: ContainerStep = (dockerArgs, prepared) => runDockerAttached(dockerArgs, { containerName: prepared.plan.containerName });

/**
 * The default command and `shell` (R1-R23): validate and plan (nothing changes), consent and
 * trust, then either print the plan (--dry-run) or run it. Resolves with the exit code.
 */
export async function runCommand(
  options: RunOptions,
  ctx: HostContext,
  command: ResolvedRun['command'],
  launcherVersion: string,
): Promise<number> {
  return withReaper(options, ctx, async () => {
    const prepared = await prepareRun(options, ctx, command, launcherVersion);
    await confirmRun(prepared, options, ctx);
    if (options.dryRun) return printDryRun(prepared);
    return (await executeRun(prepared, ctx)).exitCode;
  });
}

/** Backstop for containers of launchers that died (R61): one `docker ps`, in parallel, never fails the run. */
export async function withReaper<T>(options: RunOptions, ctx: HostContext, flow: () => Promise<T>): Promise<T> {
  const reaping = options.dryRun ? Promise.resolve() : reapOrphanContainers(ctx.hostname, ctx);
  try {
    return await flow();
  } finally {
    await reaping;
  }
}

/** Prints what the plan found, asks for consent to exposures (R12) and for trust in the project file (R75). */
export async function confirmRun(prepared: PreparedRun, options: RunOptions, ctx: HostContext): Promise<void> {
  // Names in these come from files the agent can write (R100).
  for (const warning of prepared.warnings) process.stderr.write(`warning: ${escapeTerminalText(warning)}\n`);
  for (const note of prepared.egressNotes) process.stderr.write(`${escapeTerminalText(note)}\n`);
  await confirmExposures(prepared.exposures, { yes: options.yes, interactive: ctx.stdinIsTTY, dryRun: options.dryRun });
  await ensureProjectSettingsTrusted(prepared.projectSettings, prepared.resolved.workdir, ctx, {
    interactive: ctx.stdinIsTTY,
    dryRun: options.dryRun,
  });
}

/** `--dry-run` (R21): the planned copies on stderr, the argv as one JSON line on stdout. */
export async function printDryRun(prepared: PreparedRun): Promise<number> {
  const ids = await pinMountSources(prepared.plan.mounts, prepared.trees, { allowMissing: true });
  for (const action of prepared.actions) process.stderr.write(`would ${escapeTerminalText(describeHomeAction(action))}\n`);
  process.stdout.write(`${JSON.stringify(describeEngineCall(buildDockerRunArgs(attachMountIds(prepared.plan, ids))))}\n`);
  return 0;
}

/**
 * Runs a confirmed plan, reading nothing but the plan: the image (built first when missing,
 * through the same proxy and CAs), the agent's home, --track, the egress log, pinned mounts,
 * then the container — a session (R41) or `container` (attached `docker run` by default) —
 * and the egress summary.
 */
export async function executeRun(prepared: PreparedRun, ctx: HostContext, container: ContainerStep = attached): Promise<RunResult> {
  const { resolved } = prepared;
  const imageAgents = await ensureSandboxImage(
    resolved.image,
    // SANDBOX_BASE_IMAGE > [build] base_image of the (trusted) project file > the user file (R191).
    ctx.env.SANDBOX_BASE_IMAGE ?? prepared.baseImage,
    resolved.runId,
    async () => (await prepareBuildEgress(prepared.buildEgress, ctx, prepared.trees)).egress,
    // An image without the agent asked for is built with it first (R132).
    agentIdOf(resolved),
  );
  await applyHomeActions(prepared.actions, prepared.contents, prepared.trees);
  provideRunEnv(prepared);
  const tracking = resolved.track === true ? await startTracking(ctx, resolved) : undefined;
  // The raw egress log's host directory must exist before docker mounts it (R70).
  const egressLog = await startEgressLog(resolved, ctx);
  let result: RunResult | undefined;
  let keepSecrets = false;
  try {
    if (prepared.secrets !== undefined) await writeRunSecrets(prepared.secrets, resolved.runId, ctx.uid);
    // R103: every mount source pinned last, right before docker resolves the paths again.
    const pinned = await pinPlan(prepared);
    if (resolved.session !== undefined) {
      const outcome = await runSession(pinned, ctx);
      keepSecrets = outcome.kept;
      result = { exitCode: outcome.exitCode, egress: outcome.egress };
    } else {
      result = await runContainer(pinned, container, imageAgents, egressLog);
    }
    return result;
  } finally {
    // A session this run created and left running keeps them until `destroy` (R161).
    if (prepared.secrets !== undefined && !keepSecrets) await removeRunPrivateFiles(ctx, resolved.runId);
    if (tracking !== undefined) {
      const changes = await tracking.finish();
      if (result !== undefined) result.changes = changes;
      process.stderr.write(`${changes.length} files changed: run-in-container diff ${resolved.runId}\n`);
    }
  }
}

/** The variables docker passes by name: the agent's keys as placeholders, their real values only in the secrets file (R161, R162). */
function provideRunEnv(prepared: PreparedRun): void {
  const placeholders = prepared.secrets?.env ?? {};
  provideDockerEnv(Object.fromEntries(Object.entries(prepared.secretEnv).filter(([name]) => placeholders[name] === undefined)));
  provideDockerEnv(placeholders, true);
  if (prepared.resolved.egress !== undefined) provideDockerEnv(listEgressSecrets(prepared.resolved.egress), true);
}

/**
 * A run without a session: the container step, then what its end leaves — the egress record
 * and a login's refreshed tokens (R164). What else follows an attached run goes here.
 */
async function runContainer(
  pinned: PreparedRun,
  container: ContainerStep,
  imageAgents: AgentVersions,
  egressLog: { finish(): Promise<EgressOutcome> },
): Promise<RunResult> {
  const startedAt = Date.now();
  const exitCode = await container(buildDockerRunArgs(pinned.plan), pinned, imageAgents);
  const result = { exitCode, egress: await egressLog.finish() };
  await writeBackLogin(pinned, pinned.resolved.runId);
  // An interactive run: the launcher's own hint to resume its conversation (the agent's names a command the host lacks).
  if (pinned.resolved.headless !== true) await printResumeHint(pinned, startedAt);
  return result;
}

async function pinPlan(prepared: PreparedRun): Promise<PreparedRun> {
  const ids = await pinMountSources(prepared.plan.mounts, prepared.trees, { allowMissing: false });
  return { ...prepared, plan: attachMountIds(prepared.plan, ids) };
}
