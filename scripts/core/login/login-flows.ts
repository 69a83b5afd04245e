import { AGENTS, type AgentId } from '../agents/agents.js';
import { UsageError } from '../errors.js';

/**
 * How each agent logs in from inside a sandbox (R135, R136), as plain data: the argv of its
 * own login, what it needs around it (a callback port, a terminal, the key on stdin, files
 * in its home), and which methods exist at all. An API key of an agent that reads it from
 * the environment is stored by the launcher itself: no container starts.
 */
import type { LoginMethod } from '../agents/agent-spec.js';

export type { LoginMethod } from '../agents/agent-spec.js';

export interface ContainerLogin {
  kind: 'container';
  agent: AgentId;
  method: LoginMethod;
  /** The agent's own login command (the user's extra arguments follow it). */
  argv: readonly string[];
  /** Fixed variables of this flow, beyond the agent's home and settings. */
  env: ReadonlyArray<readonly [string, string]>;
  /** A callback server the login binds in the container: published on the host's 127.0.0.1 for this run only. */
  callbackPort?: number;
  /** The API key goes to the login's stdin (never a command line or the environment). */
  keyOnStdin: boolean;
  /** The user pastes a code into it. */
  needsTerminal: boolean;
  /** It stays interactive after logging in: the launcher stops it once the credential is there. */
  stopWhenStored: boolean;
  /** Files written into the login home before it starts: path parts below it, content. */
  homeFiles: ReadonlyArray<{ parts: readonly string[]; content: string }>;
  /** Where the credential lands, as path parts below the login home. */
  credential: readonly string[];
}

export interface StoredKeyLogin {
  kind: 'store-key';
  agent: AgentId;
  method: 'with-api-key';
}

export type LoginFlow = ContainerLogin | StoredKeyLogin;

/** What the user asked for, as the CLI mapped it. */
export interface LoginRequest {
  agent: AgentId;
  deviceAuth: boolean;
  withApiKey: boolean;
  saveTo?: string;
  force: boolean;
  passThrough: readonly string[];
  /** The sandbox flags given (`--image`, `--allow`, …), for refusing them where no sandbox starts. */
  sandboxFlags: readonly string[];
}

/** The path parts of an agent's configuration directory below its home (none for the home itself). */
function configParts(agent: AgentId): string[] {
  return AGENTS[agent].configDir.split('/').filter((part) => part !== '');
}

function methodOf(request: LoginRequest): LoginMethod {
  if (request.deviceAuth && request.withApiKey) throw new UsageError('give --device-auth or --with-api-key, not both');
  return request.deviceAuth ? 'device-auth' : request.withApiKey ? 'with-api-key' : 'default';
}

/**
 * The flow of one request, or a one-line UsageError for a combination that does nothing or
 * does not exist (R137). Pure: the terminal and the files are checked by the caller.
 */
export function chooseLoginFlow(request: LoginRequest): LoginFlow {
  const { agent } = request;
  const spec = AGENTS[agent];
  const method = methodOf(request);
  const shape = spec.login[method];
  if (shape === undefined) {
    const offered = Object.keys(spec.login).filter((name) => name !== 'default');
    throw new UsageError(
      `--${method} is not a login of ${spec.title}: use \`login --agent ${agent}\`` +
        (offered.length === 0 ? '' : ` or ${offered.map((name) => `--${name}`).join(', ')}`),
    );
  }
  if (request.force && request.saveTo === undefined) {
    throw new UsageError('--force only applies to --save-to DIR (the credential store is always replaced): drop it');
  }
  if (shape === 'store') {
    refuseWithoutSandbox(request, spec.title);
    return { kind: 'store-key', agent, method: 'with-api-key' };
  }
  const configDir = configParts(agent);
  const seeds = Object.entries(spec.seedFiles).map(([name, content]) => ({ parts: [...configDir, name], content }));
  const settings = shape.settings === undefined ? [] : [{ parts: [...configDir, 'settings.json'], content: shape.settings }];
  return {
    kind: 'container',
    agent,
    method,
    argv: shape.argv,
    env: shape.env ?? [],
    ...(shape.callbackPort === undefined ? {} : { callbackPort: shape.callbackPort }),
    keyOnStdin: shape.keyOnStdin === true,
    needsTerminal: shape.needsTerminal === true,
    stopWhenStored: shape.stopWhenStored === true,
    homeFiles: [...seeds, ...settings],
    credential: [...configDir, spec.credentialFile],
  };
}

/** What to do after a login of this flow ended without a credential (the flow's own advice, R137). */
export function describeLoginRetry(flow: Pick<ContainerLogin, 'agent' | 'method'>): string {
  const shape = AGENTS[flow.agent].login[flow.method];
  return shape === undefined || shape === 'store' ? 'run login again' : shape.retry;
}

/** An API key the launcher stores itself: extra arguments and sandbox flags would do nothing. */
function refuseWithoutSandbox(request: LoginRequest, title: string): void {
  const hint = `(no sandbox starts: the key is stored for ${title} runs)`;
  if (request.passThrough.length > 0) throw new UsageError(`arguments after -- do nothing with --with-api-key ${hint}: drop them`);
  const flag = request.sandboxFlags[0];
  if (flag !== undefined) throw new UsageError(`${flag} does nothing with --with-api-key ${hint}: drop it`);
  if (request.saveTo !== undefined) {
    throw new UsageError(`--save-to is for login files; an API key for ${title} is kept in the credential store: drop --save-to`);
  }
}

/**
 * An API key as typed or piped (R138): one line of printable ASCII without blanks. The
 * messages never repeat it.
 */
export function parseApiKey(text: string, example: string): string {
  const lines = text.replace(/[\r\n]+$/, '').split(/\r?\n/);
  const key = (lines[0] ?? '').trim();
  if (key === '' && lines.length <= 1) throw new UsageError(`no API key on stdin: pipe it in, e.g. ${example}`);
  if (lines.length > 1 || !/^[\x21-\x7e]{1,4096}$/.test(key)) {
    throw new UsageError('the API key on stdin is not one line of printable characters without blanks: give the key alone');
  }
  return key;
}

/**
 * Is this what a login writes (R136)? Non-empty, valid JSON, an object. Returns why not,
 * or undefined. The text comes from a directory the login wrote: data, never echoed.
 */
export function checkCredentialText(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return 'is empty';
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return 'is not valid JSON';
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? undefined : 'is not a JSON object';
}
