import { UsageError } from '../errors.js';
import { isSameOrInside } from '../run/path-rules.js';
import { isRunning, type SessionRecord } from './session-list.js';
import { containerPathFor } from '../run/mount-spec.js';

/**
 * `attach`/`stop`/`destroy` without NAME: the only session (running ones when `running`)
 * whose workdirs hold `cwd`. Otherwise a usage error naming the candidates.
 */
export function pickDefaultSession(records: readonly SessionRecord[], cwd: string, running: boolean, command: string): SessionRecord {
  const sessions = records.filter((record) => record.name !== null && (!running || isRunning(record)));
  const here = sessions.filter((record) => record.workdirs.some((dir) => isSameOrInside(dir, cwd)));
  if (here.length === 1) return here[0]!;
  const kind = running ? 'running session' : 'session';
  if (here.length === 0) {
    const others = sessions.map((record) => record.name).join(', ');
    throw new UsageError(
      `no ${kind} for ${cwd}: give its name (run-in-container ${command} NAME)${others === '' ? '' : `; ${kind}s: ${others}`}`,
    );
  }
  throw new UsageError(
    `several ${kind}s for ${cwd} (${here.map((record) => record.name).join(', ')}): give one name (run-in-container ${command} NAME)`,
  );
}

/** The session named `name`, or a usage error that says how to see the others. */
export function findSession(records: readonly SessionRecord[], name: string): SessionRecord {
  const found = records.find((record) => record.name === name);
  if (found === undefined) throw new UsageError(`no session named ${JSON.stringify(name)}: see run-in-container list`);
  return found;
}

/** Where an exec starts: the asked-for workdir when the session mounts it, else the session's first. */
export function chooseExecDir(askedWorkdir: string, session: SessionRecord): string {
  return containerPathFor(session.workdirs.includes(askedWorkdir) ? askedWorkdir : session.workdir);
}

/** Session names in use (for --parallel suffixes). */
export function listSessionNames(records: readonly SessionRecord[]): string[] {
  return records.flatMap((record) => (record.name === null ? [] : [record.name]));
}
