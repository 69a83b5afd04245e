import { realpath } from 'node:fs/promises';
import { findSession, pickDefaultSession } from '../core/session-choice.js';
import { validateSessionName } from '../core/session-identity.js';
import { isRunning, type SessionRecord } from '../core/session-list.js';
import { UsageError } from '../core/errors.js';
import type { HostContext } from '../host/host-context.js';
import { confirmRemoval, listManagedContainers, removeContainers, stopContainers } from '../host/sessions.js';

export interface StopDestroyOptions {
  name?: string;
  all: boolean;
  /** destroy only: every stopped session. */
  stopped: boolean;
  force: boolean;
}

/** Which sessions (only containers labelled managed and session) the command touches. */
async function pickTargets(options: StopDestroyOptions, ctx: HostContext, verb: 'stop' | 'destroy'): Promise<SessionRecord[]> {
  const chosen = [options.name !== undefined, options.all, options.stopped].filter(Boolean).length;
  if (chosen > 1) throw new UsageError(`${verb}: give one of NAME, --all${verb === 'destroy' ? ', --stopped' : ''}`);
  if (options.name !== undefined) validateSessionName(options.name, `${verb}: NAME`);
  const sessions = (await listManagedContainers()).filter((record) => record.name !== null);
  if (options.name !== undefined) return [findSession(sessions, options.name)];
  if (options.all) return verb === 'stop' ? sessions.filter(isRunning) : sessions;
  if (options.stopped) return sessions.filter((record) => !isRunning(record));
  const cwd = await realpath(ctx.cwd).catch(() => ctx.cwd);
  return [pickDefaultSession(sessions, cwd, verb === 'stop', verb)];
}

/** `stop [NAME] [--all]`: docker stop; the session can be re-entered later (it starts again). */
export async function stopCommand(options: StopDestroyOptions, ctx: HostContext): Promise<number> {
  const targets = (await pickTargets(options, ctx, 'stop')).filter(isRunning);
  if (targets.length === 0) {
    process.stderr.write('no running session to stop\n');
    return 0;
  }
  await stopContainers(targets.map((record) => record.container));
  for (const record of targets) process.stdout.write(`${record.name}\n`);
  process.stderr.write(`stopped ${targets.length} session(s)\n`);
  return 0;
}

/** `destroy [NAME] [--all] [--stopped] [--force]`: docker rm -f; asks before removing more than one. */
export async function destroyCommand(options: StopDestroyOptions, ctx: HostContext): Promise<number> {
  const targets = await pickTargets(options, ctx, 'destroy');
  if (targets.length === 0) {
    process.stderr.write('no session to destroy\n');
    return 0;
  }
  await confirmRemoval(targets.map((record) => record.name ?? record.container), { force: options.force, interactive: ctx.stdinIsTTY });
  await removeContainers(targets.map((record) => record.container));
  for (const record of targets) process.stdout.write(`${record.name}\n`);
  process.stderr.write(`destroyed ${targets.length} session(s)\n`);
  return 0;
}
