import { isIP } from 'node:net';
import type { EgressEvent } from './egress-log-parser.js';
import { sanitizeProtocol } from './egress-names.js';

/**
 * The firewall's lines of the egress log (R142, R151): ulogd2's JSON per rejected packet (or
 * per connection admitted on an extra port) and root's `#conn` byte counts. The DNS and the
 * name check's lines are read in egress-log-parser.ts, which calls these.
 */

const PROTOCOLS: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6', 132: 'sctp' };

function numberField(record: Record<string, unknown>, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = record[key];
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    if (typeof value === 'string' && /^[0-9]+$/.test(value)) return Number(value);
  }
  return undefined;
}

/**
 * `#conn ADDRESS PORT UP DOWN`: bytes of connections admitted on an extra port since the last
 * report (the entrypoint reads them from the kernel's connection table, R151). They add to
 * that destination's bytes, not to its count.
 */
export function parseConnBytes(line: string): EgressEvent | undefined {
  const match = /^#conn (\S+) (\d{1,5}) (\d{1,15}) (\d{1,15})$/.exec(line);
  if (match === null || isIP(match[1] ?? '') === 0) return undefined;
  return {
    verdict: 'allowed',
    kind: 'connect',
    address: match[1],
    port: Number(match[2]),
    protocol: 'tcp',
    bytesUp: Number(match[3]),
    bytesDown: Number(match[4]),
    count: 0,
  };
}

/**
 * One line of ulogd2's JSON output, one object per packet the firewall rejected (or, prefix
 * `codex-allowed`, per connection it admitted on an extra port). Field names
 * follow ulogd's CIM names (`dest_ip`, `dest_port`), with its plain key names as a fallback.
 * The reason is settled later, once the DNS log has named the addresses.
 */
export function parsePacketLine(line: string): EgressEvent | undefined {
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
  // A connection admitted on an extra port (R151), else a rejected packet.
  const admitted = record['oob.prefix'] === 'codex-allowed';
  return {
    time,
    ...(admitted ? { verdict: 'allowed' as const } : { verdict: 'refused' as const, reason: 'address without a name' as const }),
    kind: 'connect',
    address,
    ...(port === undefined ? {} : { port }),
    ...(protocol === undefined ? {} : { protocol }),
  };
}
