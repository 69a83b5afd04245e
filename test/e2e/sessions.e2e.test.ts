import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { docker, runLauncher, type LauncherResult } from './helpers/run-launcher.js';
import { createTestNetwork, type TestNetwork } from './helpers/test-network.js';

/**
 * Sessions on the real engine: kept, listed, attached, pushed to, pulled from, refused with
 * --strict-mounts, re-entered, stopped and re-entered (firewall back), replaced, parallel,
 * destroyed; and several workdirs in one sandbox. Traffic only to the test network's hosts.
 */
const id = randomBytes(3).toString('hex');
const NAME = `e2e-${id}`;
const AGENT_UID = process.getuid?.() === 0 ? 4242 : (process.getuid?.() ?? 1000);
let scratch: string;
let workdir: string;
let second: string;
let home: string;
let network: TestNetwork;

beforeAll(() => {
  network = createTestNetwork();
  scratch = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-sess-')));
  workdir = path.join(scratch, 'project');
  second = path.join(scratch, 'library');
  home = path.join(scratch, 'home');
  for (const dir of [workdir, second, home]) mkdirSync(dir);
  writeFileSync(path.join(second, 'lib.txt'), 'from the second dir\n');
  // As root the agent takes the workdir owner's uid (4242 here), never root's.
  if (process.getuid?.() === 0) for (const dir of [workdir, second]) chownSync(dir, 4242, 4242);
});

afterAll(() => {
  const leftovers = sessionContainers('');
  if (leftovers.length > 0) docker(['rm', '-f', ...leftovers]);
  network?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

const env = () => ({ HOME: home, OPENAI_ALLOWED_DOMAINS: 'allowed.test' });
const launch = (args: string[], cwd = workdir): LauncherResult => runLauncher(args, { cwd, env: env() });
const session = (args: string[]) => launch(['shell', '--network', network.name, ...args]);

/** Containers of this test run's sessions (all states), by label. */
function sessionContainers(name: string): string[] {
  const out = docker([
    'ps',
    '-a',
    '--filter',
    `label=codex-sandbox.workdir=${workdir}`,
    '--filter',
    'label=codex-sandbox.session',
    '--format',
    '{{.Names}}',
  ]);
  return out.split('\n').filter((line) => line !== '' && (name === '' || line === `codex-session-${name}`));
}

interface Listed {
  name: string | null;
  container: string;
  status: string;
  workdir: string;
  workdirs: string[];
  image: string;
  created: string;
  runId: string;
}
function listJson(args: string[] = []): Listed[] {
  const result = launch(['list', '--format', 'json', ...args]);
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as Listed[];
}

const curl = (target: string) => ['curl', '-sS', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', `http://${target}/`];

test('a kept session outlives its command and is listed as JSON', () => {
  const result = session(['--name', NAME, '--keep', '--', 'true']);
  expect(result.stderr).toContain(`starting session ${NAME}`);
  expect(result.status).toBe(0);
  expect(sessionContainers(NAME)).toEqual([`codex-session-${NAME}`]);
  const mine = listJson(['--filter', `name=${NAME}`]);
  expect(mine).toHaveLength(1);
  expect(mine[0]).toMatchObject({
    name: NAME,
    container: `codex-session-${NAME}`,
    status: 'running',
    workdir,
    workdirs: [workdir],
    image: 'codex-sandbox:latest',
  });
  expect(mine[0]!.runId).toMatch(/^[0-9a-f]{8}$/);
  expect(listJson(['--filter', `workdir=${workdir}`, '--filter', 'status=running']).map((row) => row.name)).toEqual([NAME]);
  expect(launch(['list', '--format', 'names']).stdout.split('\n')).toContain(NAME);
});

test('attach runs as the agent user, with no capabilities, behind the firewall', () => {
  const who = launch(['attach', NAME, '--', 'sh', '-c', 'id -u; grep CapEff /proc/self/status; pwd']);
  expect(who.status).toBe(0);
  expect(who.stdout.split('\n')).toEqual([String(AGENT_UID), 'CapEff:\t0000000000000000', `/app${workdir}`, '']);
  // Without NAME: the only running session of the current directory.
  expect(launch(['attach', '--', 'id', '-u']).stdout.trim()).toBe(String(AGENT_UID));
  expect(launch(['attach', NAME, '--', ...curl('allowed.test')]).stdout).toBe('200');
  // Port 80 of a bare address: the name check refuses it (403), nothing passes (R90).
  const blocked = launch(['attach', NAME, '--', ...curl(network.blockedIp)]);
  expect(blocked.stdout).toBe('403');
  expect(launch(['attach', NAME, '--', 'sh', '-c', 'exit 9']).status).toBe(9);
});

test('push copies in, owned by the agent; pull copies out and never overwrites without --force', () => {
  const source = path.join(scratch, 'note.txt');
  writeFileSync(source, 'pushed content\n');
  const pushed = launch(['push', '--name', NAME, source]);
  expect(pushed.status).toBe(0);
  expect(pushed.stdout.trim()).toBe(`/app${workdir}/note.txt`);
  expect(statSync(path.join(workdir, 'note.txt')).uid).toBe(AGENT_UID);
  expect(launch(['attach', NAME, '--', 'cat', 'note.txt']).stdout).toBe('pushed content\n');
  const again = launch(['push', '--name', NAME, source]);
  expect(again.status).toBe(2);
  expect(again.stderr).toContain('already exists in the session');

  expect(
    launch(['attach', NAME, '--', 'sh', '-c', 'mkdir -p /tmp/out/sub && echo result > /tmp/out/sub/r.txt && chmod 4755 /tmp/out/sub/r.txt'])
      .status,
  ).toBe(0);
  const dest = path.join(scratch, 'dest');
  mkdirSync(dest);
  const pulled = launch(['pull', '--name', NAME, '/tmp/out', dest]);
  expect(pulled.status).toBe(0);
  const file = path.join(dest, 'out', 'sub', 'r.txt');
  expect(readFileSync(file, 'utf8')).toBe('result\n');
  expect(statSync(file).mode & 0o7000).toBe(0);
  writeFileSync(file, 'mine\n');
  const refused = launch(['pull', '--name', NAME, '/tmp/out', dest]);
  expect(refused.status).toBe(2);
  expect(refused.stderr).toContain(`would overwrite ${file}: rerun with --force`);
  expect(readFileSync(file, 'utf8')).toBe('mine\n');
  expect(launch(['pull', '--name', NAME, '/tmp/out', dest, '--force']).status).toBe(0);
  expect(readFileSync(file, 'utf8')).toBe('result\n');
  // Relative paths start at the workdir: the pushed file round-trips.
  expect(launch(['pull', '--name', NAME, 'note.txt', dest]).status).toBe(0);
  expect(readFileSync(path.join(dest, 'note.txt'), 'utf8')).toBe('pushed content\n');
});

test('--strict-mounts refuses a session with other mounts; without it the session is re-entered', () => {
  const strict = session(['--name', NAME, '--strict-mounts', workdir, second, '--', 'true']);
  expect(strict.status).toBe(2);
  expect(strict.stderr).toContain(`session ${NAME} has other mounts (not mounted: ${second} -> /app${second})`);
  const loose = session(['--name', NAME, workdir, second, '--', 'true']);
  expect(loose.status).toBe(0);
  expect(loose.stderr).toContain(`re-entering session ${NAME}`);
  expect(loose.stderr).toContain('has other mounts than asked for');
  // Re-entered, not created: a run never removes a session it did not create.
  expect(sessionContainers(NAME)).toHaveLength(1);
});

test('a stopped session is started again on re-entry, with the firewall applied again', () => {
  const before = docker(['inspect', '-f', '{{.Id}}', `codex-session-${NAME}`]);
  expect(launch(['stop', NAME]).status).toBe(0);
  expect(docker(['inspect', '-f', '{{.State.Running}}', `codex-session-${NAME}`])).toBe('false');
  expect(listJson(['--stopped']).map((row) => row.name)).toContain(NAME);
  const blocked = session(['--name', NAME, '--', ...curl(network.blockedIp)]);
  expect(blocked.stderr).toContain(`re-entering session ${NAME}`);
  expect(blocked.stderr).toContain('starting it');
  // The name check is back too: port 80 of a bare address is refused (403), nothing passes.
  expect(blocked.stdout).toBe('403');
  expect(launch(['attach', NAME, '--', ...curl('allowed.test')]).stdout).toBe('200');
  expect(docker(['inspect', '-f', '{{.Id}}', `codex-session-${NAME}`])).toBe(before);
});

test('--replace recreates the session, --parallel starts NAME-2', () => {
  const before = docker(['inspect', '-f', '{{.Id}}', `codex-session-${NAME}`]);
  const replaced = session(['--name', NAME, '--replace', '--keep', '--', 'true']);
  expect(replaced.status).toBe(0);
  expect(replaced.stderr).toContain(`replacing session ${NAME}`);
  expect(docker(['inspect', '-f', '{{.Id}}', `codex-session-${NAME}`])).not.toBe(before);
  const parallel = session(['--name', NAME, '--parallel', '--keep', '--', 'true']);
  expect(parallel.status).toBe(0);
  expect(sessionContainers('').sort()).toEqual([`codex-session-${NAME}`, `codex-session-${NAME}-2`]);
});

test('a session without --keep is removed when its command exits; its exit code comes back', () => {
  const result = session(['--name', `${NAME}-tmp`, '--', 'sh', '-c', 'exit 3']);
  expect(result.status).toBe(3);
  expect(sessionContainers(`${NAME}-tmp`)).toEqual([]);
});

test('a session whose setup fails reports the exit code and leaves nothing behind', () => {
  const hook = path.join(scratch, 'failing-init.sh');
  writeFileSync(hook, '#!/bin/sh\necho hook-output\nexit 5\n');
  const result = session(['--name', `${NAME}-bad`, '--init_script', hook, '--', 'true']);
  expect(result.status).toBe(5);
  expect(result.stderr).toContain('stopped during setup (exit 5)');
  expect(sessionContainers(`${NAME}-bad`)).toEqual([]);
  rmSync(path.join(workdir, '.codex', '.environment', 'init.sh'));
});

test('destroy asks before removing several (refuses without a terminal), then removes', () => {
  const refused = launch(['destroy', '--all']);
  expect(refused.status).toBe(2);
  expect(refused.stderr).toContain('without confirmation: rerun with --force');
  expect(sessionContainers('')).toHaveLength(2);
  expect(launch(['destroy', `${NAME}-2`]).status).toBe(0);
  const last = launch(['destroy', '--force']);
  expect(last.status).toBe(0);
  expect(last.stdout.trim()).toBe(NAME);
  expect(sessionContainers('')).toEqual([]);
  expect(docker(['ps', '-a', '-q', '--filter', `label=codex-sandbox.workdir=${workdir}`])).toBe('');
});

test('several workdirs: each mounted at /app<path>, the first is the working directory', () => {
  const result = launch([
    'shell',
    workdir,
    second,
    '--',
    'sh',
    '-c',
    'pwd; cat "/app$0/lib.txt"; printf "%s\\n" "$SANDBOX_WORKDIRS"; touch "/app$0/made-here"',
    second,
  ]);
  expect(result.stderr).not.toContain('error');
  expect(result.status).toBe(0);
  expect(result.stdout.split('\n')).toEqual([`/app${workdir}`, 'from the second dir', `/app${workdir}`, `/app${second}`, '']);
  expect(statSync(path.join(second, 'made-here')).uid).toBe(AGENT_UID);
  expect(existsSync(path.join(second, '.codex'))).toBe(false);
});
