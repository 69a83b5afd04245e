import { formatPortEntry, parseAllowSpec, parsePort, type PortEntry } from './allow-spec.js';
import type { HttpRule } from './http-rule.js';
import { AGENTS, DEFAULT_AGENT, type AgentId } from '../agents/agents.js';
import { UsageError } from '../errors.js';
import { type ProxySpec } from './proxy-spec.js';
import { splitList } from '../split-list.js';

/**
 * One source of egress settings: flags, environment, project file, user file, defaults,
 * a model provider. Values are the raw strings the user wrote; `source` names them in
 * errors ("--allow", "OPENAI_ALLOWED_DOMAINS", ".codex/sandbox.ini [network] allow").
 */
export interface EgressLayer {
  source: string;
  allow?: readonly string[];
  deny?: readonly string[];
  hostPorts?: readonly string[];
  /** Method and path rules may be given here (R165): the command line's `--allow`. */
  rules?: boolean;
}

/** Everything the sandbox may reach, computed once and passed to the image as env values. */
export interface EgressPolicy {
  /** Host names (exact, or `*.name` for subdomains) reachable on 80/443. */
  domains: string[];
  /** Host names reachable on one other TCP port each. */
  ports: PortEntry[];
  /** Every denied name or `*.name`: the image answers them NXDOMAIN (also inside an allowed wildcard) and lets no live change lift them. */
  denied: string[];
  /**
   * TCP ports on the Docker host (host.docker.internal) the agent may open: only those the
   * user asked for (a proxy on the host's loopback is reached by the sandbox's proxy, R91).
   */
  hostPorts: number[];
  proxy?: ProxySpec;
  /** Method and path rules (R165) of hosts no plain allowance covers. */
  rules: HttpRule[];
  /** `--read-only-web` (R165): only GET, HEAD, OPTIONS, except to these hosts (the agent's own API and login). */
  readOnlyWeb?: string[];
  /** `--ask` (R172): seconds a name not yet decided is held while the user answers in `approve`. */
  ask?: number;
}

/** The layer a run of the default agent starts from, plainly 'defaults' as before there were several agents (R14). */
export const DEFAULT_LAYER: EgressLayer = { source: 'defaults', allow: AGENTS[DEFAULT_AGENT].allowlist };

/**
 * The layer a run of `agent` starts from (R123): the registry's hosts, and those its login
 * refreshes through when it runs on a login file rather than an API key.
 */
export function agentDefaultLayer(agent: AgentId, onLogin: boolean): EgressLayer {
  const spec = AGENTS[agent];
  const allow = [...spec.allowlist, ...(onLogin ? spec.credentialHosts : [])];
  return { source: agent === DEFAULT_AGENT ? DEFAULT_LAYER.source : `defaults (${spec.title})`, allow };
}

/** A list value as users write it in a variable or a settings file: SPECs split on spaces and commas. */
export function layerFromText(source: string, text: { allow?: string; deny?: string; hostPorts?: string }): EgressLayer {
  return {
    source,
    allow: text.allow === undefined ? undefined : splitList(text.allow),
    deny: text.deny === undefined ? undefined : splitList(text.deny),
    hostPorts: text.hostPorts === undefined ? undefined : splitList(text.hostPorts),
  };
}

/** Where one entry of a policy came from (R169): the layer's `source`, and the preset (`@pypi`) that named it. */
export interface EntryOrigin {
  source: string;
  preset?: string;
}

/**
 * Which layer each entry of a policy came from (R169), keyed as the policy writes the entry
 * (`name`, `*.name`, `name:port`; host ports by number). Labels only: what is allowed is the
 * policy's (buildEgressPolicy); a deny is kept here although the policy drops what it covers.
 */
export interface EgressProvenance {
  allow: ReadonlyMap<string, EntryOrigin>;
  deny: ReadonlyMap<string, EntryOrigin>;
  hostPorts: ReadonlyMap<number, EntryOrigin>;
}

function recordOrigins(map: Map<string, EntryOrigin>, values: readonly string[] | undefined, source: string, rules: boolean): void {
  for (const raw of values ?? []) {
    const parsed = parseAllowSpec(raw, source, { rules });
    const spec = raw.trim();
    const origin = spec.startsWith('@') ? { source, preset: spec.toLowerCase() } : { source };
    for (const key of [...parsed.domains, ...parsed.ports.map(formatPortEntry)]) map.set(key, origin);
  }
}

/**
 * The provenance of the policy buildEgressPolicy makes of the same `layers` and `defaults`
 * (R169): the layers are read in its order, so an entry several layers name is credited to the
 * one of highest precedence (flags, environment, project file, user file, provider hosts, defaults).
 */
export function egressProvenance(layers: readonly EgressLayer[], defaults: EgressLayer = DEFAULT_LAYER): EgressProvenance {
  const allow = new Map<string, EntryOrigin>();
  const deny = new Map<string, EntryOrigin>();
  const hostPorts = new Map<number, EntryOrigin>();
  for (const layer of [defaults, ...[...layers].reverse()]) {
    recordOrigins(allow, layer.allow, layer.source, layer.rules === true);
    recordOrigins(deny, layer.deny, layer.source, false);
    for (const raw of layer.hostPorts ?? []) hostPorts.set(parsePort(raw, `${layer.source}: host port`), { source: layer.source });
  }
  return { allow, deny, hostPorts };
}

/** Does `pattern` (a host or `*.name`) cover `name` (a host or `*.name`)? */
export function coversName(pattern: string, name: string): boolean {
  if (!pattern.startsWith('*.')) return pattern === name;
  const base = pattern.slice(2);
  const host = name.startsWith('*.') ? name.slice(2) : name;
  // `*.a.b` covers `x.a.b` and `*.x.a.b`, and `*.a.b` itself; never `a.b`.
  return name === pattern || host.endsWith(`.${base}`);
}

function addUnique<T>(list: T[], value: T, key: (entry: T) => string): void {
  if (!list.some((entry) => key(entry) === key(value))) list.push(value);
}

/**
 * Merges the layers (highest precedence first: flags, environment, project file, user
 * file, defaults). Lists add up across layers; a deny from any layer wins over every
 * allow: exact entries it matches are dropped, and names it takes out of an allowed
 * wildcard are passed on so the image answers them NXDOMAIN. Throws a UsageError naming
 * the first bad value and its source.
 */
export function buildEgressPolicy(layers: readonly EgressLayer[], proxy?: ProxySpec, defaults: EgressLayer = DEFAULT_LAYER): EgressPolicy {
  const allowedDomains: string[] = [];
  const allowedPorts: PortEntry[] = [];
  const deniedDomains: string[] = [];
  const deniedPorts: PortEntry[] = [];
  const hostPorts: number[] = [];
  const rules: HttpRule[] = [];
  const plain = new Set<string>();
  // Lowest precedence first, so the defaults lead the list (as before this feature); the
  // defaults are always there (Codex cannot work without them) unless denied explicitly.
  for (const layer of [defaults, ...[...layers].reverse()]) {
    for (const raw of layer.allow ?? []) {
      const parsed = parseAllowSpec(raw, layer.source, { rules: layer.rules === true });
      for (const domain of parsed.domains) addUnique(allowedDomains, domain, String);
      for (const entry of parsed.ports) addUnique(allowedPorts, entry, formatPortEntry);
      if (parsed.rules === undefined) for (const domain of parsed.domains) plain.add(domain);
      else rules.push(...parsed.rules);
    }
    for (const raw of layer.deny ?? []) {
      const parsed = parseAllowSpec(raw, layer.source);
      for (const domain of parsed.domains) addUnique(deniedDomains, domain, String);
      for (const entry of parsed.ports) addUnique(deniedPorts, entry, formatPortEntry);
    }
    for (const raw of layer.hostPorts ?? []) {
      addUnique(hostPorts, parsePort(raw, `${layer.source}: host port`), String);
    }
  }
  const isDenied = (name: string) => deniedDomains.some((deny) => coversName(deny, name));
  const domains = allowedDomains.filter((name) => !isDenied(name));
  const ports = allowedPorts.filter(
    (entry) => !isDenied(entry.host) && !deniedPorts.some((deny) => deny.port === entry.port && coversName(deny.host, entry.host)),
  );
  for (const deny of deniedPorts) {
    const wildcard = ports.find((entry) => entry.port === deny.port && entry.host !== deny.host && coversName(entry.host, deny.host));
    if (wildcard !== undefined) {
      throw new UsageError(
        `--deny ${formatPortEntry(deny)}: one port of a name inside the wildcard ${formatPortEntry(wildcard)} ` +
          `cannot be denied alone; deny the name (${deny.host}) instead`,
      );
    }
  }
  // Every deny goes to the image (R167, R172): a live allow or a held name it covers is refused there too.
  const denied = [...deniedDomains];
  // A plain allowance of the same host lifts its rules: it allows every method and path.
  const kept = rules.filter((rule) => !plain.has(rule.host) && !isDenied(rule.host));
  return { domains, ports, denied, hostPorts, proxy, rules: kept };
}
