import { parseAllowSpec } from './allow-spec.js';
import { UsageError } from '../errors.js';

/**
 * The live policy of a running sandbox (R167): what `allow`/`deny` send to the image's
 * `sandbox-policy` (through `docker exec -u 0`, the only control channel, R168), and how a
 * saved change is added to the project's settings text.
 */

export type LiveAction = 'allow' | 'deny';

const SANDBOX_POLICY = '/usr/local/bin/sandbox-policy';
const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };
/** The longest `--for`: a live change is for this run; anything longer belongs in the settings (`--save`). */
const MAX_LIVE_SECONDS = 7 * 86400;

/** `--for 30s|10m|2h|1d` → seconds (1 s … 7 days). */
export function parseLiveDuration(text: string): number {
  const match = /^([1-9][0-9]{0,6})([smhd])$/.exec(text.trim());
  const seconds = match === null ? NaN : Number(match[1]) * (UNITS[match[2] ?? ''] ?? NaN);
  if (!Number.isFinite(seconds) || seconds > MAX_LIVE_SECONDS)
    throw new UsageError(`--for ${JSON.stringify(text)}: give a duration such as 30s, 10m, 2h or 1d (at most 7d)`);
  return seconds;
}

/** `--ask` without `--ask-timeout` (R172). */
export const DEFAULT_ASK_SECONDS = 30;

/** `--ask-timeout 45s|2m|45` → seconds, 1 to 120 (a client's resolver waits at most 30 s per try, then asks again). */
export function parseAskTimeout(text: string): number {
  const match = /^([1-9][0-9]{0,2})(s|m)?$/.exec(text.trim());
  const seconds = match === null ? NaN : Number(match[1]) * (match[2] === 'm' ? 60 : 1);
  if (!Number.isFinite(seconds) || seconds > 120)
    throw new UsageError(`--ask-timeout ${JSON.stringify(text)}: give seconds such as 30s or 2m (1s to 120s)`);
  return seconds;
}

/**
 * HOST… of `allow`/`deny`: `host`, `*.host` or a preset (its hosts), checked as `--allow`
 * checks them. Ports and method/path rules change the firewall's and the inspection's
 * start-up state: they need a new run.
 */
export function parseLiveHosts(raws: readonly string[], verb: LiveAction): string[] {
  if (raws.length === 0) throw new UsageError(`${verb}: give at least one HOST (host, *.host or a preset such as @pypi)`);
  const hosts: string[] = [];
  for (const raw of raws) {
    if (/\s/.test(raw.trim()) || raw.includes('/'))
      throw new UsageError(`${verb} ${JSON.stringify(raw)}: method and path rules need a new run (--allow '${raw.trim()}')`);
    const parsed = parseAllowSpec(raw, verb);
    if (parsed.ports.length > 0)
      throw new UsageError(`${verb} ${JSON.stringify(raw)}: a running sandbox takes host or *.host (HTTP/HTTPS); a port needs a new run`);
    for (const domain of parsed.domains) if (!hosts.includes(domain)) hosts.push(domain);
  }
  return hosts;
}

/** Who asked, as the record keeps it: the host user's name, or `-` when it is not a plain name. */
export function toRequester(name: string | undefined): string {
  return name !== undefined && /^[A-Za-z0-9._-]{1,32}$/.test(name) ? name : '-';
}

export interface LiveChange {
  container: string;
  action: LiveAction;
  by: string;
  /** Epoch seconds when the change ends; absent: when the sandbox stops. */
  until?: number;
  hosts: readonly string[];
}

/** `docker exec -u 0 -w / CONTAINER sandbox-policy ACTION BY UNTIL HOST…` (root, never in the agent's directory). */
export function buildPolicyChangeArgs(change: LiveChange): string[] {
  const until = change.until === undefined ? '-' : String(Math.floor(change.until));
  return ['exec', '-u', '0', '-w', '/', change.container, SANDBOX_POLICY, change.action, change.by, until, ...change.hosts];
}

/** `sandbox-policy show` (the live changes) or `pending` (the names `--ask` holds now, R172). */
export function buildPolicyShowArgs(container: string, what: 'show' | 'pending' = 'show'): string[] {
  return ['exec', '-u', '0', '-w', '/', container, SANDBOX_POLICY, what];
}

/** Parses `sandbox-policy pending` (NAME SINCE TIMEOUT per line): name → epoch seconds when its hold ends. */
export function parsePendingNames(text: string): Map<string, number> {
  const held = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-z0-9.-]{1,253}) ([0-9]{1,12}) ([0-9]{1,3})$/.exec(line);
    if (match !== null) held.set(match[1] ?? '', Number(match[2]) + Number(match[3]));
  }
  return held;
}

export interface LiveEntry {
  action: LiveAction;
  pattern: string;
  until?: number;
  by: string;
}

/** Parses `sandbox-policy show` (ACTION PATTERN UNTIL BY per line); anything else is skipped. */
export function parseLiveEntries(text: string): LiveEntry[] {
  const entries: LiveEntry[] = [];
  for (const line of text.split('\n')) {
    const match = /^(allow|deny) ((?:\*\.)?[a-z0-9.-]{1,253}) ([0-9]{1,12}|-) ([A-Za-z0-9._-]{1,32})$/.exec(line);
    if (match === null) continue;
    const until = match[3] === '-' ? undefined : Number(match[3]);
    entries.push({
      action: match[1] as LiveAction,
      pattern: match[2] ?? '',
      ...(until === undefined ? {} : { until }),
      by: match[4] ?? '-',
    });
  }
  return entries;
}

/**
 * The project's settings text with HOSTS added to `[network] allow` or `deny` (`--save`):
 * the key's line gets them appended (comma-separated, no duplicate), else the key goes under
 * an existing [network], else a new [network] section is added at the end.
 */
export function addToSettingsText(text: string | undefined, key: LiveAction, hosts: readonly string[]): string {
  const lines = (text ?? '').split('\n');
  if (lines.at(-1) === '') lines.pop();
  let section: string | undefined;
  let networkAt = -1;
  for (let index = 0; index < lines.length; index++) {
    const line = (lines[index] ?? '').trim();
    const header = /^\[([^\]]*)\]$/.exec(line);
    if (header !== null) {
      section = (header[1] ?? '').trim();
      if (section === 'network') networkAt = index;
      continue;
    }
    const assignment = /^([A-Za-z0-9_.-]+)\s*=(.*)$/.exec(line);
    if (section !== 'network' || assignment === null || assignment[1] !== key) continue;
    const present = (assignment[2] ?? '').split(/[\s,]+/).filter((entry) => entry !== '');
    const added = hosts.filter((host) => !present.includes(host));
    if (added.length > 0) lines[index] = `${key} = ${[...present, ...added].join(', ')}`;
    return `${lines.join('\n')}\n`;
  }
  if (networkAt !== -1) lines.splice(networkAt + 1, 0, `${key} = ${hosts.join(', ')}`);
  else lines.push(...(lines.length === 0 ? [] : ['']), '[network]', `${key} = ${hosts.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
