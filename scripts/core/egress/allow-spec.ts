import { isIP } from 'node:net';
import { explainInvalidDomain } from './allowlist.js';
import { UsageError } from '../errors.js';
import { splitMethods, splitPath, type HttpRule } from './http-rule.js';
import { expandPreset } from './presets.js';

/** A host reachable on one TCP port other than 80/443 (`github.com:22`, `*.lab.test:2222`). */
export interface PortEntry {
  host: string;
  port: number;
}

/** What one SPEC stands for: host names (ports 80/443) and host:port pairs. */
export interface ParsedSpec {
  domains: string[];
  ports: PortEntry[];
  /** Method and path rules of the spec's host (R165); absent for a plain allowance. */
  rules?: HttpRule[];
}

const IP_HINT = 'for a service on the Docker host use --allow-host-port PORT';

function refuseIp(raw: string, source: string): never {
  throw new UsageError(
    `${source}: ${JSON.stringify(raw)} is not a valid host name (IP addresses are not allowed, only host names); ${IP_HINT}`,
  );
}

/** A TCP port: an integer 1-65535 written in decimal digits. */
export function parsePort(text: string, what: string): number {
  const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new UsageError(`${what} ${JSON.stringify(text)} is not a TCP port: use a number from 1 to 65535`);
  }
  return port;
}

/** Normalises and validates one host name (or `*.name`), naming the spec and its source on error. */
function normalizeHost(host: string, raw: string, source: string): string {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (isIP(name.replace(/^\[|\]$/g, '')) !== 0 || isIP(raw.replace(/^\[|\]$/g, '')) !== 0) {
    refuseIp(raw, source);
  }
  const why = explainInvalidDomain(name);
  if (why !== undefined) {
    const hint = why.startsWith('IP addresses') ? IP_HINT : 'use e.g. example.com, *.example.com, example.com:22 or @npm';
    throw new UsageError(`${source}: ${JSON.stringify(raw)} is not a valid host name (${why}); ${hint}`);
  }
  return name;
}

/**
 * One `--allow`/`--deny` SPEC: `host`, `*.host` (subdomains only), `host:port`, or a preset
 * `@name`. `host:80` and `host:443` are the plain entry (those ports are always open for
 * an allowed name). `source` names where the SPEC came from in errors.
 */
export function parseAllowSpec(raw: string, source: string, options: { rules?: boolean } = {}): ParsedSpec {
  const spec = raw.trim();
  if (spec.startsWith('@')) return { domains: [...expandPreset(spec, source)], ports: [] };
  if (isIP(spec.replace(/^\[|\]$/g, '')) !== 0 || /^\[.*\](:[0-9]+)?$/.test(spec)) {
    refuseIp(raw, source);
  }
  // Rules (R165) come from the command line only: settings and variables split on blanks.
  if (options.rules === true && !spec.includes('://')) {
    const { methods, rest } = splitMethods(spec, source);
    if (methods !== undefined || rest.includes('/')) return parseRuleSpec(methods, rest, raw, source);
  }
  if (spec.includes('/')) {
    throw new UsageError(`${source}: ${JSON.stringify(raw)} is not a host name: give the name only, e.g. example.com or example.com:22`);
  }
  const colon = spec.lastIndexOf(':');
  if (colon === -1) return { domains: [normalizeHost(spec, raw, source)], ports: [] };
  const host = normalizeHost(spec.slice(0, colon), raw, source);
  const port = parsePort(spec.slice(colon + 1), `${source}: port in ${JSON.stringify(raw)}:`);
  if (port === 80 || port === 443) return { domains: [host], ports: [] };
  return { domains: [], ports: [{ host, port }] };
}

/** `GET,HEAD host` / `host/path/*` (R165): the host is allowed (80/443), with that rule. */
function parseRuleSpec(methods: string[] | undefined, rest: string, raw: string, source: string): ParsedSpec {
  const { host: hostText, prefix } = splitPath(rest, source);
  if (hostText.includes(':') || hostText.startsWith('@')) {
    throw new UsageError(`${source}: ${JSON.stringify(raw)}: method and path rules are for a host name (80/443), not a port or preset`);
  }
  const host = normalizeHost(hostText, raw, source);
  return {
    domains: [host],
    ports: [],
    rules: [{ ...(methods === undefined ? {} : { methods }), host, ...(prefix === undefined ? {} : { prefix }) }],
  };
}

/** `host:port` as the image expects it in SANDBOX_ALLOWED_PORTS. */
export function formatPortEntry(entry: PortEntry): string {
  return `${entry.host}:${entry.port}`;
}

/**
 * A host pattern without ports or presets: an exact name or `*.name` (`--no-inspect`, the hosts
 * of `--secret`, R160, R163), checked as an allowance's host is; returned normalised.
 */
export function parseHostPattern(raw: string, source: string): string {
  const spec = raw.trim();
  if (spec.startsWith('@') || spec.includes(':')) {
    throw new UsageError(`${source}: ${JSON.stringify(raw)} is not a host name: give a name or *.name, without port or preset`);
  }
  const parsed = parseAllowSpec(spec, source);
  const [domain] = parsed.domains;
  if (domain === undefined) throw new UsageError(`${source}: ${JSON.stringify(raw)} is not a host name: give a name or *.name`);
  return domain;
}
