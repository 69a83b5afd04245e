/**
 * Changes of a running sandbox's policy (R167, R170): root writes one line per change into the
 * egress log, `#policy <epoch seconds.millis> <action> <pattern> <by> <until>` (image/lib-live.sh
 * record_change). They are kept in the record next to its destinations.
 */

export type PolicyAction = 'allow' | 'deny' | 'expire';

const POLICY_ACTIONS: readonly PolicyAction[] = ['allow', 'deny', 'expire'];

/** One change of the live policy: when (ISO 8601 UTC), what, who asked for it and until when. */
export interface PolicyChange {
  time: string;
  action: PolicyAction;
  /** A host or `*.host`. */
  pattern: string;
  /** The user who asked (`-` in the log: absent). */
  by?: string;
  /** When the change ends (ISO 8601 UTC); absent: for the rest of the run. */
  until?: string;
}

/** 9999-12-31T23:59:59Z: later seconds would not print as a 4-digit-year ISO time. */
const MAX_SECONDS = 253402300799;
const PATTERN = /^(?:\*\.)?[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/;
const USER = /^[A-Za-z0-9._-]{1,32}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{3})?Z$/;
const LINE = /^#policy ([0-9]{1,12})\.([0-9]{3}) (allow|deny|expire) (\S{1,255}) ([A-Za-z0-9._-]{1,32}|-) ([0-9]{1,12}|-)$/;

/** A host pattern as the live policy writes it: lowercase host-name characters, no empty label. */
function isPolicyPattern(text: string): boolean {
  return PATTERN.test(text) && !text.includes('..') && !text.slice(text.startsWith('*.') ? 2 : 0).includes('*');
}

/** `#policy …` as a change; undefined for anything not exactly of that shape (a forged or cut line counts nowhere). */
export function parsePolicyLine(line: string): PolicyChange | undefined {
  const match = LINE.exec(line);
  if (match === null) return undefined;
  const [, seconds, millis, action, pattern, by, until] = match as unknown as [
    string,
    string,
    string,
    PolicyAction,
    string,
    string,
    string,
  ];
  if (Number(seconds) > MAX_SECONDS || !isPolicyPattern(pattern)) return undefined;
  if (until !== '-' && Number(until) > MAX_SECONDS) return undefined;
  return {
    time: new Date(Number(seconds) * 1000 + Number(millis)).toISOString(),
    action,
    pattern,
    ...(by === '-' ? {} : { by }),
    ...(until === '-' ? {} : { until: new Date(Number(until) * 1000).toISOString() }),
  };
}

/**
 * A change read back from a stored record: every field checked, and anything off refuses the
 * whole line (the caller counts it as malformed).
 */
export function readPolicyChange(r: Record<string, unknown>): PolicyChange {
  const { time, action, pattern, by, until } = r;
  if (typeof time !== 'string' || !ISO.test(time) || !Number.isFinite(Date.parse(time))) throw new Error('time');
  if (!POLICY_ACTIONS.includes(action as PolicyAction)) throw new Error('action');
  if (typeof pattern !== 'string' || !isPolicyPattern(pattern)) throw new Error('pattern');
  if (by !== undefined && (typeof by !== 'string' || !USER.test(by) || by === '-')) throw new Error('by');
  if (until !== undefined && (typeof until !== 'string' || !ISO.test(until) || !Number.isFinite(Date.parse(until))))
    throw new Error('until');
  return {
    time,
    action: action as PolicyAction,
    pattern,
    ...(by === undefined ? {} : { by: by as string }),
    ...(until === undefined ? {} : { until: until as string }),
  };
}

/** `14:02:11` of an ISO time (UTC), `--:--:--` when there is none. */
export function clockOf(iso: string | undefined): string {
  return iso !== undefined && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(iso) ? iso.slice(11, 19) : '--:--:--';
}

/** `policy  14:02:11  allow pypi.org by alice (until 14:12:11)`: times in UTC. */
export function formatPolicyChange(change: PolicyChange): string {
  const by = change.by === undefined ? '' : ` by ${change.by}`;
  const until = change.until === undefined ? '' : ` (until ${clockOf(change.until)})`;
  return `policy  ${clockOf(change.time)}  ${change.action} ${change.pattern}${by}${until}`;
}
