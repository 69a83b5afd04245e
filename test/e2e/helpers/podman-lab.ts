import { randomBytes } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, docker, IMAGE, REPO_ROOT, type LauncherResult } from './run-launcher.js';
import { TEST_LABEL } from './test-network.js';

/**
 * Podman as the engine (R173-R177): rootful as this (root) test process, rootless as a user
 * the suite creates with its own subordinate ids and XDG_RUNTIME_DIR. The machine set-up
 * that is not per-user (packages, /dev/net/tun's mode, containers.conf limits) is done by
 * .ci/podman-host-setup.
 */
export interface PodmanMode {
  kind: 'rootful' | 'rootless';
  user?: string;
  uid: number;
  gid: number;
  /** HOME of the launcher's user. */
  home: string;
  env: Record<string, string>;
}

export const ROOTLESS_USER = 'csb-podman';

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** argv run as the mode's user: `runuser -u USER -- env -i …` for rootless (a clean environment). */
function asUser(mode: PodmanMode, argv: readonly string[]): [string, string[]] {
  if (mode.kind === 'rootful') return [argv[0] as string, argv.slice(1)];
  const env = Object.entries(mode.env).map(([key, value]) => `${key}=${value}`);
  return ['runuser', ['-u', mode.user as string, '--', 'env', '-i', ...env, ...argv]];
}

/** `podman ARGS` for the mode; throws with stderr on failure. */
export function podman(mode: PodmanMode, args: readonly string[], input?: string | Buffer): string {
  const [file, argv] = asUser(mode, ['podman', ...args]);
  const result = spawnSync(file, argv, { encoding: 'utf8', input, timeout: 300000, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`podman ${args.join(' ')} (${mode.kind}) failed: ${result.stderr}`);
  return result.stdout.trim();
}

export function rootfulMode(): PodmanMode {
  return { kind: 'rootful', uid: 0, gid: 0, home: '/root', env: {} };
}

/**
 * The rootless user: created once (useradd), subordinate ids, a runtime directory of its
 * own, Podman's overlay driver (the kernel's native rootless overlay).
 */
export function prepareRootlessMode(): PodmanMode {
  const user = ROOTLESS_USER;
  if (spawnSync('id', ['-u', user]).status !== 0) execFileSync('useradd', ['-m', '-s', '/bin/bash', user]);
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (!text.split('\n').some((line) => line.startsWith(`${user}:`))) writeFileSync(file, `${text}${user}:400000:65536\n`);
  }
  const home = `/home/${user}`;
  const runtime = `/run/user/${uid}`;
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  chownSync(runtime, uid, gid);
  const config = path.join(home, '.config', 'containers');
  mkdirSync(config, { recursive: true });
  writeFileSync(path.join(config, 'storage.conf'), '[storage]\ndriver = "overlay"\n');
  for (const dir of [path.join(home, '.config'), config, path.join(config, 'storage.conf')]) chownSync(dir, uid, gid);
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', HOME: home, USER: user, XDG_RUNTIME_DIR: runtime };
  return { kind: 'rootless', user, uid, gid, home, env };
}

/** Copies the suite's image from docker into the mode's store, unless the same image id is there. */
export function loadImage(mode: PodmanMode, image = IMAGE): void {
  const id = docker(['image', 'inspect', '--format', '{{.Id}}', image]).replace(/^sha256:/, '');
  let present = '';
  try {
    present = podman(mode, ['image', 'inspect', '--format', '{{.Id}}', image]);
  } catch {
    // not loaded yet
  }
  if (present === id) return;
  const archive = spawnSync('docker', ['save', image], { maxBuffer: 8 * 1024 * 1024 * 1024 });
  if (archive.status !== 0) throw new Error(`docker save ${image} failed: ${String(archive.stderr)}`);
  podman(mode, ['load'], archive.stdout);
}

/** Runs the compiled launcher as the mode's user with `--engine podman`. */
export function runLauncherAs(
  mode: PodmanMode,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): LauncherResult {
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', HOME: mode.home, ...mode.env, ...options.env };
  const argv = [process.execPath, CLI, '--engine', 'podman', ...args];
  const [file, rest] = mode.kind === 'rootful' ? [argv[0] as string, argv.slice(1)] : asUser({ ...mode, env }, argv);
  const result = spawnSync(file, rest, {
    cwd: options.cwd,
    env: mode.kind === 'rootful' ? env : { PATH: env.PATH },
    input: '',
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A labelled Podman network with test hosts (the image's node) on it, removed together. */
export interface PodmanLab {
  name: string;
  /** `podman run -d --name <network>-<suffix> --network <network> ARGS…` (labelled, removed with the lab). */
  startContainer(suffix: string, args: readonly string[]): string;
  startNode(suffix: string, aliases: readonly string[], script: string, extra?: readonly string[]): string;
  logs(container: string): string;
  remove(): void;
}

export function createPodmanLab(mode: PodmanMode, prefix: string): PodmanLab {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  const containers: string[] = [];
  podman(mode, ['network', 'create', '--label', TEST_LABEL, name]);
  const logs = (container: string) => {
    const [file, argv] = asUser(mode, ['podman', 'logs', container]);
    const result = spawnSync(file, argv, { encoding: 'utf8', timeout: 30000 });
    return `${result.stdout}${result.stderr}`;
  };
  const startContainer = (suffix: string, args: readonly string[]) => {
    const container = `${name}-${suffix}`;
    containers.push(container);
    podman(mode, ['run', '-d', '--label', TEST_LABEL, '--name', container, '--network', name, ...args]);
    return container;
  };
  return {
    name,
    startContainer,
    startNode(suffix, aliases, script, extra = []) {
      const aliasArgs = aliases.flatMap((alias) => ['--network-alias', alias]);
      return startContainer(suffix, [...aliasArgs, ...extra, '--entrypoint', 'node', IMAGE, '-e', script]);
    },
    logs,
    remove() {
      for (const args of [...containers.map((c) => ['rm', '-f', '-t', '0', c]), ['network', 'rm', '-f', name]]) {
        try {
          podman(mode, args);
        } catch {
          // already gone
        }
      }
    },
  };
}

/** Polls until `container` (in the mode's Podman) accepts connections on `port`. */
export function waitForPodmanPort(mode: PodmanMode, container: string, port: number): void {
  const probe = `require('net').connect(${port},'127.0.0.1',()=>process.exit(0)).on('error',()=>process.exit(1))`;
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      podman(mode, ['exec', container, 'node', '-e', probe]);
      return;
    } catch {
      sleep(100);
    }
  }
  throw new Error(`${container} did not listen on ${port}`);
}

/** The mock Responses API (test/e2e/mock-model) as `model.test` on the lab network. */
export function startPodmanMockModel(mode: PodmanMode, lab: PodmanLab, env: Record<string, string> = {}): string {
  const mount = `type=bind,source=${path.join(REPO_ROOT, 'test/e2e/mock-model')},target=/mock,readonly`;
  const envArgs = Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
  const container = lab.startContainer('model', [
    ...envArgs,
    '--network-alias',
    'model.test',
    '--mount',
    mount,
    '--entrypoint',
    'node',
    IMAGE,
    '/mock/server.js',
  ]);
  for (let attempt = 0; !lab.logs(container).includes('MOCK-LISTENING'); attempt += 1) {
    if (attempt >= 100) throw new Error(`mock model did not start:\n${lab.logs(container)}`);
    sleep(100);
  }
  return container;
}
