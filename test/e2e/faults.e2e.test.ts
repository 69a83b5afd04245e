import { jest } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CLI, containersFor, docker, IMAGE, runLauncher } from './helpers/run-launcher.js';
import { TEST_LABEL } from './helpers/test-network.js';
import { IMAGE_CONTRACT } from '../../scripts/core/run/container-identity.js';

// Real containers, a 31 s reaper wait: the e2e project's testTimeout does not reach per-file runs.
jest.setTimeout(180000);
/**
 * Faults on the real engine: signals and SIGKILL of the launcher, concurrent runs, engine,
 * image, init and agent failures. After each, no container of the workdir may remain.
 */
let scratch: string;
let home: string;

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-faults-'));
  chmodSync(scratch, 0o755); // the non-root case below must reach its files
  home = path.join(scratch, 'home');
  mkdirSync(path.join(home, '.codex', 'prompts'), { recursive: true });
  writeFileSync(path.join(home, '.codex', 'config.toml'), 'model = "from-home"\n');
  writeFileSync(path.join(home, '.codex', 'prompts', 'review.md'), 'review\n');
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function newWorkdir(name: string): string {
  const dir = path.join(scratch, name);
  mkdirSync(dir);
  if (process.getuid?.() === 0) spawnSync('chown', ['4242:4242', dir]);
  return dir;
}

/** The launcher as its own process group leader, no terminal (like a script or CI job). */
function startLauncher(args: string[], env: Record<string, string> = {}): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: scratch,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return Object.assign(child, { output: () => text });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the agent command (`sleep`) runs in the workdir's container. */
async function waitForAgent(workdir: string, launcher: ChildProcess & { output: () => string }, program = 'sleep'): Promise<string> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (launcher.exitCode !== null) throw new Error(`launcher exited ${launcher.exitCode} before the agent ran: ${launcher.output()}`);
    const names = docker(['ps', '--filter', `label=codex-sandbox.workdir=${workdir}`, '--format', '{{.Names}}']);
    if (names !== '') {
      const name = names.split('\n')[0] ?? '';
      const top = spawnSync('docker', ['top', name, '-eo', 'pid,comm'], { encoding: 'utf8' });
      if (top.stdout.split('\n').some((line) => line.trim().split(/\s+/).pop() === program)) return name;
    }
    await sleep(100);
  }
  throw new Error(`agent never started in a container for ${workdir}`);
}

/** Polls until no container carries the workdir label; returns how long it took. */
async function waitForNoContainer(workdir: string, limitMs: number): Promise<number> {
  const start = Date.now();
  while (containersFor(workdir).length > 0) {
    if (Date.now() - start > limitMs) throw new Error(`containers remain for ${workdir}: ${containersFor(workdir).join(', ')}`);
    await sleep(100);
  }
  return Date.now() - start;
}

describe('signals to the launcher stop the agent and remove its container', () => {
  test.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('%s: exit %i, no container left', async (signal, expected) => {
    const workdir = newWorkdir(`sig-${signal}`);
    const launcher = startLauncher(['shell', '--work_dir', workdir, '--', 'sleep', '300']);
    await waitForAgent(workdir, launcher);
    const sent = Date.now();
    process.kill(launcher.pid ?? 0, signal);
    const { code } = await exitOf(launcher);
    expect({ code, output: launcher.output() }).toEqual({ code: expected, output: expect.not.stringContaining('unexpected error') });
    expect(Date.now() - sent).toBeLessThan(5000);
    await waitForNoContainer(workdir, 5000);
  });

  test('a terminal-style Ctrl-C to the whole process group still exits 130 and leaves nothing', async () => {
    const workdir = newWorkdir('sig-group');
    const launcher = startLauncher(['shell', '--work_dir', workdir, '--', 'sleep', '300']);
    await waitForAgent(workdir, launcher);
    process.kill(-(launcher.pid ?? 0), 'SIGINT');
    expect((await exitOf(launcher)).code).toBe(130);
    await waitForNoContainer(workdir, 5000);
  });

  test('SIGKILL of the launcher: the watchdog removes the container within seconds', async () => {
    const workdir = newWorkdir('sig-kill');
    const launcher = startLauncher(['shell', '--work_dir', workdir, '--', 'sleep', '300']);
    await waitForAgent(workdir, launcher);
    process.kill(launcher.pid ?? 0, 'SIGKILL');
    expect((await exitOf(launcher)).signal).toBe('SIGKILL');
    const took = await waitForNoContainer(workdir, 8000);
    expect(took).toBeLessThan(8000);
  });
});

test('two runs on the same workdir at once: both work, each its own container, config intact', async () => {
  const workdir = newWorkdir('concurrent');
  const command = ['shell', '--work_dir', workdir, '--', 'sh', '-c', 'cat /codex_home/config.toml /codex_home/prompts/review.md; sleep 2'];
  const first = startLauncher(command);
  const second = startLauncher(command);
  const names = new Set<string>();
  const deadline = Date.now() + 60000;
  while (names.size < 2 && Date.now() < deadline && (first.exitCode === null || second.exitCode === null)) {
    for (const name of containersFor(workdir)) names.add(name);
    await sleep(100);
  }
  const [a, b] = await Promise.all([exitOf(first), exitOf(second)]);
  expect([a.code, b.code]).toEqual([0, 0]);
  expect(names.size).toBe(2);
  for (const output of [first.output(), second.output()]) expect(output).toContain('model = "from-home"\nreview\n');
  expect(readFileSync(path.join(workdir, '.codex', '.environment', 'config.toml'), 'utf8')).toBe('model = "from-home"\n');
  await waitForNoContainer(workdir, 5000);
});

describe('engine problems: one line with the fix, exit 1, within 5 s', () => {
  const timed = (args: string[], env: Record<string, string>) => {
    const start = Date.now();
    const result = runLauncher(args, { cwd: scratch, env: { HOME: home, ...env }, timeoutMs: 20000 });
    return { ...result, ms: Date.now() - start };
  };
  const lastLine = (text: string) => text.trim().split('\n').pop() ?? '';

  test('docker CLI missing', () => {
    const workdir = newWorkdir('no-cli');
    const result = timed(['shell', '--work_dir', workdir, '--', 'true'], { PATH: path.join(scratch, 'empty-bin') });
    expect(result.status).toBe(1);
    expect(lastLine(result.stderr)).toBe(
      'run-in-container: docker CLI not found: install Docker (docker.io or Docker Engine) and make sure `docker` is on PATH',
    );
    expect(result.ms).toBeLessThan(5000);
  });

  test('engine not running (DOCKER_HOST at a dead socket)', () => {
    const workdir = newWorkdir('dead-engine');
    const result = timed(['shell', '--work_dir', workdir, '--', 'true'], { DOCKER_HOST: 'unix:///nonexistent.sock' });
    expect(result.status).toBe(1);
    expect(lastLine(result.stderr)).toBe(
      'run-in-container: Docker engine is not running: start it (e.g. sudo systemctl start docker) or fix DOCKER_HOST',
    );
    expect(result.ms).toBeLessThan(5000);
  });

  test('engine that accepts connections but never answers: gives up within 5 s', async () => {
    const workdir = newWorkdir('hung-engine');
    const socket = path.join(scratch, 'hung.sock');
    const server = net.createServer(() => undefined).listen(socket);
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const start = Date.now();
      const launcher = startLauncher(['shell', '--work_dir', workdir, '--', 'true'], { DOCKER_HOST: `unix://${socket}` });
      const { code } = await exitOf(launcher);
      expect(code).toBe(1);
      expect(lastLine(launcher.output())).toContain('run-in-container: Docker engine did not answer within 4 s');
      expect(Date.now() - start).toBeLessThan(5500);
    } finally {
      server.close();
    }
  });

  test('permission denied on the socket (launcher as uid 65534 against a root-only socket)', async () => {
    const workdir = newWorkdir('perm');
    chmodSync(workdir, 0o777);
    const socket = path.join(scratch, 'root-only.sock');
    const server = net.createServer((connection) => connection.destroy()).listen(socket);
    await new Promise((resolve) => server.once('listening', resolve));
    chmodSync(socket, 0o600);
    try {
      expect(process.getuid?.()).toBe(0); // this case needs root to switch to another uid
      const start = Date.now();
      const result = spawnSync(
        'setpriv',
        ['--reuid', '65534', '--regid', '65534', '--clear-groups', process.execPath, CLI, 'shell', '--work_dir', workdir, '--', 'true'],
        {
          cwd: scratch,
          env: { PATH: process.env.PATH ?? '', HOME: scratch, DOCKER_HOST: `unix://${socket}` },
          encoding: 'utf8',
          input: '',
          timeout: 20000,
        },
      );
      expect(result.status).toBe(1);
      expect(lastLine(result.stderr)).toBe(
        'run-in-container: permission denied on the Docker socket:' +
          ' add your user to the docker group (sudo usermod -aG docker $USER, then log in again)',
      );
      expect(Date.now() - start).toBeLessThan(5000);
    } finally {
      server.close();
    }
  });

  test("engine answers but cannot run containers (docker run fails with 125): docker's reason, exit 1", () => {
    const workdir = newWorkdir('cannot-run');
    const bin = path.join(scratch, 'fake-docker-bin');
    mkdirSync(bin, { recursive: true });
    // Answers the queries like a healthy engine; `run` fails as an engine without iptables does.
    const iptablesError =
      'docker: Error response from daemon: failed to create endpoint x on network bridge: iptables failed:' +
      ' iptables --wait -t nat -A DOCKER: iptables v1.8.9 (nf_tables): table nat does not exist (exit status 1).';
    writeFileSync(
      path.join(bin, 'docker'),
      `#!/bin/sh
case "$1" in
  image) echo '{"codex-sandbox.entrypoint":"${IMAGE_CONTRACT}","codex-sandbox.agent.codex":"0.171.0"}' ;;
  ps|rm) ;;
  run) echo '${iptablesError}' >&2; exit 125 ;;
  *) echo "fake docker: unexpected $1" >&2; exit 99 ;;
esac
`,
      { mode: 0o755 },
    );
    const result = timed(['shell', '--work_dir', workdir, '--', 'true'], { PATH: `${bin}:/usr/bin:/bin` });
    expect(result.status).toBe(1);
    const cannotStart = new RegExp(
      '^run-in-container: the Docker engine could not start the container: Error response from daemon: .*table nat does not exist.*' +
        " \\(check `docker info` and the engine's log, fix it and run again\\)$",
    );
    expect(lastLine(result.stderr)).toMatch(cannotStart);
    expect(result.ms).toBeLessThan(5000);
  });

  test('an agent that itself exits 125 is passed through, not mistaken for docker', () => {
    const workdir = newWorkdir('agent-125');
    const result = runLauncher(['shell', '--work_dir', workdir, '--', 'sh', '-c', 'echo "docker-like words" >&2; exit 125'], {
      cwd: scratch,
      env: { HOME: home },
    });
    expect(result.status).toBe(125);
  });
});

describe('image problems', () => {
  test('a missing image that is not ours: refused with how to get it', () => {
    const workdir = newWorkdir('img-missing');
    const result = runLauncher(['shell', '--work_dir', workdir, '--image', 'codex-sandbox-test-missing:1', '--', 'true'], {
      cwd: scratch,
      env: { HOME: home },
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n').pop()).toBe(
      'run-in-container: image codex-sandbox-test-missing:1 not found: build it with `run-in-container build` or pull it',
    );
  });

  test('a missing sandbox tag is built automatically (progress shown); a failing build shows its last lines, exit 1', () => {
    const workdir = newWorkdir('img-autobuild');
    // The base image lives on a registry at a closed loopback port: the build fails at FROM, fast and offline.
    const result = runLauncher(['shell', '--work_dir', workdir, '--image', 'codex-sandbox:0.0.0-node22', '--', 'true'], {
      cwd: scratch,
      env: { HOME: home, SANDBOX_BASE_IMAGE: 'localhost:1/codex-sandbox-test-missing:1' },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('image codex-sandbox:0.0.0-node22 not found: building it first');
    expect(result.stderr).toContain('from localhost:1/codex-sandbox-test-missing:1');
    expect(result.stderr.trim().split('\n').pop()).toMatch(/^run-in-container: image build failed: .*localhost:1.* \(full output above\)$/);
    expect(containersFor(workdir)).toEqual([]);
  });

  test("build with a base image that does not exist: exit 1, docker's last lines in the message", () => {
    const result = runLauncher(['build', '--base-image', 'localhost:1/codex-sandbox-does-not-exist:1'], {
      cwd: scratch,
      env: { HOME: home },
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n').pop()).toMatch(/^run-in-container: image build failed: .*localhost:1/);
  });

  test('CODEX_DOCKER_IMAGE without our entrypoint label is refused, never run unfirewalled', () => {
    const workdir = newWorkdir('img-foreign');
    const foreign = process.env.SANDBOX_BASE_IMAGE ?? 'local/node:bookworm';
    const result = runLauncher(['shell', '--work_dir', workdir, '--', 'true'], {
      cwd: scratch,
      env: { HOME: home, CODEX_DOCKER_IMAGE: foreign },
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n').pop()).toBe(
      `run-in-container: image ${foreign} lacks the codex-sandbox entrypoint (label codex-sandbox.entrypoint),` +
        ' so it would run without the firewall: use an image built by `run-in-container build`',
    );
    expect(containersFor(workdir)).toEqual([]);
  });
});

describe('init and agent failures: exit codes passed through, container gone', () => {
  test('init hook failing', () => {
    const workdir = newWorkdir('init-fail');
    const hook = path.join(scratch, 'init-fail.sh');
    writeFileSync(hook, '#!/bin/sh\necho "setting up" >&2\nexit 9\n', { mode: 0o755 });
    const result = runLauncher(['shell', '--work_dir', workdir, '--init_script', hook, '--', 'true'], {
      cwd: scratch,
      env: { HOME: home },
    });
    expect(result.status).toBe(9);
    expect(result.stderr).toContain('codex-sandbox: init hook failed (exit 9)');
    expect(containersFor(workdir)).toEqual([]);
  });

  test('agent binary missing: 127 and a message naming it', () => {
    const workdir = newWorkdir('agent-missing');
    const result = runLauncher(['shell', '--work_dir', workdir, '--', '/nonexistent'], { cwd: scratch, env: { HOME: home } });
    expect(result.status).toBe(127);
    expect(result.stderr).toMatch(/\/nonexistent: No such file or directory/);
    expect(containersFor(workdir)).toEqual([]);
  });

  test.each([
    ['SEGV', 139],
    ['ABRT', 134],
  ])('agent crashing with SIG%s: %i', (signal, expected) => {
    const workdir = newWorkdir(`agent-${signal}`);
    const result = runLauncher(['shell', '--work_dir', workdir, '--', 'sh', '-c', `kill -${signal} $$`], {
      cwd: scratch,
      env: { HOME: home },
    });
    expect(result.status).toBe(expected);
    expect(containersFor(workdir)).toEqual([]);
  });
});

test('the next command start reaps containers whose launcher on this host died (not kept ones, not live ones)', async () => {
  const workdir = newWorkdir('reaper');
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const deadPid = dead.stdout;
  const start = (pid: string, extra: string[]) =>
    docker([
      'run',
      '-d',
      '--label',
      TEST_LABEL,
      '--label',
      'codex-sandbox.managed=true',
      '--label',
      `codex-sandbox.workdir=${workdir}`,
      '--label',
      `codex-sandbox.launcher-host=${os.hostname()}`,
      '--label',
      `codex-sandbox.launcher-pid=${pid}`,
      ...extra,
      '--entrypoint',
      'sleep',
      IMAGE,
      '600',
    ]);
  const orphan = start(deadPid, []);
  const kept = start(deadPid, ['--label', 'codex-sandbox.session=reaper-test']);
  const live = start(String(process.pid), []);
  try {
    await sleep(31000); // only containers older than 30 s are reaped (never race a starting launcher)
    const fresh = start(deadPid, []);
    const other = newWorkdir('reaper-run');
    const result = runLauncher(['shell', '--work_dir', other, '--', 'true'], { cwd: scratch, env: { HOME: home } });
    expect(result.status).toBe(0);
    const remaining = docker(['ps', '-a', '--no-trunc', '--filter', `label=codex-sandbox.workdir=${workdir}`, '--format', '{{.ID}}']).split(
      '\n',
    );
    expect(remaining.sort()).toEqual([kept, live, fresh].sort());
    // (any launcher on this host may have reaped it: the mechanism, not this run, is tested)
    expect(remaining).not.toContain(orphan);
  } finally {
    spawnSync('docker', [
      'rm',
      '-f',
      ...docker(['ps', '-aq', '--filter', `label=codex-sandbox.workdir=${workdir}`])
        .split('\n')
        .filter(Boolean),
    ]);
  }
});

test('every case above left no container behind', () => {
  const leftovers = docker(['ps', '-a', '--filter', 'label=codex-sandbox.managed=true', '--format', '{{.Label "codex-sandbox.workdir"}}'])
    .split('\n')
    .filter((workdir) => workdir.startsWith(scratch));
  expect(leftovers).toEqual([]);
});
