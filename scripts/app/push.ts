import { UsageError } from '../core/errors.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import type { HostContext } from '../host/host-context.js';
import { checkPushSources, pushPaths } from '../host/session/session-copy.js';
import { pickRunningSession } from './session-pick.js';

export interface PushOptions {
  name?: string;
  paths: string[];
  force: boolean;
}

/** `push [--name NAME] PATH…` (R45): into the session's workdir, owned by the agent. */
export async function pushCommand(options: PushOptions, ctx: HostContext): Promise<number> {
  if (options.paths.length === 0) throw new UsageError('push needs at least one PATH: run-in-container push [--name NAME] PATH…');
  const sources = await checkPushSources(options.paths, ctx.cwd);
  const { session } = await pickRunningSession(options.name, ctx, 'push');
  const copied = await pushPaths(session.container, session.workdir, sources, options.force);
  for (const target of copied) process.stdout.write(`${escapeTerminalText(target)}\n`);
  return 0;
}
