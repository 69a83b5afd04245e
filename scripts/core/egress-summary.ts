import { isIP } from 'node:net';
import { explainInvalidDomain } from './allowlist.js';

/** One refusal seen in the raw egress log. */
export interface EgressEvent {
  time?: string;
  kind: 'dns' | 'connect';
  name?: string;
  address?: string;
  port?: number;
  protocol?: string;
}

/** One blocked destination of a run: what `<run id>.jsonl` holds, one per line. */
export interface EgressDestination {
  /** First time it was refused (ISO 8601 when known). */
  time?: string;
  lastTime?: string;
  kind: 'dns' | 'connect';
  /** Host name: the refused name (dns), or the allowed name that resolved to `address` (connect). */
  name?: string;
  address?: string;
  port?: number;
  protocol?: string;
  count: number;
}

/** Names the entrypoint itself queries to check the resolver: never the agent's doing. */
const INTERNAL_NAME = /(^|\.)codex-sandbox\.invalid$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const PROTOCOLS: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6', 132: 'sctp' };
const SHOWN_IN_SUMMARY = 8;

/** The agent chose these names: keep them printable and short before they reach a terminal. */
export function sanitizeName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '').replace(/[^a-z0-9._*-]/g, '?').slice(0, 253);
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
 * dnsmasq's query log: `config NAME is NXDOMAIN` is a name the DNS filter refused;
 * `reply NAME is ADDRESS` maps allowed names to addresses (to name refused connections).
 */
export function parseDnsLog(text: string, now: Date): { events: EgressEvent[]; names: Map<string, string> } {
  const events: EgressEvent[] = [];
  const names = new Map<string, string>();
  for (const line of text.split('\n')) {
    const stamp = /^([A-Z][a-z]{2}\s+\d{1,2}\s+\d\d:\d\d:\d\d)\s/.exec(line)?.[1];
    const refused = /\sconfig (\S+) is (NXDOMAIN|NODATA\S*)\s*$/.exec(line);
    if (refused !== null) {
      const name = sanitizeName(refused[1] ?? '');
      if (name === '' || INTERNAL_NAME.test(name)) continue;
      events.push({ time: stamp === undefined ? undefined : syslogTimeToIso(stamp, now), kind: 'dns', name });
      continue;
    }
    const reply = /\s(?:reply|cached) (\S+) is (\S+)\s*$/.exec(line);
    if (reply !== null && isIP(reply[2] ?? '') !== 0) names.set(reply[2] ?? '', sanitizeName(reply[1] ?? ''));
  }
  return { events, names };
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
 * ulogd2's JSON output, one object per rejected packet. Field names follow ulogd's
 * CIM names (`dest_ip`, `dest_port`), with its plain key names as a fallback.
 */
export function parsePacketLog(text: string): EgressEvent[] {
  const events: EgressEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let record: Record<string, unknown>;
    try {
      const parsed = JSON.parse(line) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) continue;
      record = parsed as Record<string, unknown>;
    } catch {
      continue; // a line cut off by the container's exit
    }
    const address = [record.dest_ip, record['ip.daddr.str'], record['ip6.daddr.str']].find((v): v is string => typeof v === 'string' && isIP(v) !== 0);
    if (address === undefined) continue;
    const protocolNumber = numberField(record, ['ip.protocol', 'ip6.nexthdr', 'proto']);
    const protocol = typeof record.proto === 'string' ? record.proto.toLowerCase().replace(/[^a-z0-9]/g, '') : protocolNumber === undefined ? undefined : (PROTOCOLS[protocolNumber] ?? String(protocolNumber));
    const port = numberField(record, ['dest_port', 'tcp.dport', 'udp.dport', 'sctp.dport']);
    const time = typeof record.timestamp === 'string' ? record.timestamp : undefined;
    events.push({ time, kind: 'connect', address, port, protocol });
  }
  return events;
}

const keyOf = (event: EgressEvent) => [event.kind, event.name ?? '', event.address ?? '', event.port ?? '', event.protocol ?? ''].join('|');

/** Groups events per destination (count, first and last time), most frequent first. */
export function aggregateEgress(events: readonly EgressEvent[], addressNames: ReadonlyMap<string, string> = new Map()): EgressDestination[] {
  const byKey = new Map<string, EgressDestination>();
  for (const event of events) {
    const existing = byKey.get(keyOf(event));
    if (existing === undefined) {
      const name = event.kind === 'connect' && event.address !== undefined ? addressNames.get(event.address) : event.name;
      byKey.set(keyOf(event), {
        time: event.time,
        lastTime: event.time,
        kind: event.kind,
        ...(name === undefined ? {} : { name }),
        ...(event.address === undefined ? {} : { address: event.address }),
        ...(event.port === undefined ? {} : { port: event.port }),
        ...(event.protocol === undefined ? {} : { protocol: event.protocol }),
        count: 1,
      });
      continue;
    }
    existing.count += 1;
    if (event.time !== undefined) {
      if (existing.time === undefined || event.time < existing.time) existing.time = event.time;
      if (existing.lastTime === undefined || event.time > existing.lastTime) existing.lastTime = event.time;
    }
  }
  return [...byKey.values()].sort((a, b) => b.count - a.count || (a.time ?? '').localeCompare(b.time ?? ''));
}

/** `pypi.org`, `10.0.0.5:5432`, `[fd00::1]:22`, `db.test:5432`, `10.0.0.5:53/udp`. */
export function describeDestination(destination: EgressDestination): string {
  if (destination.kind === 'dns') return destination.name ?? '?';
  const host = destination.name ?? (destination.address?.includes(':') ? `[${destination.address}]` : (destination.address ?? '?'));
  const port = destination.port === undefined ? '' : `:${destination.port}`;
  const protocol = destination.protocol === undefined || destination.protocol === 'tcp' ? '' : `/${destination.protocol}`;
  return `${host}${port}${protocol}`;
}

/**
 * The `--allow` that would let it through, when there is a safe one: refused names get
 * `--allow name`; a refused TCP port gets `--allow name:port` only when the name is known
 * (bare addresses get nothing: the allowlist takes names only).
 */
export function suggestAllow(destination: EgressDestination): string | undefined {
  const name = destination.name;
  if (name === undefined || explainInvalidDomain(name) !== undefined) return undefined;
  if (destination.kind === 'dns') return name;
  const tcp = destination.protocol === undefined || destination.protocol === 'tcp';
  if (!tcp || destination.port === undefined || destination.port === 80 || destination.port === 443) return undefined;
  return `${name}:${destination.port}`;
}

/** The one line printed after a run; undefined when nothing was blocked. */
export function formatEgressSummary(destinations: readonly EgressDestination[]): string | undefined {
  if (destinations.length === 0) return undefined;
  const shown = destinations.slice(0, SHOWN_IN_SUMMARY).map((d) => `${describeDestination(d)} (${d.count}×)`);
  if (destinations.length > SHOWN_IN_SUMMARY) shown.push(`${destinations.length - SHOWN_IN_SUMMARY} more`);
  const noun = destinations.length === 1 ? 'destination' : 'destinations';
  const suggestions = [...new Set(destinations.map(suggestAllow).filter((s): s is string => s !== undefined))];
  const allow = suggestions.length === 0 ? '' : ` — allow with: ${suggestions.map((s) => `--allow ${s}`).join(' ')}`;
  return `blocked ${destinations.length} ${noun}: ${shown.join(' · ')}${allow}`;
}

/** One JSON object per line, in the order given. */
export function formatEgressJsonl(destinations: readonly EgressDestination[]): string {
  return destinations.map((d) => `${JSON.stringify(d)}\n`).join('');
}

/**
 * Reads a `<run id>.jsonl` back. It lies in the Codex home, which the agent can write, so
 * every field is checked and names are sanitized; bad lines are counted, not trusted.
 */
export function parseEgressJsonl(text: string): { destinations: EgressDestination[]; badLines: number } {
  const destinations: EgressDestination[] = [];
  let badLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as Record<string, unknown>;
      const kind = r.kind;
      const count = r.count;
      if ((kind !== 'dns' && kind !== 'connect') || typeof count !== 'number' || !Number.isInteger(count) || count < 1) throw new Error('shape');
      const text = (value: unknown) => (typeof value === 'string' ? value.replace(/[^0-9A-Za-z:.+-]/g, '').slice(0, 40) : undefined);
      const d: EgressDestination = { time: text(r.time), lastTime: text(r.lastTime), kind, count };
      if (typeof r.name === 'string') d.name = sanitizeName(r.name);
      if (typeof r.address === 'string' && isIP(r.address) !== 0) d.address = r.address;
      if (typeof r.port === 'number' && Number.isInteger(r.port) && r.port > 0 && r.port < 65536) d.port = r.port;
      if (typeof r.protocol === 'string') d.protocol = r.protocol.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 10);
      if (d.name === undefined && d.address === undefined) throw new Error('no destination');
      destinations.push(d);
    } catch {
      badLines += 1;
    }
  }
  return { destinations, badLines };
}
