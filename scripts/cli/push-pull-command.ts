import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../core/errors.js';
import { containerPathFor } from '../core/mount-spec.js';
import { findSession, pickDefaultSession } from '../core/session-choice.js';
import { validateSessionName } from '../core/session-identity.js';
import { isRunning, type SessionRecord } from '../core/session-list.js';
import type { HostContext } from '../host/host-context.js';
import { resolveExistingPath } from '../host/resolve-path.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import { checkPushSources, pushPaths } from '../host/session-copy.js';
import { pullPath, pullScratchParent } from '../host/session-pull.js';
import { listManagedContainers } from '../host/sessions.js';

async function pickRunningSession(name: string | undefined, ctx: HostContext, verb: string): Promise<SessionRecord> {
  if (name !== undefined) validateSessionName(name);
  const records = await listManagedContainers();
  const cwd = await realpath(ctx.cwd).catch(() => ctx.cwd);
  const session = name === undefined ? pickDefaultSession(records, cwd, true, `${verb} --name`) : findSession(records, name);
  if (!isRunning(session)) throw new UsageError(`session ${session.name} is ${session.status}: ${verb} needs a running session`);
  return session;
}

/** `push [--name NAME] PATH…`: into the session's workdir, owned by the agent. */
export async function pushCommand(options: { name?: string; paths: string[]; force: boolean }, ctx: HostContext): Promise<number> {
  if (options.paths.length === 0) throw new UsageError('push needs at least one PATH: run-in-container push [--name NAME] PATH…');
  const sources = await checkPushSources(options.paths, ctx.cwd);
  const session = await pickRunningSession(options.name, ctx, 'push');
  const copied = await pushPaths(session.container, session.workdir, sources, options.force);
  for (const target of copied) process.stdout.write(`${escapeTerminalText(target)}\n`);
  return 0;
}

/** `pull [--name NAME] CONTAINER_PATH [DEST_DIR]`: relative paths start at the session's workdir. */
export async function pullCommand(
  options: { name?: string; containerPath: string; dest?: string; force: boolean },
  ctx: HostContext,
): Promise<number> {
  if (options.containerPath.trim() === '' || options.containerPath.includes('\0')) {
    throw new UsageError('pull: CONTAINER_PATH is empty: give a path inside the session');
  }
  const dest = await resolveExistingPath(options.dest ?? '.', ctx.cwd, 'pull: DEST_DIR', 'directory');
  const session = await pickRunningSession(options.name, ctx, 'pull');
  const containerPath = path.posix.resolve(containerPathFor(session.workdir), options.containerPath);
  const pulled = await pullPath(session.container, containerPath, dest, options.force, pullScratchParent(ctx.env, ctx.home));
  // Names chosen in the sandbox: one per line, escaped (R100).
  for (const target of pulled) process.stdout.write(`${escapeTerminalText(target)}\n`);
  return 0;
}
