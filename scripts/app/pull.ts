import path from 'node:path';
import { UsageError } from '../core/errors.js';
import { containerPathFor } from '../core/run/mount-spec.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import type { HostContext } from '../host/host-context.js';
import { resolveInputPath } from '../host/tree/input-path.js';
import { pullPath, pullScratchParent, resolvePullDest } from '../host/session/session-pull.js';
import { pickRunningSession } from './session-pick.js';

export interface PullOptions {
  name?: string;
  containerPath: string;
  dest?: string;
  force: boolean;
}

/** `pull [--name NAME] CONTAINER_PATH [DEST_DIR]` (R45, R107): relative paths start at the session's workdir. */
export async function pullCommand(options: PullOptions, ctx: HostContext): Promise<number> {
  if (options.containerPath.trim() === '' || options.containerPath.includes('\0')) {
    throw new UsageError('pull: CONTAINER_PATH is empty: give a path inside the session');
  }
  const input = options.dest ?? '.';
  // Early, for the message only (no docker needed); the destination itself is resolved below.
  await resolveInputPath(input, ctx.cwd, 'pull: DEST_DIR', 'directory', []);
  const { session } = await pickRunningSession(options.name, ctx, 'pull');
  const dest = await resolvePullDest(input, ctx.cwd, session.workdirs);
  const containerPath = path.posix.resolve(containerPathFor(session.workdir), options.containerPath);
  const pulled = await pullPath(session.container, containerPath, { dest, trees: session.workdirs }, options.force, pullScratchParent(ctx));
  // Names chosen in the sandbox: one per line, escaped (R100).
  for (const target of pulled) process.stdout.write(`${escapeTerminalText(target)}\n`);
  return 0;
}
