import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { containersFor, runLauncher } from './helpers/run-launcher.js';

/** Exit codes, stdin, fail-closed start-up and cleanup of `run-in-container shell`. */
let scratch: string;
let workdir: string;
let home: string;

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-life-'));
  workdir = path.join(scratch, 'project');
  home = path.join(scratch, 'home');
  mkdirSync(workdir);
  mkdirSync(home);
  if (process.getuid?.() === 0) chownSync(workdir, 4242, 4242);
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

const shell = (args: string[], input = '') =>
  runLauncher(['shell', '--work_dir', workdir, ...args], { cwd: scratch, env: { HOME: home }, input });

test('the exit code of the command comes back', () => {
  const result = shell(['--', 'sh', '-c', 'exit 7']);
  expect(result.status).toBe(7);
  expect(containersFor(workdir)).toEqual([]);
});

test('stdin reaches the command and stdout comes back', () => {
  const result = shell(['--', 'cat'], 'hello through the sandbox\n');
  expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 0, stdout: 'hello through the sandbox\n' });
});

test('a command killed by a signal reports 128+signal', () => {
  const result = shell(['--', 'sh', '-c', 'kill -TERM $$']);
  expect(result.status).toBe(143);
});

test('a failing init hook stops the run with its exit code before the command', () => {
  const hook = path.join(scratch, 'failing-init.sh');
  writeFileSync(hook, '#!/bin/sh\nexit 5\n');
  const marker = path.join(workdir, 'command-ran');
  const result = shell(['--init_script', hook, '--', 'touch', `/app${marker}`]);
  expect(result.status).toBe(5);
  expect(result.stderr).toContain('init hook failed');
  expect(existsSync(marker)).toBe(false);
  rmSync(path.join(workdir, '.codex', '.environment', 'init.sh'));
});

test('a firewall that cannot be applied means the command never runs (fail closed)', () => {
  const marker = path.join(workdir, 'must-not-exist');
  const dry = shell(['--dry-run', '--', 'touch', `/app${marker}`]);
  expect(dry.status).toBe(0);
  const argv = JSON.parse(dry.stdout) as string[];
  // Same argv as a real run, minus the capability the firewall needs: iptables must fail.
  const index = argv.findIndex((word, i) => word === 'NET_ADMIN' && argv[i - 1] === '--cap-add');
  expect(index).toBeGreaterThan(0);
  const broken = [...argv.slice(1, index - 1), ...argv.slice(index + 1)];
  // A dry run creates nothing: make the bind-mount sources a real run would have created.
  for (const [i, word] of argv.entries()) {
    const source = argv[i - 1] === '--mount' ? /(?:^|,)source=([^,]+)/.exec(word)?.[1] : undefined;
    if (source !== undefined && !word.includes('readonly')) mkdirSync(source, { recursive: true });
  }
  const result = spawnSync('docker', broken, { encoding: 'utf8', input: '', timeout: 120000 });
  expect(result.status).toBe(71);
  expect(result.stderr).toMatch(/^codex-sandbox: /m);
  expect(existsSync(marker)).toBe(false);
  expect(containersFor(workdir)).toEqual([]);
});

test('an image without the sandbox entrypoint is refused, not run unfirewalled', () => {
  const result = runLauncher(['shell', '--work_dir', workdir, '--', 'true'], {
    cwd: scratch,
    env: { HOME: home, CODEX_DOCKER_IMAGE: process.env.SANDBOX_BASE_IMAGE ?? 'local/node:bookworm' },
  });
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(/lacks the codex-sandbox entrypoint|not found/);
  expect(containersFor(workdir)).toEqual([]);
});

test('codex --version runs as the agent', () => {
  const result = shell(['--', 'codex', '--version']);
  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/codex/i);
});
