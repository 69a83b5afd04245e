import { realpath } from 'node:fs/promises';
import { UsageError } from '../core/errors.js';
import { findSession, pickDefaultSession } from '../core/session/session-choice.js';
import { validateSessionName } from '../core/session/session-identity.js';
import { isRunning, type SessionRecord } from '../core/session/session-list.js';
import type { HostContext } from '../host/host-context.js';
import { listManagedContainers } from '../host/session/sessions.js';

/** The real current directory, as session labels record workdirs. */
export async function realCwd(ctx: HostContext): Promise<string> {
  return realpath(ctx.cwd).catch(() => ctx.cwd);
}

/**
 * The one running-session lookup of `attach`, `push` and `pull` (R44, R45): NAME, else the only
 * running session whose workdirs hold the current directory; a stopped one is refused.
 */
export async function pickRunningSession(
  name: string | undefined,
  ctx: HostContext,
  verb: 'attach' | 'push' | 'pull',
): Promise<{ session: SessionRecord; cwd: string }> {
  // attach takes NAME as a word, push and pull as --name.
  const byFlag = verb !== 'attach';
  if (name !== undefined) validateSessionName(name, byFlag ? '--name' : `${verb}: NAME`);
  const records = await listManagedContainers();
  const cwd = await realCwd(ctx);
  const session =
    name === undefined ? pickDefaultSession(records, cwd, true, byFlag ? `${verb} --name` : verb) : findSession(records, name);
  if (!isRunning(session)) {
    throw new UsageError(
      `session ${session.name} is ${session.status}: ${verb} needs a running session ` +
        `(start it with run-in-container shell --name ${session.name} --keep -- true)`,
    );
  }
  return { session, cwd };
}

/** NAME, --all or --stopped (`destroy` only) of `stop` and `destroy`. */
export interface TargetOptions {
  name?: string;
  all: boolean;
  stopped?: boolean;
}

/** Which sessions (only containers labelled managed and session) `stop`/`destroy` touch (R44). */
export async function pickTargets(options: TargetOptions, ctx: HostContext, verb: 'stop' | 'destroy'): Promise<SessionRecord[]> {
  const chosen = [options.name !== undefined, options.all, options.stopped === true].filter(Boolean).length;
  if (chosen > 1) throw new UsageError(`${verb}: give one of NAME, --all${verb === 'destroy' ? ', --stopped' : ''}`);
  if (options.name !== undefined) validateSessionName(options.name, `${verb}: NAME`);
  const sessions = (await listManagedContainers()).filter((record) => record.name !== null);
  if (options.name !== undefined) return [findSession(sessions, options.name)];
  if (options.all) return verb === 'stop' ? sessions.filter(isRunning) : sessions;
  if (options.stopped === true) return sessions.filter((record) => !isRunning(record));
  return [pickDefaultSession(sessions, await realCwd(ctx), verb === 'stop', verb)];
}
