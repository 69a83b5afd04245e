import { isIP } from 'node:net';
import { coversName } from './egress-policy.js';

/**
 * Why a connection or a name was refused (R92): the name check of 80/443 (Squid), the DNS
 * filter (dnsmasq) or the firewall (ulogd2).
 */
export type EgressReason = 'name not allowed' | 'TLS without a name' | 'name does not match' | 'address without a name' | 'DNS';

export const EGRESS_REASONS: readonly EgressReason[] = [
  'name not allowed',
  'TLS without a name',
  'name does not match',
  'address without a name',
  'DNS',
];

/** How the destination was asked for: a DNS query, HTTP (Host), TLS (SNI), any other connection. */
export type EgressKind = 'dns' | 'http' | 'tls' | 'connect';

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
}

export interface ParsedEgressLog {
  events: EgressEvent[];
  /** Lines the sandbox left out of the log (rate limit or size cap). */
  dropped: number;
}

/** Names the entrypoint itself uses to check the resolver and the name check: never the agent's. */
const INTERNAL_NAME = /(^|\.)codex-sandbox\.invalid$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const PROTOCOLS: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6', 132: 'sctp' };

/** The agent chose these names: keep them printable and short before they reach a terminal. */
export function sanitizeName(name: string): string {
  return name
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/[^a-z0-9._*-]/g, '?')
    .slice(0, 253);
}

/** A protocol name the sandbox (or a forged copy) wrote: lowercase letters and digits, at most 10. */
export function sanitizeProtocol(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 10);
}

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

function numberField(record: Record<string, unknown>, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = record[key];
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    if (typeof value === 'string' && /^[0-9]+$/.test(value)) return Number(value);
  }
  return undefined;
}

/**
 * One line of ulogd2's JSON output, one object per packet the firewall rejected. Field names
 * follow ulogd's CIM names (`dest_ip`, `dest_port`), with its plain key names as a fallback.
 * The reason is settled later, once the DNS log has named the addresses.
 */
function parsePacketLine(line: string): EgressEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  let record: Record<string, unknown>;
  try {
    const parsed = JSON.parse(line) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    record = parsed as Record<string, unknown>;
  } catch {
    return undefined; // a line cut off by the container's exit
  }
  const address = [record.dest_ip, record['ip.daddr.str'], record['ip6.daddr.str']].find(
    (v): v is string => typeof v === 'string' && isIP(v) !== 0,
  );
  if (address === undefined) return undefined;
  const protocolNumber = numberField(record, ['ip.protocol', 'ip6.nexthdr', 'proto']);
  const protocol =
    typeof record.proto === 'string'
      ? sanitizeProtocol(record.proto)
      : protocolNumber === undefined
        ? undefined
        : (PROTOCOLS[protocolNumber] ?? String(protocolNumber));
  const port = numberField(record, ['dest_port', 'tcp.dport', 'udp.dport', 'sctp.dport']);
  const time = typeof record.timestamp === 'string' ? record.timestamp : undefined;
  return {
    time,
    verdict: 'refused',
    reason: 'address without a name',
    kind: 'connect',
    address,
    ...(port === undefined ? {} : { port }),
    ...(protocol === undefined ? {} : { protocol }),
  };
}

/** A URL-escaped field of Squid's log (`-` when empty), decoded and made printable. */
function squidField(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '-' || raw === '') return undefined;
  let text = raw;
  try {
    text = decodeURIComponent(raw);
  } catch {
    // left as it is: sanitizeName makes it printable
  }
  return text;
}

function squidTime(raw: string | undefined): string | undefined {
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000).toISOString() : undefined;
}

function squidCount(raw: string | undefined): number | undefined {
  return raw !== undefined && /^[0-9]{1,15}$/.test(raw) ? Number(raw) : undefined;
}

/** Host (or SNI) as name or address: an IP literal is never a name. */
function nameOrAddress(host: string): { name?: string; address?: string } {
  const bare = host.replace(/^\[|\]$/g, '');
  return isIP(bare) !== 0 ? { address: bare } : { name: sanitizeName(host) };
}

/**
 * One line of the name check (image/lib-egress.sh `logformat codex`):
 * `squid TIME CLIENT LPORT METHOD HOST PORT SNI BUMP HTTP-STATUS SQUID-STATUS ERROR SERVER UP DOWN`.
 * Returns undefined for Squid's intermediate records (the TLS peek before the decision, a
 * client that left before sending anything) and for the start-up self-check.
 */
export function parseSquidLine(line: string): EgressEvent | undefined {
  const f = line.split(' ');
  if (f[0] !== 'squid' || f.length < 15) return undefined;
  const [, timeRaw, , , method, hostRaw, portRaw, sniRaw, bump, , squidStatus, error, server, upRaw, downRaw] = f;
  const host = squidField(hostRaw);
  const sni = squidField(sniRaw);
  if (method === undefined || method === '-' || host === undefined) return undefined;
  if (INTERNAL_NAME.test(sanitizeName(host)) || (sni !== undefined && INTERNAL_NAME.test(sanitizeName(sni)))) return undefined;
  const port = squidCount(portRaw);
  const base = {
    time: squidTime(timeRaw),
    kind: (method === 'CONNECT' ? 'tls' : 'http') as EgressKind,
    ...(port === undefined ? {} : { port }),
  };
  if (bump === 'terminate') {
    if (sni === undefined) return { ...base, verdict: 'refused', reason: 'TLS without a name', ...nameOrAddress(host) };
    return { ...base, verdict: 'refused', reason: 'name not allowed', ...nameOrAddress(sni) };
  }
  if (error === 'ERR_CONFLICT_HOST') return { ...base, verdict: 'refused', reason: 'name does not match', ...nameOrAddress(sni ?? host) };
  if (squidStatus === 'TCP_DENIED' || error === 'ERR_ACCESS_DENIED') {
    const target = nameOrAddress(host);
    return { ...base, verdict: 'refused', reason: target.name === undefined ? 'address without a name' : 'name not allowed', ...target };
  }
  // The TLS peek's own record (no server yet; a CONNECT's answered 200 already): the
  // decision follows in a second line.
  if (squidStatus === 'NONE_NONE' && (server === undefined || server === '-')) return undefined;
  const up = squidCount(upRaw);
  const down = squidCount(downRaw);
  return {
    ...base,
    verdict: 'allowed',
    ...nameOrAddress(sni ?? host),
    ...(server !== undefined && server !== '-' && isIP(server) !== 0 ? { address: server } : {}),
    ...(up === undefined ? {} : { bytesUp: up }),
    ...(down === undefined ? {} : { bytesDown: down }),
  };
}

/**
 * The capped log the sandbox wrote (image/lib-egress.sh): dnsmasq, Squid and ulogd2 lines
 * mixed, plus `#dropped N` counts. A refusal by Squid's address check (409) of a name the
 * DNS filter refused too is a name that is not allowed (Squid looked it up first).
 */
export function parseEgressLog(text: string, now: Date): ParsedEgressLog {
  const events: EgressEvent[] = [];
  const names = new Map<string, string>();
  const policy: Policy = { allow: undefined, deny: [], upstream: undefined };
  let dropped = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#dropped ')) {
      dropped += squidCount(line.slice('#dropped '.length).trim()) ?? 0;
    } else if (line.startsWith('#allow ') || line.startsWith('#deny ') || line.startsWith('#upstream ')) {
      const patterns = line
        .slice(line.indexOf(' ') + 1)
        .split(' ')
        .filter((p) => p !== '');
      if (line.startsWith('#allow ')) policy.allow = patterns;
      else if (line.startsWith('#deny ')) policy.deny = patterns;
      else policy.upstream = patterns[0];
    } else if (line.startsWith('squid ')) {
      const event = parseSquidLine(line);
      if (event !== undefined) events.push(event);
    } else if (line.startsWith('{')) {
      const event = parsePacketLine(line);
      if (event !== undefined) events.push(event);
    } else {
      const lost = /\sdnsmasq\[\d+\]: (\d{1,9}) log entries lost/.exec(line);
      if (lost !== null) dropped += Number(lost[1]);
      else parseDnsLine(line, now, events, names);
    }
  }
  return { events: settleReasons(events, names, policy), dropped };
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
    if (event.kind === 'connect' && event.address !== undefined && event.name === undefined) {
      const name = names.get(event.address);
      return name === undefined || name === policy.upstream ? event : { ...event, name, reason: 'name not allowed' };
    }
    if (event.reason === 'name does not match' && notAllowed(event.name)) return { ...event, reason: 'name not allowed' };
    return event;
  });
}
