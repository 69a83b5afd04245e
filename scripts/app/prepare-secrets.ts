import { randomBytes } from 'node:crypto';
import { AGENTS, type AgentId } from '../core/agents/agents.js';
import { findLoginSecrets, parseLoginFile, replaceLoginSecrets } from '../core/login/login-secrets.js';
import { assignPlaceholders, type RandomBytes } from '../core/run/placeholder.js';
import { READ_LIMITS } from '../core/read-limits.js';
import {
  checkSecretHosts,
  describeUninjectable,
  listAgentSecretHosts,
  listKeyHosts,
  parseSecretSpecs,
  type SecretEntry,
} from '../core/run/run-secrets.js';
import { UsageError } from '../core/errors.js';
import type { HostContext } from '../host/host-context.js';
import { choosePrivateDir } from '../host/tree/private-files.js';
import { readHostFile } from '../host/tree/read-host-file.js';
import { runSecretCommand } from '../host/agents/secret-command.js';
import { UnsafePathError } from '../host/tree/unsafe-path-error.js';
import type { SecretFlags } from './run-options.js';

/** A run's credentials, ready to be written (app/run.ts) once the run is confirmed (R161-R164). */
export interface PreparedSecrets {
  /** The launcher-private directory the secrets file and the login copy go to. */
  dir: string;
  entries: SecretEntry[];
  /** NAME → placeholder: what docker's environment holds for the variables passed by name (R162). */
  env: Record<string, string>;
  /** `--secret` names: passed by name like the agent's keys. */
  names: string[];
  /** The login file the agent sees, every credential in it a placeholder (R164). */
  loginCopy?: { text: string; credentialFile: string };
  warnings: string[];
}

export interface SecretInputs {
  agent: AgentId;
  ctx: HostContext;
  trees: readonly string[];
  flags?: SecretFlags;
  /** The login file to mount (auth.json, .credentials.json, oauth_creds.json): a physical host path. */
  loginFile?: string;
  /** The agent's variables passed by name, and the values the launcher supplies for some (a stored key). */
  passEnv: readonly string[];
  secretEnv: Readonly<Record<string, string>>;
  providerHosts: readonly string[];
  /** Every host the run may reach (names and `*.names`). */
  allowed: readonly string[];
  noInspect: readonly string[];
  random?: RandomBytes;
}

type Draft = Omit<SecretEntry, 'placeholder'> & { what: string; path?: string[] };

/**
 * Collects the run's credentials (the agent's keys, its login file's tokens, `--secret`), gives
 * each a placeholder and decides where the proxy may inject it. Reads (and runs the
 * `--secret-from` commands), writes nothing. Undefined when the run has no credential.
 */
export async function prepareSecrets(inputs: SecretInputs): Promise<PreparedSecrets | undefined> {
  const specs = parseSecretSpecs(inputs.flags?.secrets ?? [], inputs.flags?.commands ?? []);
  checkSecretHosts(specs, inputs.allowed, inputs.noInspect);
  const hosts = listAgentSecretHosts(inputs.agent, inputs.ctx.env, inputs.providerHosts);
  const drafts: Draft[] = [];
  const keyNames = AGENTS[inputs.agent].secretHosts.keyEnv.filter((name) => inputs.passEnv.includes(name));
  for (const name of keyNames) {
    if (specs.some((spec) => spec.name === name))
      throw new UsageError(`--secret ${name}: ${name} is the agent's own key already: drop --secret`);
    const value = inputs.secretEnv[name] ?? inputs.ctx.env[name];
    if (value !== undefined) drafts.push({ name, value, hosts: listKeyHosts(inputs.agent, name, hosts.keys), what: name });
  }
  const login = inputs.loginFile === undefined ? undefined : await readLogin(inputs.loginFile, inputs.trees);
  for (const secret of login?.secrets ?? []) {
    const name = secret.path.join('.');
    drafts.push({
      name,
      value: secret.value,
      hosts: hosts.login,
      store: inputs.loginFile,
      what: `${inputs.loginFile} ${name}`,
      path: secret.path,
    });
  }
  for (const spec of specs) {
    const value = spec.fromCommand === undefined ? inputs.ctx.env[spec.name] : await runSecretCommand(spec.fromCommand, spec.name);
    if (value === undefined) {
      throw new UsageError(`--secret ${spec.name}: ${spec.name} is not set in your environment: export it or use --secret-from`);
    }
    drafts.push({ name: spec.name, value, hosts: spec.hosts, what: `--secret ${spec.name}` });
  }
  if (drafts.length === 0) return undefined;
  const placeholders = assignPlaceholders(drafts, inputs.random ?? randomBytes);
  const entries = drafts.map(({ what: _what, path: _path, ...entry }, index) => ({ ...entry, placeholder: placeholders[index] ?? '' }));
  const env: Record<string, string> = {};
  for (const entry of entries) if (entry.store === undefined) env[entry.name] = entry.placeholder;
  const loginPlaceholders = entries.filter((entry) => entry.store !== undefined).map((entry) => entry.placeholder);
  return {
    dir: await choosePrivateDir(inputs.ctx, inputs.trees),
    entries,
    env,
    names: specs.map((spec) => spec.name),
    ...(login === undefined || login.secrets.length === 0
      ? {}
      : { loginCopy: { text: replaceLoginSecrets(login.json, loginPlaceholders), credentialFile: AGENTS[inputs.agent].credentialFile } }),
    warnings: describeUninjectable(entries, inputs.noInspect),
  };
}

/** The login file's JSON and its credentials, read beneath the tree it lies in (R102). */
async function readLogin(file: string, trees: readonly string[]): Promise<{ json: unknown; secrets: ReturnType<typeof findLoginSecrets> }> {
  let text: string;
  try {
    text = (await readHostFile(file, trees, READ_LIMITS.credential)).bytes.toString('utf8');
  } catch (error) {
    const why =
      error instanceof UnsafePathError ? error.detail : `${file} cannot be read (${String((error as { code?: unknown }).code ?? error)})`;
    throw new UsageError(`${why}: log in again with run-in-container login`);
  }
  const json = parseLoginFile(text, file);
  return { json, secrets: findLoginSecrets(json) };
}
