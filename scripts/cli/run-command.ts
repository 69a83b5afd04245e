import { describeHomeAction } from '../core/codex-home-plan.js';
import { buildDockerRunArgs } from '../core/run-plan.js';
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
  const prepared = override === undefined ? validated : await override.adjust(validated);
  for (const warning of prepared.warnings) process.stderr.write(`warning: ${warning}\n`);
  for (const note of prepared.egressNotes) process.stderr.write(`${note}\n`);
  await confirmExposures(prepared.exposures, {
    yes: options.yes,
    interactive: ctx.stdinIsTTY,
    dryRun: options.dryRun,
  });
  await ensureProjectSettingsTrusted(prepared.projectSettings, prepared.resolved.workdir, ctx, { interactive: ctx.stdinIsTTY, dryRun: options.dryRun });
  const argv = buildDockerRunArgs(prepared.plan);
  if (options.dryRun) {
    for (const action of prepared.actions) process.stderr.write(`would ${describeHomeAction(action)}\n`);
    process.stdout.write(`${JSON.stringify(argv)}\n`);
    return 0;
  }
  // An automatic build goes through the same proxy and trusts the same CAs as the run.
  await ensureSandboxImage(
    prepared.resolved.image,
    emptyToUndefined(ctx.env.SANDBOX_BASE_IMAGE),
    prepared.resolved.runId,
    async () => (await prepareBuildEgress(options.egress, ctx)).egress,
  );
  await applyHomeActions(prepared.actions, prepared.writeRoots);
  // --track (issue 4): the workdir is recorded before the agent starts and after it ends.
  const tracking = options.track === true ? await startTracking(ctx, prepared.resolved) : undefined;
  // Issue 5: the raw egress log's host dir must exist before docker mounts it.
  const egressLog = await startEgressLog(prepared.resolved);
  try {
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

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
