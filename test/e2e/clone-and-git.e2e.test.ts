import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { containersFor, dockerLogs, IMAGE, runLauncher } from './helpers/run-launcher.js';
import { STATIC_SERVER } from './helpers/test-hosts.js';
import { startTestService, type TestService } from './helpers/test-service.js';

/**
 * Clone and protected git (R53, R55). Clone mode: a bare repository on this machine, served over git's
 * "dumb HTTP" by a static file server container (`git.test` on a private test network), is
 * cloned by the entrypoint through the firewall, then fetched and switched to another ref;
 * a host that is not allowlisted is refused before any container starts. Protected git: with
 * `--protect-git` the agent reads history but cannot commit.
 */

const AGENT_UID = 4242;

let scratch: string;
let home: string;
let network: string;
let server: string;
let commits: { main: string; other: string };
let service: TestService | undefined;

/** Host git for building fixtures only, with no user or system config. */
function git(cwd: string, args: string[]): string {
  return execFileSync('git', ['-c', 'safe.directory=*', ...args], {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
    },
  }).trim();
}

function chownTree(dir: string): void {
  if (process.getuid?.() !== 0) return;
  execFileSync('chown', ['-R', `${AGENT_UID}:${AGENT_UID}`, dir]);
}

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-clone-'));
  home = path.join(scratch, 'home');
  mkdirSync(home);

  // project.git: main has a.txt = v1; branch other has a.txt = v2.
  const source = path.join(scratch, 'source');
  mkdirSync(source);
  git(source, ['init', '-q', '-b', 'main']);
  writeFileSync(path.join(source, 'a.txt'), 'v1\n');
  git(source, ['add', 'a.txt']);
  git(source, ['commit', '-q', '-m', 'one']);
  const main = git(source, ['rev-parse', 'HEAD']);
  git(source, ['checkout', '-q', '-b', 'other']);
  writeFileSync(path.join(source, 'a.txt'), 'v2\n');
  git(source, ['commit', '-q', '-am', 'two']);
  commits = { main, other: git(source, ['rev-parse', 'HEAD']) };
  git(source, ['checkout', '-q', 'main']); // the served repository's default branch
  const served = path.join(scratch, 'served');
  mkdirSync(served);
  git(scratch, ['clone', '-q', '--bare', source, path.join(served, 'project.git')]);
  git(path.join(served, 'project.git'), ['update-server-info']);

  service = startTestService(
    'cs-e2e-clone',
    [
      '--network-alias',
      'git.test',
      '--mount',
      `type=bind,source=${served},target=/srv,readonly`,
      '--entrypoint',
      'node',
      IMAGE,
      '-e',
      STATIC_SERVER,
    ],
    'STATIC-LISTENING',
  );
  network = service.network;
  server = service.container;
});

afterAll(() => {
  service?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

function newWorkdir(name: string): string {
  const workdir = path.join(scratch, name);
  mkdirSync(workdir);
  if (process.getuid?.() === 0) chownSync(workdir, AGENT_UID, AGENT_UID);
  return workdir;
}

function shell(workdir: string, flags: string[], command: string, allowed = 'git.test') {
  return runLauncher(['shell', '--work_dir', workdir, '--image', IMAGE, '--network', network, ...flags, '--', 'sh', '-c', command], {
    cwd: scratch,
    env: { HOME: home, OPENAI_ALLOWED_DOMAINS: allowed },
    timeoutMs: 90000,
  });
}

const URL = 'http://git.test/project.git';

test('--repo clones through the firewall, marks it safe for git, and a re-run fetches and checks out --ref', () => {
  const workdir = newWorkdir('clone');
  const first = shell(workdir, ['--repo', URL], 'cd project && git status --short --branch && git rev-parse HEAD && cat a.txt');
  expect({ status: first.status, stderr: first.status === 0 ? '' : first.stderr }).toEqual({ status: 0, stderr: '' });
  expect(first.stdout).toContain('## main');
  expect(first.stdout).toContain(commits.main);
  expect(first.stdout).toContain('v1');
  expect(first.stderr).not.toContain('dubious ownership');
  expect(readFileSync(path.join(workdir, 'project', 'a.txt'), 'utf8')).toBe('v1\n');
  expect(dockerLogs(server)).toContain('GET /project.git/info/refs');

  const second = shell(
    workdir,
    ['--repo', URL, '--ref', 'other'],
    'cd project && git rev-parse HEAD && cat a.txt && git status --porcelain',
  );
  expect({ status: second.status, stderr: second.status === 0 ? '' : second.stderr }).toEqual({ status: 0, stderr: '' });
  expect(second.stdout).toBe(`${commits.other}\nv2\n`);
  expect(readFileSync(path.join(workdir, 'project', 'a.txt'), 'utf8')).toBe('v2\n');
  expect(containersFor(workdir)).toEqual([]);
});

test('--repo-dir names the directory', () => {
  const workdir = newWorkdir('named');
  const run = shell(workdir, ['--repo', URL, '--repo-dir', 'checkout', '--ref', commits.main], 'cat checkout/a.txt');
  expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 0, stdout: 'v1\n' });
  expect(readdirSync(workdir).filter((name) => name !== '.codex')).toEqual(['checkout']);
});

test('a repository host that is not allowlisted is refused before any container starts', () => {
  const workdir = newWorkdir('refused');
  const run = shell(workdir, ['--repo', URL], 'true', 'other.test');
  expect(run.status).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr.trim().split('\n').pop()).toBe(
    'run-in-container: --repo host git.test is not allowed through the firewall:' +
      ' allow it with OPENAI_ALLOWED_DOMAINS=git.test (or --allow git.test)',
  );
  expect(readdirSync(workdir)).toEqual([]);
  expect(containersFor(workdir)).toEqual([]);
});

test('--protect-git: history is readable, a commit (or a config change) fails, the host repository is unchanged', () => {
  const workdir = newWorkdir('protected');
  git(workdir, ['init', '-q', '-b', 'main']);
  writeFileSync(path.join(workdir, 'f.txt'), 'x\n');
  git(workdir, ['add', 'f.txt']);
  git(workdir, ['commit', '-q', '-m', 'first commit']);
  chownTree(workdir);
  const head = git(workdir, ['rev-parse', 'HEAD']);

  const run = shell(
    workdir,
    ['--protect-git'],
    'git log --oneline; echo y >> f.txt; ' +
      'git -c user.name=a -c user.email=a@a commit -qam agent; echo "commit=$?"; ' +
      'git config core.hooksPath /tmp; echo "config=$?"; touch .git/hooks/pre-commit; echo "hook=$?"',
  );
  expect(run.status).toBe(0);
  expect(run.stdout).toContain(`${head.slice(0, 7)} first commit`);
  expect(run.stdout).toMatch(/commit=[1-9]/);
  expect(run.stdout).toMatch(/config=[1-9]/);
  expect(run.stdout).toMatch(/hook=[1-9]/);
  expect(run.stderr).toMatch(/Read-only file system/);
  expect(git(workdir, ['rev-parse', 'HEAD'])).toBe(head);
  expect(existsSync(path.join(workdir, '.git', 'hooks', 'pre-commit'))).toBe(false);
  // The working tree itself stays writable.
  expect(readFileSync(path.join(workdir, 'f.txt'), 'utf8')).toBe('x\ny\n');

  // Without the flag the same commit succeeds (the test can fail).
  const open = shell(workdir, [], 'git -c user.name=a -c user.email=a@a commit -qam agent; echo "commit=$?"');
  expect(open.stdout).toContain('commit=0');
  expect(git(workdir, ['rev-parse', 'HEAD'])).not.toBe(head);
});

test('--protect-git on a workdir without .git only warns', () => {
  const workdir = newWorkdir('no-git');
  const run = shell(workdir, ['--protect-git'], 'echo ran');
  expect(run.status).toBe(0);
  expect(run.stdout).toBe('ran\n');
  expect(run.stderr).toContain(`warning: --protect-git: ${workdir} has no .git, nothing to protect there`);
});
