import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI = path.join(REPO_ROOT, 'dist/scripts/cli/main.js');
/** The image the global setup built from the current sources. */
export const IMAGE = 'codex-sandbox:latest';

export interface LauncherResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the compiled launcher without a shell, with `env` added to a clean environment. */
export function runLauncher(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; input?: string; timeoutMs?: number },
): LauncherResult {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: options.env?.HOME ?? path.join(options.cwd, '.fake-home-unset'),
    ...(process.env.DOCKER_HOST === undefined ? {} : { DOCKER_HOST: process.env.DOCKER_HOST }),
    ...options.env,
  };
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env,
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs `docker ARGS` and returns stdout; throws with stderr on failure. */
export function docker(args: readonly string[], input?: string): string {
  const result = spawnSync('docker', args, { encoding: 'utf8', input, timeout: 120000 });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

/** Containers labelled for `workdir` (running or not): must be none after a run. */
export function containersFor(workdir: string): string[] {
  const out = docker(['ps', '-a', '--filter', `label=codex-sandbox.workdir=${workdir}`, '--format', '{{.Names}}']);
  return out === '' ? [] : out.split('\n');
}

/** `docker logs` of a container, both streams (dnsmasq logs to stderr). */
export function dockerLogs(container: string): string {
  const result = spawnSync('docker', ['logs', container], { encoding: 'utf8', timeout: 30000 });
  return `${result.stdout}${result.stderr}`;
}
