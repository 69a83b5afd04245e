import { AGENTS, type AgentId } from '../agents/agents.js';
import { parseHostPattern } from '../egress/allow-spec.js';
import { coversName } from '../egress/egress-policy.js';
import { UsageError } from '../errors.js';
import { splitList } from '../split-list.js';

/** Where the secrets file is mounted: the image keeps that directory root-only (R161). */
export const SECRETS_TARGET = '/var/lib/codex-sandbox/private/secrets.json';

/** The environment variable naming the hosts the proxy passes through uninspected (R160). */
export const NO_INSPECT_ENV = 'SANDBOX_NO_INSPECT';

/** One credential of a run as the container's proxy reads it (R161-R164). */
export interface SecretEntry {
  /** The variable the agent sees it in, or (with `store`) its dotted JSON path in that login file. */
  name: string;
  value: string;
  placeholder: string;
  /** The only hosts the proxy puts the value into requests to. */
  hosts: string[];
  /** The real login file (host path) a refreshed token belongs in. */
  store?: string;
}

/** `--secret NAME=HOST[,HOST…]` (R163), its value from `--secret-from CMD` when one pairs with it. */
export interface SecretSpec {
  name: string;
  hosts: string[];
  fromCommand?: string;
}

/** File names in the launcher's private directory: one run's, found again by its run id (sessions: `destroy`). */
export const secretsFileName = (runId: string) => `${runId}.secrets.json`;
export const loginCopyName = (runId: string, credentialFile: string) => `${runId}.${credentialFile.replace(/^\./, '')}`;

/** `--no-inspect HOST` values (comma or space separated, R160), normalised, each once. */
export function parseNoInspect(values: readonly string[], source: string): string[] {
  const hosts = values.flatMap((value) => splitList(value)).map((entry) => parseHostPattern(entry, source));
  return [...new Set(hosts)];
}

/**
 * `--secret NAME=HOST,…` and `--secret-from CMD` (R163): the n-th --secret-from gives the value
 * of the n-th --secret; the others take theirs from the host variable NAME.
 */
export function parseSecretSpecs(secrets: readonly string[], commands: readonly string[]): SecretSpec[] {
  if (commands.length > secrets.length) {
    throw new UsageError(
      `--secret-from ${JSON.stringify(commands[secrets.length])} has no --secret to give a value to: add --secret NAME=HOST`,
    );
  }
  const specs = secrets.map((raw, index) => {
    const match = /^([^=]*)=(.*)$/s.exec(raw);
    const name = match?.[1] ?? raw;
    if (match === null || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new UsageError(`--secret ${JSON.stringify(raw)} is not NAME=HOST[,HOST…]: e.g. --secret GH_TOKEN=api.github.com`);
    }
    if (name.startsWith('SANDBOX_')) throw new UsageError(`--secret ${name}: SANDBOX_ names are the sandbox's own: choose another name`);
    const hosts = [...new Set(splitList(match[2] ?? '').map((host) => parseHostPattern(host, `--secret ${name}`)))];
    if (hosts.length === 0) throw new UsageError(`--secret ${name} names no host: give NAME=HOST[,HOST…]`);
    const command = commands[index];
    return { name, hosts, ...(command === undefined ? {} : { fromCommand: command }) };
  });
  const names = specs.map((spec) => spec.name);
  const twice = names.find((name, index) => names.indexOf(name) !== index);
  if (twice !== undefined) throw new UsageError(`--secret ${twice} is given twice: give each variable once`);
  return specs;
}

/**
 * Each --secret host must be allowed (nothing is allowed for a secret's sake) and must be
 * inspected: a --no-inspect host's traffic is never opened, so nothing can be injected (R160, R163).
 */
export function checkSecretHosts(specs: readonly SecretSpec[], allowed: readonly string[], noInspect: readonly string[]): void {
  for (const spec of specs) {
    for (const host of spec.hosts) {
      if (!allowed.some((pattern) => coversName(pattern, host))) {
        throw new UsageError(`--secret ${spec.name}: ${host} is not allowed: add --allow ${host}`);
      }
      const raw = noInspect.find((pattern) => coversName(pattern, host) || coversName(host, pattern));
      if (raw !== undefined) {
        throw new UsageError(`--secret ${spec.name} cannot be injected into a --no-inspect host (${raw}): drop one`);
      }
    }
  }
}

/** The host of a URL the user set (a base URL variable), or nothing when it is not one. */
function hostOfUrl(url: string | undefined): string[] {
  if (url === undefined) return [];
  try {
    const host = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '');
    return host === '' ? [] : [host];
  } catch {
    return [];
  }
}

/**
 * Where an agent's own credentials may go (R161, R164): the registry's hosts, the host of its
 * base-URL variable and the model-provider hosts of its configuration.
 */
export function listAgentSecretHosts(
  agent: AgentId,
  env: Readonly<Record<string, string | undefined>>,
  providerHosts: readonly string[],
): { keys: string[]; login: string[] } {
  const spec = AGENTS[agent].secretHosts;
  const base = spec.baseUrlEnv === undefined ? [] : hostOfUrl(env[spec.baseUrlEnv]);
  const unique = (list: readonly string[]) => [...new Set(list)];
  return {
    keys: unique([...spec.keys, ...base, ...providerHosts]),
    login: unique([...spec.login, ...(spec.baseUrlWithLogin === true ? base : []), ...providerHosts]),
  };
}

/** Where one of the agent's key variables may go: its own service's hosts (`keyHosts`), else `keys` (R161). */
export function listKeyHosts(agent: AgentId, name: string, keys: readonly string[]): string[] {
  const own = AGENTS[agent].secretHosts.keyHosts ?? {};
  return Object.hasOwn(own, name) ? [...(own[name] ?? [])] : [...keys];
}

/** The secrets file's text (R161); the image's proxy reads it. */
export function renderSecretsFile(entries: readonly SecretEntry[]): string {
  return `${JSON.stringify({ version: 1, secrets: entries }, null, 2)}\n`;
}

/** Warnings for the agent's own credentials bound for a --no-inspect host: they cannot be injected there (R160). */
export function describeUninjectable(entries: readonly SecretEntry[], noInspect: readonly string[]): string[] {
  const lines: string[] = [];
  for (const entry of entries) {
    const hosts = entry.hosts.filter((host) => noInspect.some((pattern) => coversName(pattern, host)));
    if (hosts.length > 0)
      lines.push(`${entry.name} cannot be injected into --no-inspect ${hosts.join(' ')}: requests there carry its placeholder`);
  }
  return lines;
}
