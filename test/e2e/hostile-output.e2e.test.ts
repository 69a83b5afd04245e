import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Attacker, makeWorkdir } from './helpers/hostile.js';
import { CLI, IMAGE, runLauncher } from './helpers/run-launcher.js';
import { MOCK_MODEL_CONFIG, startMockModel, type TestService } from './helpers/test-service.js';

/**
 * Hostile project trees on the real engine, what the launcher reads back and prints (REQUIREMENTS.md
 * R100, R106, R108, R109): a planted `runs` link, a FIFO config, /dev/zero and huge sparse
 * files, an endless output line, file names built to be parsed by git, and names with
 * terminal escapes. The host is checked after each: nothing created or read outside, the
 * launcher finished in time, nothing unescaped reached the terminal.
 */
jest.setTimeout(300000);

let scratch: string;
let home: string;
let config: string;
let model: TestService | undefined;
const attackers: Attacker[] = [];

beforeAll(() => {
  scratch = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-output-')));
  home = path.join(scratch, 'home');
  mkdirSync(home);
  config = path.join(scratch, 'config.toml');
  writeFileSync(config, MOCK_MODEL_CONFIG);
  model = startMockModel('cs-e2e-output');
});

afterAll(() => {
  for (const attacker of attackers) attacker.remove();
  model?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

const launch = (cwd: string, args: string[], timeoutMs = 120000) =>
  runLauncher(args, { cwd, env: { HOME: home, OPENAI_ALLOWED_DOMAINS: 'model.test' }, timeoutMs });
const chownAgent = (dir: string) => {
  if (process.getuid?.() === 0) spawnSync('chown', ['-R', '1000:1000', dir]);
};
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

test('R108 a runs link planted in the Codex home: exec creates nothing outside and starts nothing', () => {
  const dir = makeWorkdir(scratch, 'runs-link', 'user');
  const victim = path.join(scratch, 'victim-runs');
  mkdirSync(victim);
  mkdirSync(path.join(dir, '.codex', '.environment'), { recursive: true });
  symlinkSync(victim, path.join(dir, '.codex', '.environment', 'runs'));
  chownAgent(dir);
  const run = launch(dir, ['exec', '--work_dir', dir, '--image', IMAGE, 'do it']);
  expect(run.status).toBe(2);
  expect(run.stderr).toContain('is a symlink');
  expect(readdirSync(victim)).toEqual([]);
});

test("R109 a FIFO as the Codex home's config.toml: a dry run and a run finish at once", () => {
  const dir = makeWorkdir(scratch, 'fifo', 'user');
  mkdirSync(path.join(dir, '.codex', '.environment'), { recursive: true });
  expect(spawnSync('mkfifo', [path.join(dir, '.codex', '.environment', 'config.toml')]).status).toBe(0);
  chownAgent(dir);
  for (const args of [['--dry-run'], []]) {
    const started = Date.now();
    const run = launch(dir, ['shell', ...args, '--work_dir', dir, '--', 'true'], 60000);
    expect(run.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(30000);
  }
});

test('R109 a link to /dev/zero or a 1 TB sparse file as config.toml in the workdir: ignored or refused at once', () => {
  const dir = makeWorkdir(scratch, 'zero', 'user');
  mkdirSync(path.join(dir, 'codex'));
  symlinkSync('/dev/zero', path.join(dir, 'codex', 'config.toml'));
  chownAgent(dir);
  let started = Date.now();
  const ignored = launch(dir, ['shell', '--work_dir', dir, '--', 'true'], 60000);
  expect(ignored.status).toBe(0);
  expect(ignored.stderr).toContain(`ignoring ${path.join(dir, 'codex', 'config.toml')}: it is a link leading out`);
  expect(Date.now() - started).toBeLessThan(30000);
  rmSync(path.join(dir, 'codex', 'config.toml'));
  writeFileSync(path.join(dir, 'codex', 'config.toml'), '');
  truncateSync(path.join(dir, 'codex', 'config.toml'), 1024 ** 4);
  started = Date.now();
  const refused = launch(dir, ['shell', '--work_dir', dir, '--', 'true'], 60000);
  expect(refused.status).toBe(2);
  expect(refused.stderr).toContain('is larger than 1 MiB');
  expect(Date.now() - started).toBeLessThan(10000);
});

test('R108 exec: one endless output line (40 MB, no newline) is cut in run.log', () => {
  const dir = makeWorkdir(scratch, 'flood', 'user');
  const hook = path.join(scratch, 'flood.sh');
  // From the init hook: its output is the container's, captured like the agent's.
  writeFileSync(hook, '#!/bin/sh\nhead -c 40000000 /dev/zero | tr "\\000" y\n', { mode: 0o755 });
  const args = [
    'exec',
    '--work_dir',
    dir,
    '--image',
    IMAGE,
    '--network',
    model!.network,
    '--config',
    config,
    '--init_script',
    hook,
    '--out',
    path.join(scratch, 'flood-report'),
    'create the file',
  ];
  // The launcher echoes the agent's output to stderr: not collected here (40 MB).
  const run = spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: home, OPENAI_ALLOWED_DOMAINS: 'model.test' },
    stdio: ['ignore', 'pipe', 'ignore'],
    encoding: 'utf8',
    timeout: 180000,
  });
  expect(run.status).toBe(0);
  expect(statSync(path.join(scratch, 'flood-report', 'run.log')).size).toBeLessThan(1024 * 1024);
  const log = readFileSync(path.join(scratch, 'flood-report', 'run.log'), 'utf8');
  // 40 000 000 - 65 536 left out (plus what codex printed on the same line afterwards).
  const cut = /Z stdout y{65536} \[codex-sandbox: line cut, (\d+) more characters left out\]\n/.exec(log);
  expect(Number(cut?.[1])).toBeGreaterThanOrEqual(40000000 - 65536);
});

test('R106 --track: names built to be parsed by git are recorded as data; no host file is read; diff shows them quoted', () => {
  const dir = makeWorkdir(scratch, 'track', 'user');
  const secret = path.join(scratch, 'track-secret');
  writeFileSync(secret, 'TRACK SECRET 77\n');
  const octal = (file: string) => file.split('/').join('\\057');
  const names = [`a\n"${octal(secret)}"`, '"\\057dev\\057zero"', '-rf', 'back\\slash', 'quote"d', 'esc\u001b[31mred'];
  const script = names.map((name, index) => `printf 'line ${index}\\n' > '${name.replace(/'/g, "'\\''")}'`).join('; ');
  const started = Date.now();
  const run = launch(dir, ['shell', '--track', '--work_dir', dir, '--', 'sh', '-c', script], 120000);
  expect(run.status).toBe(0);
  expect(Date.now() - started).toBeLessThan(60000);
  const stat = launch(dir, ['diff', '--stat', '--work_dir', dir]);
  expect(stat.status).toBe(0);
  expect(stat.stdout).toContain(`${names.length} files changed, ${names.length} insertions(+)`);
  expect(stat.stdout).toContain('"a\\n\\"');
  expect(stat.stdout).not.toMatch(RAW_CONTROL);
  const trackDir = path.join(home, '.local', 'state', 'codex-sandbox', 'track');
  const [repo] = readdirSync(trackDir);
  const objects = spawnSync('git', ['--git-dir', path.join(trackDir, repo ?? ''), 'cat-file', '--batch-all-objects', '--batch'], {
    encoding: 'latin1',
  }).stdout;
  expect(objects).not.toContain('TRACK SECRET');
  names.forEach((_, index) => expect(objects).toContain(`line ${index}\n`));
});

test('R100 pull: names chosen in the sandbox are printed escaped; the files land as named', () => {
  const dir = makeWorkdir(scratch, 'pull-names', 'user');
  const attacker = new Attacker(dir, { HOME: home });
  attackers.push(attacker);
  expect(attacker.start().status).toBe(0);
  const name = 'x\u001b]0;pwned\u0007\u001b[2J';
  expect(attacker.exec(`mkdir -p /tmp/out && echo hi > "/tmp/out/${name}" && mkdir "/tmp/out/${name}.d"`).status).toBe(0);
  const dest = path.join(scratch, 'pull-dest');
  mkdirSync(dest);
  const pulled = launch(dir, ['pull', '--name', attacker.name, '/tmp/out', dest]);
  expect(pulled.status).toBe(0);
  expect(pulled.stdout).toBe(`${dest}/out\n`);
  expect(readFileSync(path.join(dest, 'out', name), 'utf8')).toBe('hi\n');
  const again = launch(dir, ['pull', '--name', attacker.name, `/tmp/out/${name}`, dest]);
  expect(again.status).toBe(0);
  expect(again.stdout).toBe(`${dest}/x\\x1b]0;pwned\\x07\\x1b[2J\n`);
  const missing = launch(dir, ['pull', '--name', attacker.name, `/tmp/none${name}`, dest]);
  expect(missing.status).toBe(2);
  for (const result of [pulled, again, missing]) expect(`${result.stdout}${result.stderr}`).not.toMatch(RAW_CONTROL);
  // Extracted outside every agent tree (R107), and cleaned up.
  expect(readdirSync(dest).sort()).toEqual(['out', 'x\u001b]0;pwned\u0007\u001b[2J'].sort());
  expect(readdirSync(path.join(home, '.local', 'state', 'codex-sandbox', 'pull'))).toEqual([]);
});
