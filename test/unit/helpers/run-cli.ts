import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENTS } from '../../../scripts/core/agents/agents.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CLI = path.join(REPO_ROOT, 'dist', 'scripts', 'cli', 'main.js');

/** Variables the launcher reads: never inherited from the developer's shell. */
const LAUNCHER_VARIABLES = [
  'CODEX_CONFIG_DIR',
  'CODEX_AUTH_FILE',
  'WORKSPACE_ROOT_DIR',
  'OPENAI_ALLOWED_DOMAINS',
  'CODEX_DOCKER_IMAGE',
  'SANDBOX_BASE_IMAGE',
  'DOCKER_HOST',
  'DOCKER_CONTEXT',
  // R84/R85: picked up for the proxy and extra CAs (they add argv elements).
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'SANDBOX_CA_CERTS',
  'NODE_EXTRA_CA_CERTS',
  // R70: the raw egress log goes to $XDG_STATE_HOME (else ~/.local/state).
  'XDG_STATE_HOME',
  // R161: the secrets file goes to $XDG_RUNTIME_DIR when it is the user's own.
  'XDG_RUNTIME_DIR',
  // R124, R125: each agent's host configuration directory and the keys passed by name.
  ...Object.values(AGENTS).flatMap((agent) => [
    ...agent.keyEnv,
    ...agent.hostSearch.flatMap((place) => ('env' in place ? [place.env] : [])),
    ...(agent.credentialEnv === undefined ? [] : [agent.credentialEnv]),
  ]),
];

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  home: string;
  env?: Record<string, string>;
  /** A directory to use as the only PATH entry besides node's own (no docker there). */
  pathWithoutDocker?: string;
  /** What the CLI reads on stdin (default: nothing). */
  input?: string;
}

/**
 * Runs the compiled CLI with `node` (no shell), a fake HOME, a controlled environment
 * and a dead DOCKER_HOST with no `docker` on PATH, so it can never start a container.
 */
export function runCli(args: readonly string[], options: CliOptions): CliResult {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} missing: run npm run build first`);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !LAUNCHER_VARIABLES.includes(key) && key !== 'NODE_OPTIONS') env[key] = value;
  }
  env.HOME = options.home;
  env.PATH = options.pathWithoutDocker ?? path.join(options.home, '.no-docker-bin');
  env.DOCKER_HOST = `unix://${path.join(options.home, 'dead-docker.sock')}`;
  Object.assign(env, options.env ?? {});
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    input: options.input ?? '',
    timeout: 30000,
  });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
