import path from 'node:path';
import { UsageError } from '../core/errors.js';
import { containerPathFor } from '../core/mount-spec.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import type { HostContext } from '../host/host-context.js';
import { resolveExistingPath } from '../host/resolve-path.js';
import { pullPath, pullScratchParent } from '../host/session-pull.js';
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
  const dest = await resolveExistingPath(options.dest ?? '.', ctx.cwd, 'pull: DEST_DIR', 'directory');
  const { session } = await pickRunningSession(options.name, ctx, 'pull');
  const containerPath = path.posix.resolve(containerPathFor(session.workdir), options.containerPath);
  const pulled = await pullPath(session.container, containerPath, dest, options.force, pullScratchParent(ctx));
  // Names chosen in the sandbox: one per line, escaped (R100).
  for (const target of pulled) process.stdout.write(`${escapeTerminalText(target)}\n`);
  return 0;
}
