import { describeHomeAction } from '../core/codex-home-plan.js';
import { buildDockerRunArgs } from '../core/run-plan.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import { pinMountSources } from '../host/mount-pins.js';
import type { ResolvedRun } from '../core/assemble-run-plan.js';
import { applyHomeActions } from '../host/apply-home-actions.js';
import { confirmExposures } from '../host/confirm.js';
import { runDockerAttached } from '../host/docker.js';
import type { HostContext } from '../host/host-context.js';
import { ensureSandboxImage } from '../host/image.js';
import { reapOrphanContainers } from '../host/reaper.js';
import { startTracking } from '../host/track-run.js';
import { prepareBuildEgress } from './prepare-egress.js';
import { startEgressLog } from '../host/egress-log.js';
import { prepareRun, type PreparedRun } from './prepare-run.js';
import { ensureProjectSettingsTrusted } from './trust-command.js';
import { runSession } from './session-run.js';
import type { RunOptions } from './run-options.js';

/**
 * The default command and `shell`: validate and plan (no changes), ask for consent,
 * then either print the plan (--dry-run) or make sure the image exists, assemble the
 * Codex home and hand over to `docker run`. Resolves with the exit code.
 */
export async function runInContainer(
  options: RunOptions,
  ctx: HostContext,
  command: ResolvedRun['command'],
  launcherVersion: string,
  override?: RunOverride,
): Promise<number> {
  // Backstop for containers of launchers that died (one `docker ps`, in parallel, never fails the run).
  const reaping = options.dryRun ? Promise.resolve() : reapOrphanContainers(ctx.hostname, ctx);
  try {
    return await runPrepared(options, ctx, command, launcherVersion, override);
  } finally {
    await reaping;
  }
}

async function runPrepared(
  options: RunOptions,
  ctx: HostContext,
  command: ResolvedRun['command'],
  launcherVersion: string,
  override?: RunOverride,
): Promise<number> {
  const validated = await prepareRun(options, ctx, command, launcherVersion);
  let prepared = override === undefined ? validated : await override.adjust(validated);
  // Names in these come from files the agent can write (R100).
  for (const warning of prepared.warnings) process.stderr.write(`warning: ${escapeTerminalText(warning)}\n`);
  for (const note of prepared.egressNotes) process.stderr.write(`${escapeTerminalText(note)}\n`);
  await confirmExposures(prepared.exposures, {
    yes: options.yes,
    interactive: ctx.stdinIsTTY,
    dryRun: options.dryRun,
  });
  await ensureProjectSettingsTrusted(prepared.projectSettings, prepared.resolved.workdir, ctx, { interactive: ctx.stdinIsTTY, dryRun: options.dryRun });
  if (options.dryRun) {
    const ids = await pinMountSources(prepared.plan.mounts, prepared.trees, { allowMissing: true });
    for (const action of prepared.actions) process.stderr.write(`would ${escapeTerminalText(describeHomeAction(action))}\n`);
    process.stdout.write(`${JSON.stringify(buildDockerRunArgs({ ...prepared.plan, ...(ids === undefined ? {} : { mountIds: ids }) }))}\n`);
    return 0;
  }
  // An automatic build goes through the same proxy and trusts the same CAs as the run.
  await ensureSandboxImage(
    prepared.resolved.image,
    emptyToUndefined(ctx.env.SANDBOX_BASE_IMAGE),
    prepared.resolved.runId,
    async () => (await prepareBuildEgress(options.egress, ctx)).egress,
  );
  await applyHomeActions(prepared.actions, prepared.contents, prepared.trees);
  // --track (issue 4): the workdir is recorded before the agent starts and after it ends.
  const tracking = options.track === true ? await startTracking(ctx, prepared.resolved) : undefined;
  // Issue 5: the raw egress log's host dir must exist before docker mounts it.
  const egressLog = await startEgressLog(prepared.resolved);
  try {
    // R103: every mount source pinned last, right before docker resolves the paths again.
    prepared = await pinPlan(prepared);
    const argv = buildDockerRunArgs(prepared.plan);
    // --name (issue 4): a detached session entered with docker exec (cli/session-run.ts).
    if (options.session !== undefined) return await runSession(prepared, options.session);
    const exitCode =
      override === undefined
        ? await runDockerAttached(argv.slice(1), { containerName: prepared.plan.containerName })
        : await override.run(argv.slice(1), prepared);
    await egressLog.finish();
    return exitCode;
  } finally {
    if (tracking !== undefined) process.stderr.write(`${(await tracking.finish()).length} files changed: run-in-container diff ${prepared.resolved.runId}\n`);
  }
}

/** How `exec` (cli/exec-command.ts) takes over a run: the same flow, its own plan and container step. */
export interface RunOverride {
  /** Adjusts the validated run (argv, tty) before consent and the dry run; changes nothing on the host. */
  adjust(prepared: PreparedRun): Promise<PreparedRun>;
  /** Replaces the attached `docker run ARGS`; resolves with the exit code. */
  run(dockerArgs: string[], prepared: PreparedRun): Promise<number>;
}

async function pinPlan(prepared: PreparedRun): Promise<PreparedRun> {
  const ids = await pinMountSources(prepared.plan.mounts, prepared.trees, { allowMissing: false });
  return ids === undefined ? prepared : { ...prepared, plan: { ...prepared.plan, mountIds: ids } };
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
