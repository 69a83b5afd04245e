import type { HostContext } from '../host/host-context.js';
import { removeRunPrivateFiles } from '../host/tree/private-files.js';
import { confirmRemoval, removeContainers } from '../host/session/sessions.js';
import { pickTargets, type TargetOptions } from './session-pick.js';

export interface DestroyOptions extends TargetOptions {
  stopped: boolean;
  force: boolean;
}

/** `destroy [NAME] [--all] [--stopped] [--force]` (R44): docker rm -f; asks before removing more than one. */
export async function destroyCommand(options: DestroyOptions, ctx: HostContext): Promise<number> {
  const targets = await pickTargets(options, ctx, 'destroy');
  if (targets.length === 0) {
    process.stderr.write('no session to destroy\n');
    return 0;
  }
  await confirmRemoval(
    targets.map((record) => record.name ?? record.container),
    { force: options.force, interactive: ctx.stdinIsTTY },
  );
  await removeContainers(targets.map((record) => record.container));
  // Their credentials go with them (R161).
  for (const record of targets) await removeRunPrivateFiles(ctx, record.runId);
  for (const record of targets) process.stdout.write(`${record.name}\n`);
  process.stderr.write(`destroyed ${targets.length} session(s)\n`);
  return 0;
}
