import { describeHomeAction } from '../core/codex-home-plan.js';
import { buildDockerRunArgs } from '../core/run-plan.js';
import type { ResolvedRun } from '../core/assemble-run-plan.js';
import { applyHomeActions } from '../host/apply-home-actions.js';
import { confirmExposures } from '../host/confirm.js';
import { runDockerAttached } from '../host/docker.js';
import type { HostContext } from '../host/host-context.js';
import { ensureSandboxImage } from '../host/image.js';
import { prepareRun } from './prepare-run.js';
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
): Promise<number> {
  const prepared = await prepareRun(options, ctx, command, launcherVersion);
  for (const warning of prepared.warnings) process.stderr.write(`warning: ${warning}\n`);
  await confirmExposures(prepared.exposures, {
    yes: options.yes,
    interactive: ctx.stdinIsTTY,
    dryRun: options.dryRun,
  });
  const argv = buildDockerRunArgs(prepared.plan);
  if (options.dryRun) {
    for (const action of prepared.actions) process.stderr.write(`would ${describeHomeAction(action)}\n`);
    process.stdout.write(`${JSON.stringify(argv)}\n`);
    return 0;
  }
  await ensureSandboxImage(prepared.resolved.image, emptyToUndefined(ctx.env.SANDBOX_BASE_IMAGE), prepared.resolved.runId);
  await applyHomeActions(prepared.actions, prepared.writeRoots);
  return runDockerAttached(argv.slice(1));
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
