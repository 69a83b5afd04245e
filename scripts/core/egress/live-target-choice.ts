import { UsageError } from '../errors.js';
import { isSameOrInside } from '../run/path-rules.js';
import { isRunning, type SessionRecord } from '../session/session-list.js';
import { validateSessionName } from '../session/session-identity.js';

/** How a command names a running sandbox (R167): a session, a run id (or a prefix), the newest, or none. */
export interface LiveTargetSelector {
  name?: string;
  run?: string;
  last?: boolean;
}

const RUN_ID = /^[0-9a-f]{1,8}$/;

/** A one-line name for a sandbox in messages: its session name, else its run id. */
export function describeLiveTarget(record: SessionRecord): string {
  return record.name === null ? `run ${record.runId}` : `session ${record.name}`;
}

/** Flags of a selector: at most one of --name, RUN and --last, each well formed. */
function checkLiveSelector(selector: LiveTargetSelector, command: string): void {
  const given = [selector.name !== undefined, selector.run !== undefined, selector.last === true].filter(Boolean).length;
  if (given > 1) throw new UsageError(`${command}: give one of --name SESSION, RUN or --last`);
  if (selector.name !== undefined) validateSessionName(selector.name, '--name');
  if (selector.run !== undefined && !RUN_ID.test(selector.run))
    throw new UsageError(
      `${JSON.stringify(selector.run)} is not a run id: give the 8 hex digits (or a prefix) shown by run-in-container list`,
    );
}

function byRunId(running: readonly SessionRecord[], all: readonly SessionRecord[], run: string): SessionRecord {
  const matches = running.filter((record) => record.runId.startsWith(run));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1)
    throw new UsageError(`run id prefix ${run} is ambiguous (${matches.map((r) => r.runId).join(' ')}): give more digits`);
  const stopped = all.find((record) => record.runId.startsWith(run));
  if (stopped !== undefined) throw new UsageError(`${describeLiveTarget(stopped)} is ${stopped.status}: it has no live policy to change`);
  throw new UsageError(`no running sandbox with run id ${run}: see run-in-container list`);
}

/**
 * The running sandbox a live command acts on (R167): --name, RUN, --last (the newest running
 * one whose workdirs hold `cwd`, else the newest of all), or the only running one of `cwd`.
 */
export function chooseLiveTarget(
  records: readonly SessionRecord[],
  selector: LiveTargetSelector,
  cwd: string,
  command: string,
): SessionRecord {
  checkLiveSelector(selector, command);
  const running = records.filter(isRunning);
  if (selector.name !== undefined) {
    const found = records.find((record) => record.name === selector.name);
    if (found === undefined) throw new UsageError(`no session named ${JSON.stringify(selector.name)}: see run-in-container list`);
    if (!isRunning(found)) throw new UsageError(`session ${found.name} is ${found.status}: it has no live policy to change`);
    return found;
  }
  if (selector.run !== undefined) return byRunId(running, records, selector.run);
  const here = running.filter((record) => record.workdirs.some((dir) => isSameOrInside(dir, cwd)));
  const newest = (list: readonly SessionRecord[]) => [...list].sort((a, b) => b.created.localeCompare(a.created))[0];
  if (selector.last === true) {
    const chosen = newest(here) ?? newest(running);
    if (chosen === undefined) throw new UsageError(`${command}: no sandbox is running`);
    return chosen;
  }
  if (here.length === 1) return here[0]!;
  const list = (from: readonly SessionRecord[]) => from.map(describeLiveTarget).join(', ');
  if (here.length === 0)
    throw new UsageError(
      running.length === 0
        ? `${command}: no sandbox is running`
        : `${command}: no running sandbox for ${cwd}: give --name SESSION or a run id (running: ${list(running)})`,
    );
  throw new UsageError(`${command}: several sandboxes run for ${cwd} (${list(here)}): give --name SESSION, a run id or --last`);
}
