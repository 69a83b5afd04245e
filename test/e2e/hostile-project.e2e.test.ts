import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Attacker, createHostSecrets, hashTree, makeWorkdir, type HostSecrets } from './helpers/hostile.js';
import { runLauncher } from './helpers/run-launcher.js';

/**
 * On the real engine: the project directory and the Codex home are hostile input
 * (REQUIREMENTS.md R101–R105, R110). What the agent plants between runs — a settings path
 * re-pointed at the host, the Codex home linked to .git, a renamed nested repository, a link
 * for root's chown to follow — never reaches the host. Each class is played on a workdir a
 * normal user owns and on a root-owned one (run by root: the sandbox chowns it, with --yes).
 * Races with a concurrently running agent: hostile-races.e2e.test.ts.
 */
jest.setTimeout(300000);

let scratch: string;
let home: string;
let secrets: HostSecrets;
const attackers: Attacker[] = [];

beforeAll(async () => {
  scratch = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-hostile-')));
  home = path.join(scratch, 'home');
  mkdirSync(home);
  secrets = await createHostSecrets(scratch);
});

afterAll(async () => {
  for (const attacker of attackers) attacker.remove();
  await secrets?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const launch = (workdir: string, args: string[]) => runLauncher(args, { cwd: workdir, env: { HOME: home } });
const chownAgent = (dir: string) => {
  if (process.getuid?.() === 0) spawnSync('chown', ['-R', '1000:1000', dir]);
};
const git = (cwd: string, args: string[]) =>
  spawnSync(
    'git',
    ['-C', cwd, '-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'protocol.file.allow=always', '-c', 'safe.directory=*', ...args],
    { encoding: 'utf8' },
  );

const OWNERS = process.getuid?.() === 0 ? (['user', 'root'] as const) : (['user'] as const);

describe.each(OWNERS)('a %s-owned workdir', (owner) => {
  const yes = owner === 'root' ? ['--yes'] : [];
  let counter = 0;
  const workdir = (name: string) => {
    const dir = makeWorkdir(scratch, `${owner}-${name}-${(counter += 1)}`, owner);
    return dir;
  };
  const finish = (dir: string) => {
    if (owner === 'user') chownAgent(dir);
  };

  test('R104 an approved read_only path swapped for a link to a host directory is refused; the directory is never mounted', () => {
    const dir = workdir('ro');
    mkdirSync(path.join(dir, '.codex'));
    writeFileSync(path.join(dir, '.codex', 'sandbox.ini'), '[mounts]\nread_only = data\n');
    mkdirSync(path.join(dir, 'data'));
    finish(dir);
    expect(launch(dir, ['trust', '--work_dir', dir]).status).toBe(0);
    rmSync(path.join(dir, 'data'), { recursive: true });
    symlinkSync(secrets.dir, path.join(dir, 'data'));
    const probe = `cat /app${dir}/data/id_rsa; curl -s -m 2 --unix-socket /app${dir}/data/agent.sock http://x/; true`;
    const run = launch(dir, ['shell', ...yes, '--work_dir', dir, '--', 'sh', '-c', probe]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('is a symlink leading out of the directory the agent can write');
    expect(`${run.stdout}${run.stderr}`).not.toContain(secrets.secret);
    expect(secrets.connections()).toBe(0);
  });

  test('R104 an approved init_script swapped for a link to a host key is refused; nothing is copied into the Codex home', () => {
    const dir = workdir('init');
    mkdirSync(path.join(dir, '.codex'));
    mkdirSync(path.join(dir, 'tools'));
    writeFileSync(path.join(dir, '.codex', 'sandbox.ini'), '[run]\ninit_script = tools/init.sh\n');
    writeFileSync(path.join(dir, 'tools', 'init.sh'), '#!/bin/sh\necho init ran\n', { mode: 0o755 });
    finish(dir);
    expect(launch(dir, ['trust', '--work_dir', dir]).status).toBe(0);
    rmSync(path.join(dir, 'tools', 'init.sh'));
    symlinkSync(path.join(secrets.dir, 'id_rsa'), path.join(dir, 'tools', 'init.sh'));
    const run = launch(dir, ['shell', ...yes, '--work_dir', dir, '--', 'cat', '/codex_home/init.sh']);
    expect(run.status).toBe(2);
    expect(`${run.stdout}${run.stderr}`).not.toContain(secrets.secret);
    const copied = path.join(dir, '.codex', '.environment', 'init.sh');
    expect(existsSync(copied) ? readFileSync(copied, 'utf8') : '').not.toContain(secrets.secret);
  });

  test('R105 the Codex home planted as a link to ../.git: --protect-git refuses, .git is unchanged', () => {
    const dir = workdir('git-link');
    git(dir, ['init', '-q', '-b', 'main']);
    writeFileSync(path.join(dir, 'f.txt'), 'one\n');
    git(dir, ['add', 'f.txt']);
    git(dir, ['commit', '-q', '-m', 'one']);
    mkdirSync(path.join(dir, '.codex'));
    symlinkSync('../.git', path.join(dir, '.codex', '.environment'));
    finish(dir);
    const before = hashTree(path.join(dir, '.git'));
    const run = launch(dir, [
      'shell',
      ...yes,
      '--protect-git',
      '--work_dir',
      dir,
      '--',
      'sh',
      '-c',
      'echo evil > /codex_home/hooks/pre-commit',
    ]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('is a symlink in a place the agent can write');
    expect(hashTree(path.join(dir, '.git'))).toEqual(before);
  });

  test('R105 nested repositories and submodules are read-only and cannot be renamed away or replaced', () => {
    const dir = workdir('nested');
    const library = path.join(scratch, `${owner}-library`);
    git(scratch, ['init', '-q', '-b', 'main', library]);
    writeFileSync(path.join(library, 'lib.txt'), 'lib\n');
    git(library, ['add', 'lib.txt']);
    git(library, ['commit', '-q', '-m', 'lib']);
    git(dir, ['init', '-q', '-b', 'main']);
    git(dir, ['submodule', '--quiet', 'add', library, 'sub']);
    git(dir, ['commit', '-q', '-m', 'with submodule']);
    git(dir, ['init', '-q', '-b', 'main', 'vendor/nested']);
    finish(dir);
    const trees = () => ({
      top: hashTree(path.join(dir, '.git')),
      nested: hashTree(path.join(dir, 'vendor', 'nested', '.git')),
      sub: readFileSync(path.join(dir, 'sub', '.git'), 'utf8'),
    });
    const before = trees();
    const attack = [
      'echo "[core] fsmonitor = touch /tmp/pwned" >> vendor/nested/.git/config',
      'echo "gitdir: /tmp/evil" > sub/.git',
      'echo x > .git/modules/sub/config',
      'mv vendor/nested vendor/moved',
      'mv vendor vendor-moved',
      'mv sub sub-moved',
      'rm -rf vendor/nested/.git',
      'git -C vendor/nested config core.fsmonitor "touch /tmp/pwned"',
    ]
      .map((command) => `(${command}) 2>/dev/null && echo "ESCAPED: ${command.replace(/"/g, '')}"`)
      .join('; ');
    const run = launch(dir, ['shell', ...yes, '--protect-git', '--work_dir', dir, '--', 'sh', '-c', `${attack}; true`]);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');
    expect(trees()).toEqual(before);
    expect(lstatSync(path.join(dir, 'vendor', 'nested', '.git')).isDirectory()).toBe(true);
  });

  test('R103 a kept session whose mount source is swapped for a link while it is stopped refuses to start again', () => {
    const dir = workdir('restart');
    mkdirSync(path.join(dir, 'data'));
    finish(dir);
    const attacker = new Attacker(dir, { HOME: home }, undefined, ['--read-only', path.join(dir, 'data'), ...yes]);
    attackers.push(attacker);
    expect(attacker.start().status).toBe(0);
    expect(launch(dir, ['stop', attacker.name]).status).toBe(0);
    renameSync(path.join(dir, 'data'), path.join(dir, 'data-real'));
    symlinkSync(secrets.dir, path.join(dir, 'data'));
    const probe = `cat /app${dir}/data/id_rsa; curl -s -m 2 --unix-socket /app${dir}/data/agent.sock http://x/`;
    const run = launch(dir, [
      'shell',
      ...yes,
      '--name',
      attacker.name,
      '--work_dir',
      dir,
      '--read-only',
      path.join(dir, 'data-real'),
      '--',
      'sh',
      '-c',
      probe,
    ]);
    attacker.remove();
    expect(run.status).toBe(71);
    expect(run.stderr).toMatch(/codex-sandbox: mounts: mount \S+\/data is not (what|the directory) the launcher checked/);
    expect(`${run.stdout}`).not.toContain(secrets.secret);
    expect(secrets.connections()).toBe(0);
  });
});

test('R110 a root-owned workdir: root in the sandbox chowns it without following a single planted link', () => {
  if (process.getuid?.() !== 0) return; // only root can own the workdir as root and chown
  const dir = makeWorkdir(scratch, 'chown-links', 'root');
  const victim = path.join(scratch, 'victim-root');
  mkdirSync(victim);
  writeFileSync(path.join(victim, 'keep.txt'), 'root owned\n');
  writeFileSync(path.join(dir, 'mine.txt'), 'project\n');
  symlinkSync(victim, path.join(dir, 'to-host'));
  symlinkSync('/usr/local/lib/codex-sandbox', path.join(dir, 'to-image'));
  symlinkSync(path.join(victim, 'keep.txt'), path.join(dir, 'to-file'));
  const run = launch(dir, [
    'shell',
    '--yes',
    '--work_dir',
    dir,
    '--',
    'stat',
    '-c',
    '%u',
    '/usr/local/lib/codex-sandbox/lib-user.sh',
    '/usr/local/lib/codex-sandbox',
  ]);
  expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 0, stdout: '0\n0\n' });
  expect([statSync(victim).uid, statSync(path.join(victim, 'keep.txt')).uid]).toEqual([0, 0]);
  expect(statSync(path.join(dir, 'mine.txt')).uid).toBe(1000);
  expect(lstatSync(path.join(dir, 'to-host')).uid).toBe(1000); // the link itself, never its target
});

describe('defences that already held stay (R101)', () => {
  test("R101 a symlinked .codex/sandbox.ini (another project's approved file) is refused", () => {
    const dir = makeWorkdir(scratch, 'ini-link', 'user');
    const other = makeWorkdir(scratch, 'ini-other', 'user');
    mkdirSync(path.join(other, '.codex'));
    writeFileSync(path.join(other, '.codex', 'sandbox.ini'), '[network]\nallow = evil.test\n');
    expect(launch(other, ['trust', '--work_dir', other]).status).toBe(0);
    mkdirSync(path.join(dir, '.codex'));
    symlinkSync(path.join(other, '.codex', 'sandbox.ini'), path.join(dir, '.codex', 'sandbox.ini'));
    const run = launch(dir, ['shell', '--work_dir', dir, '--', 'true']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('is a symlink: settings must be a regular file in the workdir');
  });

  test('R101 a link planted where config.toml is copied is replaced; its target is untouched', () => {
    const dir = makeWorkdir(scratch, 'config-link', 'user');
    const victim = path.join(scratch, 'victim-bashrc');
    writeFileSync(victim, 'ORIGINAL\n');
    mkdirSync(path.join(dir, '.codex', '.environment'), { recursive: true });
    symlinkSync(victim, path.join(dir, '.codex', '.environment', 'config.toml'));
    chownAgent(dir);
    const config = path.join(scratch, 'explicit.toml');
    writeFileSync(config, 'model = "x"\n');
    expect(launch(dir, ['shell', '--config', config, '--work_dir', dir, '--', 'true']).status).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('ORIGINAL\n');
    expect(lstatSync(path.join(dir, '.codex', '.environment', 'config.toml')).isFile()).toBe(true);
  });
});
