import { jest } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, containersFor, runLauncher } from './helpers/run-launcher.js';

// Real containers, a 31 s reaper wait: the e2e project's testTimeout does not reach per-file runs.
jest.setTimeout(180000);
/**
 * The user's ~/.codex and ~/.config/codex are never written, auth.json is never copied,
 * chmod-ed or written, and files already in .codex/.environment are never overwritten
 * (except config.toml by an explicit --config), across successful, failing, interrupted,
 * init-failing and dry runs. Odd but legal paths must work as mounts.
 */
let scratch: string;
let home: string;
let workdir: string;

const AUTH = '{"OPENAI_API_KEY":"sk-test-never-copied"}\n';

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-safety-'));
  home = path.join(scratch, 'home');
  workdir = path.join(scratch, 'project');
  mkdirSync(workdir);
  if (process.getuid?.() === 0) spawnSync('chown', ['4242:4242', workdir]);
  for (const dir of [path.join(home, '.codex'), path.join(home, '.config', 'codex')]) {
    mkdirSync(path.join(dir, 'prompts'), { recursive: true });
    writeFileSync(path.join(dir, 'config.toml'), `model = "from-${path.basename(dir)}"\n`);
    writeFileSync(path.join(dir, 'auth.json'), AUTH, { mode: 0o600 });
    writeFileSync(path.join(dir, 'prompts', 'review.md'), `review from ${dir}\n`);
  }
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** Every entry below `root`: type, mode, size, mtime and a content hash. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const info = lstatSync(full);
      const hash = info.isFile() ? createHash('sha256').update(readFileSync(full)).digest('hex') : '-';
      out[path.relative(root, full)] = `${info.mode.toString(8)} ${info.size} ${info.mtimeMs} ${hash}`;
      if (info.isDirectory()) walk(full);
    }
  };
  walk(root);
  return out;
}

const shell = (args: string[], env: Record<string, string> = {}) =>
  runLauncher(['shell', '--work_dir', workdir, ...args], { cwd: scratch, env: { HOME: home, ...env } });

function envFile(...parts: string[]): string {
  return path.join(workdir, '.codex', '.environment', ...parts);
}

test('many runs of every kind leave ~/.codex and ~/.config/codex untouched; auth.json is never copied', async () => {
  // Only the Codex directories: other features keep their own state under ~/.local/state.
  const codexDirs = () => ({ codex: snapshot(path.join(home, '.codex')), config: snapshot(path.join(home, '.config', 'codex')) });
  const before = codexDirs();
  const beforeStat = statSync(path.join(home, '.codex', 'auth.json'));

  expect(shell(['--', 'true']).status).toBe(0);
  // The agent tries to write to everything it can see of the Codex home.
  expect(
    shell([
      '--',
      'sh',
      '-c',
      'echo "# hacked" >> /codex_home/config.toml; echo hacked > /codex_home/prompts/review.md;' +
        ' echo x > /codex_home/auth.json 2>/dev/null; exit 0',
    ]).status,
  ).toBe(0);
  expect(shell(['--', 'sh', '-c', 'exit 3']).status).toBe(3);
  expect(shell(['--', '/nonexistent']).status).toBe(127);
  const hook = path.join(scratch, 'failing-init.sh');
  writeFileSync(hook, '#!/bin/sh\nexit 4\n', { mode: 0o755 });
  expect(shell(['--init_script', hook, '--', 'true']).status).toBe(4);
  rmSync(envFile('init.sh'));
  expect(shell(['--dry-run', '--', 'true']).status).toBe(0);
  expect(shell(['--dry-run', '--config', path.join(home, '.codex')]).status).toBe(0);
  // Mounted read-only: the agent's write fails (as a root host the agent cannot even read it).
  expect(
    shell([
      '--auth_file',
      path.join(home, '.codex', 'auth.json'),
      '--',
      'sh',
      '-c',
      'test -f /codex_home/auth.json && ! (echo x > /codex_home/auth.json) 2>/dev/null',
    ]).status,
  ).toBe(0);
  expect(shell(['--', 'true'], { CODEX_CONFIG_DIR: path.join(home, '.config', 'codex') }).status).toBe(0);

  // Interrupted with SIGINT while the agent runs.
  const child = spawn(process.execPath, [CLI, 'shell', '--work_dir', workdir, '--', 'sleep', '300'], {
    cwd: scratch,
    env: { PATH: process.env.PATH ?? '', HOME: home },
    stdio: 'ignore',
    detached: true,
  });
  for (
    let i = 0;
    i < 200 && !spawnSync('docker', ['ps', '--filter', `label=codex-sandbox.workdir=${workdir}`, '-q'], { encoding: 'utf8' }).stdout.trim();
    i += 1
  ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, 1500));
  process.kill(child.pid ?? 0, 'SIGINT');
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  expect(code).toBe(130);

  expect(codexDirs()).toEqual(before);
  const afterStat = statSync(path.join(home, '.codex', 'auth.json'));
  expect([afterStat.mode, afterStat.uid, afterStat.mtimeMs]).toEqual([beforeStat.mode, beforeStat.uid, beforeStat.mtimeMs]);
  // Only the empty mount point docker leaves may exist in the Codex home; never a copy.
  const leftAuth = envFile('auth.json');
  if (existsSync(leftAuth)) expect(statSync(leftAuth).size).toBe(0);
  for (const name of readdirSync(envFile())) {
    const full = envFile(name);
    if (statSync(full).isFile() && statSync(full).size > 0) expect(readFileSync(full, 'utf8')).not.toContain('sk-test-never-copied');
  }
  expect(containersFor(workdir)).toEqual([]);
});

test('files already in .codex/.environment are kept; only an explicit --config overwrites config.toml', () => {
  writeFileSync(envFile('config.toml'), 'model = "mine"\n');
  writeFileSync(envFile('prompts', 'review.md'), 'my review\n');
  expect(shell(['--', 'true']).status).toBe(0);
  expect(shell(['--', 'true'], { CODEX_CONFIG_DIR: path.join(home, '.config', 'codex') }).status).toBe(0);
  expect(readFileSync(envFile('config.toml'), 'utf8')).toBe('model = "mine"\n');
  expect(readFileSync(envFile('prompts', 'review.md'), 'utf8')).toBe('my review\n');

  const explicit = path.join(scratch, 'explicit.toml');
  writeFileSync(explicit, 'model = "explicit"\n');
  expect(shell(['--config', explicit, '--', 'true']).status).toBe(0);
  expect(readFileSync(envFile('config.toml'), 'utf8')).toBe('model = "explicit"\n');
  expect(readFileSync(envFile('prompts', 'review.md'), 'utf8')).toBe('my review\n');
});

test('a workdir whose path holds a space, quotes, $(…), a comma, a colon and a newline mounts and works', () => {
  const odd = path.join(scratch, 'we ird\'"$(id),a:b\nc');
  mkdirSync(odd);
  if (process.getuid?.() === 0) spawnSync('chown', ['4242:4242', odd]);
  const readOnly = path.join(scratch, 'ro,x:y\nz');
  mkdirSync(readOnly);
  writeFileSync(path.join(readOnly, 'data.txt'), 'read-only data\n');
  const result = runLauncher(
    [
      'shell',
      '--work_dir',
      odd,
      '--read-only',
      readOnly,
      '--',
      'sh',
      '-c',
      'pwd; cat "$1/data.txt"; echo made > created.txt',
      'sh',
      `/app${readOnly}`,
    ],
    { cwd: scratch, env: { HOME: home } },
  );
  expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 0, stdout: `/app${odd}\nread-only data\n` });
  expect(readFileSync(path.join(odd, 'created.txt'), 'utf8')).toBe('made\n');
  expect(containersFor(odd)).toEqual([]);
});
