import { isIP } from 'node:net';
import { parsePolicyLine, type PolicyChange } from './egress-changes.js';
import { coversName } from './egress-policy.js';
import { dnsdistNameBytes, escapeMalformedName, sanitizeName } from './egress-names.js';
import { parseConnBytes, parsePacketLine } from './egress-packets.js';
import { parseRequestLine } from './egress-requests.js';
import { INTERNAL_NAME, parseSquidLine } from './egress-squid.js';

export { sanitizeName, sanitizeProtocol } from './egress-names.js';
export { parseSquidLine } from './egress-squid.js';

/**
 * Why a connection or a name was refused (R92): the name check of 80/443 (Squid), the DNS
 * filter (dnsmasq) or the firewall (ulogd2).
 */
export type EgressReason =
  | 'name not allowed'
  | 'TLS without a name'
  | 'name does not match'
  | 'address without a name'
  | 'DNS'
  | 'malformed name'
  // Requests inside inspected traffic (R160-R166).
  | 'credential sent'
  | 'rule'
  | 'read-only web'
  | 'upstream certificate not trusted';

export const EGRESS_REASONS: readonly EgressReason[] = [
  'name not allowed',
  'TLS without a name',
  'name does not match',
  'address without a name',
  'DNS',
  'malformed name',
  'credential sent',
  'rule',
  'read-only web',
  'upstream certificate not trusted',
];

/** How the destination was asked for: a DNS query, HTTP (Host), TLS (SNI), any other connection; a request inside inspected traffic. */
export type EgressKind = 'dns' | 'http' | 'tls' | 'connect' | 'request';

/** One decision seen in the raw egress log. */
export interface EgressEvent {
  time?: string;
  verdict: 'allowed' | 'refused';
  reason?: EgressReason;
  kind: EgressKind;
  name?: string;
  address?: string;
  port?: number;
  protocol?: string;
  /** Allowed connections: bytes the agent sent and received. */
  bytesUp?: number;
  bytesDown?: number;
  /** How many occurrences this event stands for (a `#repeat N` line of the capper, R140); 1 when absent. */
  count?: number;
  /** Requests (R166): method, path (no query, at most 200 characters), status, the credential's name. */
  method?: string;
  path?: string;
  status?: number;
  credential?: string;
}

export interface ParsedEgressLog {
  events: EgressEvent[];
  /** Events the sandbox did not record (R143): the capper's budgets, the kernel's log limit, dnsmasq's buffer. */
  dropped: number;
  /** Changes of the live policy (`#policy` lines, R170), in log order; absent when there were none. */
  changes?: PolicyChange[];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** dnsmasq's "Mon dd hh:mm:ss" (the container's clock is UTC) as ISO, in the year of `now`. */
function syslogTimeToIso(stamp: string, now: Date): string | undefined {
  const match = /^([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d\d):(\d\d):(\d\d)$/.exec(stamp);
  const month = MONTHS.indexOf(match?.[1] ?? '');
  if (match === null || month < 0) return undefined;
  const at = (year: number) => new Date(Date.UTC(year, month, Number(match[2]), Number(match[3]), Number(match[4]), Number(match[5])));
  let date = at(now.getUTCFullYear());
  if (date.getTime() - now.getTime() > 86400000) date = at(now.getUTCFullYear() - 1);
  return date.toISOString();
}

/**
 * One line of dnsmasq's query log: `config NAME is NXDOMAIN` is a name the DNS filter refused;
 * `reply NAME is ADDRESS` maps allowed names to addresses (to name refused connections).
 */
function parseDnsLine(line: string, now: Date, events: EgressEvent[], names: Map<string, string>): void {
  const stamp = /^([A-Z][a-z]{2}\s+\d{1,2}\s+\d\d:\d\d:\d\d)\s/.exec(line)?.[1];
  const refused = /\sconfig (\S+) is (NXDOMAIN|NODATA\S*)\s*$/.exec(line);
  if (refused !== null) {
    const name = sanitizeName(refused[1] ?? '');
    if (name === '' || INTERNAL_NAME.test(name)) return;
    events.push({
      time: stamp === undefined ? undefined : syslogTimeToIso(stamp, now),
      verdict: 'refused',
      reason: 'DNS',
      kind: 'dns',
      name,
    });
    return;
  }
  const reply = /\s(?:reply|cached) (\S+) is (\S+)\s*$/.exec(line);
  if (reply !== null && isIP(reply[2] ?? '') !== 0) names.set(reply[2] ?? '', sanitizeName(reply[1] ?? ''));
}

/**
 * dnsdist's line for a query whose name is no host name (R147):
 * `Packet from 127.0.0.1:39636 for a\032b.example.net. A with id 13330`.
 */
function parseMalformedQuery(line: string): EgressEvent | undefined {
  const match = /^Packet from \S+ for (\S+) \S+ with id \d+$/.exec(line);
  // The entrypoint's own probe of the check (R150): never the agent's.
  if (match === null || /(^|\.)codex-sandbox\.invalid\.?$/.test(match[1] ?? '')) return undefined;
  return { verdict: 'refused', reason: 'malformed name', kind: 'dns', name: escapeMalformedName(dnsdistNameBytes(match[1] ?? '')) };
}

/** The parts of the log that are not events: the logged policy and the counts of what was not recorded. */
interface LogState {
  events: EgressEvent[];
  names: Map<string, string>;
  policy: Policy;
  dropped: number;
  now: Date;
  changes: PolicyChange[];
}

/** `#allow`, `#deny`, `#upstream` heading each file; true when the line was one. */
function readPolicyLine(line: string, policy: Policy): boolean {
  if (!line.startsWith('#allow ') && !line.startsWith('#deny ') && !line.startsWith('#upstream ')) return false;
  const patterns = line
    .slice(line.indexOf(' ') + 1)
    .split(' ')
    .filter((p) => p !== '');
  if (line.startsWith('#allow ')) policy.allow = patterns;
  else if (line.startsWith('#deny ')) policy.deny = patterns;
  else policy.upstream = patterns[0];
  return true;
}

/** One event line (Squid, ulogd2, dnsdist, dnsmasq), standing for `count` occurrences. */
function readEventLine(line: string, count: number, state: LogState): void {
  if (count < 1) return;
  const event = line.startsWith('squid ')
    ? parseSquidLine(line)
    : line.startsWith('req ')
      ? parseRequestLine(line)
      : line.startsWith('{')
        ? parsePacketLine(line)
        : line.startsWith('Packet from ')
          ? parseMalformedQuery(line)
          : undefined;
  if (event !== undefined) {
    state.events.push(count === 1 ? event : { ...event, count });
    return;
  }
  if (/^(squid |req |\{|Packet from )/.test(line)) return;
  const before = state.events.length;
  parseDnsLine(line, state.now, state.events, state.names);
  if (count !== 1 && state.events.length > before) state.events[before] = { ...state.events[before]!, count };
}

/**
 * The capped log the sandbox wrote (image/lib-egress.sh): dnsmasq, Squid, ulogd2 and dnsdist
 * lines mixed, `#repeat N<TAB>LINE` for N more occurrences of LINE's key (R140), and the
 * counts of what was not recorded: `#dropped N`, `#unlogged N`, dnsmasq's lost entries (R143).
 * A refusal by Squid's address check (409) of a name the DNS filter refused too is a name
 * that is not allowed (Squid looked it up first).
 */
export function parseEgressLog(text: string, now: Date): ParsedEgressLog {
  const policy: Policy = { allow: undefined, deny: [], upstream: undefined };
  const state: LogState = { events: [], names: new Map(), policy, dropped: 0, now, changes: [] };
  for (const line of text.split('\n')) {
    const counted = /^#(dropped|unlogged) (\d{1,15})\s*$/.exec(line);
    const repeat = /^#repeat (\d{1,15})\t(.*)$/.exec(line);
    if (counted !== null) state.dropped += Number(counted[2]);
    else if (repeat !== null) readEventLine(repeat[2] ?? '', Number(repeat[1]), state);
    else if (readPolicyLine(line, state.policy)) continue;
    else if (line.startsWith('#policy ')) {
      const change = parsePolicyLine(line);
      if (change !== undefined) state.changes.push(change);
    } else if (line.startsWith('#conn ')) {
      const bytes = parseConnBytes(line);
      if (bytes !== undefined) state.events.push(bytes);
    } else {
      const lost = /\sdnsmasq\[\d+\]: (\d{1,9}) log entries lost/.exec(line);
      if (lost !== null) state.dropped += Number(lost[1]);
      else readEventLine(line, 1, state);
    }
  }
  const events = settleReasons(state.events, state.names, state.policy);
  return { events, dropped: state.dropped, ...(state.changes.length === 0 ? {} : { changes: state.changes }) };
}

/** The policy the sandbox logged (`#allow`/`#deny` heading each file), as the DNS filter applies it. */
interface Policy {
  allow: string[] | undefined;
  deny: string[];
  /** The upstream proxy: only the sandbox's own proxy may reach it, so it is never suggested. */
  upstream: string | undefined;
}

/**
 * Allowed by the logged policy: an allow entry covers it and no deny does. The DNS filter
 * answers a denied name NXDOMAIN for its subdomains too, so `a.b` denies `x.a.b` as `*.a.b` would.
 */
export function isNameAllowed(name: string, allow: readonly string[], deny: readonly string[]): boolean {
  const denied = (p: string) => coversName(p, name) || (!p.startsWith('*.') && coversName(`*.${p}`, name));
  return allow.some((p) => coversName(p, name)) && !deny.some(denied);
}

/**
 * Names firewall refusals from the DNS answers. Squid checks that a name resolves to the
 * address the client chose before it checks the name itself, so its 409 stands for both:
 * a name the policy does not allow is "name not allowed", an allowed one "does not match".
 */
function settleReasons(events: readonly EgressEvent[], names: ReadonlyMap<string, string>, policy: Policy): EgressEvent[] {
  const refusedByDns = new Set(events.filter((e) => e.kind === 'dns').map((e) => e.name));
  const notAllowed = (name: string | undefined) =>
    name !== undefined && (policy.allow === undefined ? refusedByDns.has(name) : !isNameAllowed(name, policy.allow, policy.deny));
  return events.map((event) => {
    if (event.kind === 'request') return event; // decided by the inspection, by name already
    if (event.kind === 'connect' && event.address !== undefined && event.name === undefined) {
      const name = names.get(event.address);
      if (name === undefined || name === policy.upstream) return event;
      return event.verdict === 'allowed' ? { ...event, name } : { ...event, name, reason: 'name not allowed' };
    }
    if (event.reason === 'name does not match' && notAllowed(event.name)) return { ...event, reason: 'name not allowed' };
    // A tunnel refused although its server name is allowed: its CONNECT target was not, or
    // not the same name (R150). Never a name to suggest.
    const allowedName = event.name !== undefined && policy.allow !== undefined && !notAllowed(event.name);
    if (event.reason === 'name not allowed' && event.kind !== 'connect' && allowedName) return { ...event, reason: 'name does not match' };
    return event;
  });
}
