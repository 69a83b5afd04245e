import { isIP } from 'node:net';
import { formatPortEntry, parseHostPattern, parsePort } from './allow-spec.js';
import { explainInvalidDomain } from './allowlist.js';
import { coversName, type EgressPolicy, type EgressProvenance, type EntryOrigin } from './egress-policy.js';
import { UsageError } from '../errors.js';
import { HOST_GATEWAY_NAME } from './proxy-spec.js';

/**
 * `egress check HOST[:PORT]` (R169): would a run's policy let this destination through, by
 * which entry and from which source, or why not. Reads the policy a run is given (its domains,
 * ports, denied names and host ports) the way the image applies it; the provenance only names
 * the source.
 */

/** A destination to check: a host name (no wildcard) and a TCP port (443 when none is given). */
export interface CheckTarget {
  host: string;
  port: number;
}

export type EgressDecision =
  | { allowed: true; pattern: string; source: string; preset?: string }
  | { allowed: false; reason: 'denied'; pattern: string; source: string; preset?: string }
  | { allowed: false; reason: 'not allowed' | 'port not allowed'; suggestion: string };

/** An allowed name is reachable on these ports (HTTP and HTTPS); any other needs a `host:port` entry. */
const WEB_PORTS: readonly number[] = [80, 443];
const DEFAULT_PORT = 443;
const HINT = 'give a host name, optionally with :PORT, e.g. pypi.org or db.example.com:5432';

/** `HOST[:PORT]` as typed after `egress check`: lowercased, validated as an allowance's host is. */
export function parseCheckTarget(raw: string): CheckTarget {
  const text = raw.trim();
  const what = `egress check ${JSON.stringify(raw)}`;
  if (text === '') throw new UsageError(`egress check needs a host: ${HINT}`);
  if (text.includes('*')) throw new UsageError(`${what}: a wildcard is a pattern, not a destination: check one name, e.g. a.example.com`);
  if (text.startsWith('@')) throw new UsageError(`${what}: a preset is not a destination: check one of its hosts (listed in --help)`);
  if (text.includes('/')) throw new UsageError(`${what}: give the host name only, without scheme or path: ${HINT}`);
  if (isIP(text.replace(/^\[|\]$/g, '')) !== 0 || /^\[.*\](:[0-9]*)?$/.test(text)) {
    throw new UsageError(`${what}: IP addresses are never allowed, only host names: check the name the agent connects to`);
  }
  const colon = text.lastIndexOf(':');
  const hostText = (colon === -1 ? text : text.slice(0, colon)).toLowerCase().replace(/\.$/, '');
  const port = colon === -1 ? DEFAULT_PORT : parsePort(text.slice(colon + 1), `${what}: port`);
  const why = explainInvalidDomain(hostText);
  if (why !== undefined) throw new UsageError(`${what} is not a valid host name (${why}): ${HINT}`);
  return { host: parseHostPattern(hostText, 'egress check'), port };
}

/** The most specific entry covering `host`: the name itself, else the longest wildcard. */
function bestMatch(patterns: readonly string[], host: string): string | undefined {
  if (patterns.includes(host)) return host;
  return patterns.filter((pattern) => coversName(pattern, host)).sort((a, b) => b.length - a.length)[0];
}

function originOf(map: ReadonlyMap<string, EntryOrigin>, key: string): EntryOrigin {
  return map.get(key) ?? { source: 'the policy' };
}

function withOrigin<T extends object>(base: T, origin: EntryOrigin): T & EntryOrigin {
  return { ...base, source: origin.source, ...(origin.preset === undefined ? {} : { preset: origin.preset }) };
}

/** A deny entry covering the destination: a name (every port) or `name:port` (that port). */
function findDenial(provenance: EgressProvenance, host: string, port: number): string | undefined {
  const keys = [...provenance.deny.keys()];
  const names = keys.filter((key) => !key.includes(':'));
  const ports = keys.filter((key) => key.endsWith(`:${port}`)).map((key) => key.slice(0, key.lastIndexOf(':')));
  const name = bestMatch(names, host);
  if (name !== undefined) return name;
  const onPort = bestMatch(ports, host);
  return onPort === undefined ? undefined : `${onPort}:${port}`;
}

/** `host.docker.internal:PORT`: only the ports of `--allow-host-port` (R82). */
function decideHostPort(policy: EgressPolicy, provenance: EgressProvenance, port: number): EgressDecision {
  if (!policy.hostPorts.includes(port)) {
    return { allowed: false, reason: 'not allowed', suggestion: `--allow-host-port ${port}` };
  }
  const origin = provenance.hostPorts.get(port) ?? { source: 'the policy' };
  return withOrigin({ allowed: true as const, pattern: `${HOST_GATEWAY_NAME}:${port}` }, origin);
}

/**
 * Would `host:port` be let through by `policy` (R169)? Deny wins: a name the image answers
 * NXDOMAIN, or one a deny entry took out of the policy, is refused as denied. A name allowed
 * for HTTP(S) reaches ports 80 and 443 only; another port needs its own `host:port` entry.
 */
export function decideDestination(policy: EgressPolicy, provenance: EgressProvenance, host: string, port: number): EgressDecision {
  if (host === HOST_GATEWAY_NAME) return decideHostPort(policy, provenance, port);
  const web = WEB_PORTS.includes(port);
  const nxdomain = bestMatch(policy.denied, host);
  if (nxdomain !== undefined)
    return withOrigin({ allowed: false as const, reason: 'denied' as const, pattern: nxdomain }, originOf(provenance.deny, nxdomain));
  const onPort = policy.ports.filter((entry) => entry.port === port).map((entry) => entry.host);
  const match = bestMatch(web ? policy.domains : onPort, host);
  if (match !== undefined) {
    const key = web ? match : formatPortEntry({ host: match, port });
    return withOrigin({ allowed: true as const, pattern: key }, originOf(provenance.allow, key));
  }
  const denial = findDenial(provenance, host, port);
  if (denial !== undefined)
    return withOrigin({ allowed: false as const, reason: 'denied' as const, pattern: denial }, originOf(provenance.deny, denial));
  const suggestion = `--allow ${web ? host : formatPortEntry({ host, port })}`;
  const otherPorts = web ? policy.ports.map((entry) => entry.host) : policy.domains;
  const nameAllowed = bestMatch(otherPorts, host) !== undefined;
  return { allowed: false, reason: nameAllowed ? 'port not allowed' : 'not allowed', suggestion };
}

/** Where an entry came from, as printed: `pypi.org from preset @pypi (--allow)`, `flag.test (--allow)`. */
function describeEntry(decision: { pattern: string; source: string; preset?: string }): string {
  return `${decision.pattern}${decision.preset === undefined ? '' : ` from preset ${decision.preset}`} (${decision.source})`;
}

/** The one line `egress check` prints (R169). */
export function formatDecision(target: CheckTarget, decision: EgressDecision): string {
  const destination = `${target.host}:${target.port}`;
  if (decision.allowed) return `${destination} allowed — ${describeEntry(decision)}`;
  if (decision.reason === 'denied') return `${destination} refused — denied by ${describeEntry(decision)}`;
  const why = decision.reason === 'port not allowed' ? `the name is allowed, port ${target.port} is not` : 'no rule allows it';
  return `${destination} refused — ${why} (allow with: ${decision.suggestion})`;
}

/** `egress check --json` (R169): one object, schema v1. */
export function decisionRecord(target: CheckTarget, decision: EgressDecision): Record<string, unknown> {
  const record: Record<string, unknown> = { v: 1, host: target.host, port: target.port, allowed: decision.allowed };
  if (decision.allowed || decision.reason === 'denied') {
    Object.assign(
      record,
      { pattern: decision.pattern, source: decision.source },
      decision.preset === undefined ? {} : { preset: decision.preset },
    );
  }
  if (!decision.allowed) record.reason = decision.reason;
  if (!decision.allowed && decision.reason !== 'denied') record.suggestion = decision.suggestion;
  return record;
}
