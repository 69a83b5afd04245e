import { UsageError } from '../errors.js';

/**
 * Method and path rules (R165): `--allow 'GET,HEAD api.github.com'` (those methods only),
 * `--allow 'github.com/myorg/*'` (paths under that prefix only), or both. A host with rules
 * gets only what one of its rules allows; a plain allowance of the same host lifts them.
 * The TLS inspection applies them (SANDBOX_HTTP_RULES, image/inspect-addon.py).
 */
export interface HttpRule {
  /** Upper case; undefined: any method. */
  methods?: string[];
  host: string;
  /** A path prefix (`/myorg/`); undefined: any path. */
  prefix?: string;
}

const METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'];
const PATH = /^\/[\x21-\x7e]{0,199}$/;

/** `METHODS HOSTPATH` → its parts; undefined when the spec has no method list. */
export function splitMethods(spec: string, source: string): { methods?: string[]; rest: string } {
  const match = /^([A-Za-z]+(?:,[A-Za-z]+)*)\s+(\S+)$/.exec(spec);
  if (match === null) {
    if (/\s/.test(spec)) throw new UsageError(`${source}: ${JSON.stringify(spec)}: give METHODS HOST, e.g. 'GET,HEAD api.github.com'`);
    return { rest: spec };
  }
  const methods = (match[1] ?? '').toUpperCase().split(',');
  const unknown = methods.find((method) => !METHODS.includes(method));
  if (unknown !== undefined) throw new UsageError(`${source}: ${JSON.stringify(unknown)} is not a method: use ${METHODS.join(', ')}`);
  return { methods: [...new Set(methods)], rest: match[2] ?? '' };
}

/** `host/path/*` → host and prefix (`/path/`); a trailing `*` only marks the prefix. */
export function splitPath(spec: string, source: string): { host: string; prefix?: string } {
  const slash = spec.indexOf('/');
  if (slash === -1) return { host: spec };
  const prefix = spec.slice(slash).replace(/\*$/, '');
  if (!PATH.test(prefix) || prefix.includes('|') || prefix.includes('*')) {
    throw new UsageError(`${source}: ${JSON.stringify(spec)}: the path must be printable, without blanks, '|' or a '*' but at the end`);
  }
  return { host: spec.slice(0, slash), prefix };
}

/** SANDBOX_HTTP_RULES: `METHODS|HOST|PREFIX` (`-` for any), space separated. */
export function formatHttpRules(rules: readonly HttpRule[]): string {
  return rules.map((r) => `${r.methods?.join(',') ?? '-'}|${r.host}|${r.prefix ?? '-'}`).join(' ');
}

/** How a rule reads in messages: `GET,HEAD api.github.com/x/`. */
export function describeHttpRule(rule: HttpRule): string {
  return `${rule.methods === undefined ? '' : `${rule.methods.join(',')} `}${rule.host}${rule.prefix ?? ''}`;
}

/** A rule on a `--no-inspect` host could never be applied (R160, R165): refused, one line. */
export function checkRulesInspected(
  rules: readonly HttpRule[],
  noInspect: readonly string[],
  covers: (pattern: string, name: string) => boolean,
): void {
  for (const rule of rules) {
    const pattern = noInspect.find((p) => covers(p, rule.host) || covers(rule.host, p));
    if (pattern !== undefined) {
      throw new UsageError(
        `--allow '${describeHttpRule(rule)}': method and path rules cannot apply to --no-inspect ${pattern} ` +
          '(its TLS is not opened): drop one',
      );
    }
  }
}

/** The start's line for `--no-inspect` hosts (R160): what they lose. */
export function describeNoInspect(hosts: readonly string[]): string[] {
  if (hosts.length === 0) return [];
  return [`not inspecting ${hosts.join(' ')}: spliced after the name check (no Host check, credential injection or rules there)`];
}
