import fs from 'node:fs';
import path from 'node:path';
import { runCli } from './helpers/run-cli.js';
import { copyFixture, makeTempDir, removeTempDir, snapshotTree, writeFile } from './helpers/temp-dir.js';

/**
 * Bad inputs through the compiled CLI (npm run build first). Each case: exit code, the
 * message, nothing on stdout, and the temp tree (fake HOME, workdir, ...) unchanged.
 * No docker on PATH and a dead DOCKER_HOST: a case that got as far as docker would
 * fail with exit 1 instead of the expected code.
 */
interface Layout {
  tmp: string;
  home: string;
  work: string;
  root: string;
  outside: string;
}

interface BadCase {
  name: string;
  args: (l: Layout) => string[];
  env?: (l: Layout) => Record<string, string>;
  cwd?: (l: Layout) => string;
  /** false: a real run (validation or the refusal must come before docker). */
  dryRun?: boolean;
  exit: number;
  message: string | ((l: Layout) => string);
  /** Warnings may precede the error line (exposure cases). */
  oneLine?: boolean;
}

const DOMAIN_MESSAGE = (entry: string) => `OPENAI_ALLOWED_DOMAINS: ${JSON.stringify(entry)} is not a valid host name`;

const CASES: BadCase[] = [
  { name: '--work_dir missing path', args: (l) => ['--work_dir', path.join(l.tmp, 'missing')], exit: 2, message: (l) => `--work_dir ${JSON.stringify(path.join(l.tmp, 'missing'))} does not exist (ENOENT)` },
  { name: '--work_dir missing path (real run)', dryRun: false, args: () => ['--work_dir', 'nope'], exit: 2, message: '--work_dir "nope" does not exist' },
  { name: 'a file as workdir', args: () => ['--work_dir', 'README.md'], exit: 2, message: '--work_dir "README.md" is not a directory' },
  { name: '/ as workdir', args: () => ['--work_dir', '/'], exit: 2, message: 'refusing to mount / as the workdir' },
  { name: '/ as workdir via ..', args: (l) => ['--work_dir', `${l.work}/../../../../../../../..`], exit: 2, message: 'refusing to mount / as the workdir' },
  { name: 'WORKSPACE_ROOT_DIR with workdir outside', args: () => [], env: (l) => ({ WORKSPACE_ROOT_DIR: l.root }), exit: 2, message: (l) => `--work_dir ${l.work} is outside WORKSPACE_ROOT_DIR (${l.root})` },
  { name: 'symlink inside root pointing outside', args: (l) => ['--work_dir', path.join(l.root, 'escape')], env: (l) => ({ WORKSPACE_ROOT_DIR: l.root }), exit: 2, message: (l) => `--work_dir ${l.outside} is outside WORKSPACE_ROOT_DIR` },
  { name: '.. escape from the root', args: (l) => ['--work_dir', path.join(l.root, 'proj', '..', '..', 'outside')], env: (l) => ({ WORKSPACE_ROOT_DIR: l.root }), exit: 2, message: (l) => `--work_dir ${l.outside} is outside WORKSPACE_ROOT_DIR` },
  { name: 'relative .. escape, real run', dryRun: false, args: () => ['--work_dir', '../outside'], env: (l) => ({ WORKSPACE_ROOT_DIR: l.work }), exit: 2, message: 'is outside WORKSPACE_ROOT_DIR' },
  { name: 'WORKSPACE_ROOT_DIR nonexistent', args: () => [], env: (l) => ({ WORKSPACE_ROOT_DIR: path.join(l.tmp, 'no-root') }), exit: 2, message: (l) => `WORKSPACE_ROOT_DIR ${JSON.stringify(path.join(l.tmp, 'no-root'))} does not exist` },
  { name: "--work_dir ''", args: () => ['--work_dir', ''], exit: 2, message: '--work_dir is empty: give a path' },
  { name: '--work_dir given twice', args: (l) => ['--work_dir', l.work, '--work-dir', l.work], exit: 2, message: '--work_dir was given more than once' },
  { name: '--config missing', args: () => ['--config', 'missing.toml'], exit: 2, message: '--config "missing.toml" does not exist' },
  { name: '--config dir without config.toml', args: () => ['--config', 'src'], exit: 2, message: '--config "src" has no config.toml' },
  { name: 'CODEX_CONFIG_DIR missing', args: () => [], env: (l) => ({ CODEX_CONFIG_DIR: path.join(l.tmp, 'nocfg') }), exit: 2, message: 'CODEX_CONFIG_DIR' },
  { name: 'CODEX_CONFIG_DIR is a file', args: () => [], env: (l) => ({ CODEX_CONFIG_DIR: path.join(l.work, 'README.md') }), exit: 2, message: 'is not a directory' },
  { name: '--auth_file missing', args: () => ['--auth_file', 'auth.json'], exit: 2, message: '--auth_file "auth.json" does not exist' },
  { name: '--auth_file is a directory', args: () => ['--auth-file', 'src'], exit: 2, message: '--auth_file "src" is not a regular file' },
  { name: 'CODEX_AUTH_FILE missing', args: () => [], env: (l) => ({ CODEX_AUTH_FILE: path.join(l.home, 'auth.json') }), exit: 2, message: 'CODEX_AUTH_FILE' },
  { name: '--init_script missing', args: () => ['--init_script', 'nope.sh'], exit: 2, message: '--init_script "nope.sh" does not exist' },
  { name: '--init_script is a dir', args: () => ['--init-script', 'src'], exit: 2, message: '--init_script "src" is not a regular file' },
  { name: '--read-only missing', args: () => ['--read-only', 'missing'], exit: 2, message: '--read-only "missing" does not exist' },
  { name: '--read-only /', args: () => ['--read-only', '/'], exit: 2, message: 'refusing to mount / with --read-only' },
  { name: '--read-only the workdir itself', args: () => ['--read-only', '.'], exit: 2, message: '--read-only "." is the workdir itself' },
  { name: "--read-only ''", args: () => ['--read-only', ''], exit: 2, message: '--read-only needs a non-empty value' },
  { name: '--codex-home /', args: () => ['--codex-home', '/'], exit: 2, message: 'refusing to mount / with --codex-home' },
  { name: '--sessions-path /', args: () => ['--sessions-path', '/', '--yes'], exit: 2, message: 'refusing to mount / with --sessions-path' },
  { name: '--codex-home below a file', args: () => ['--codex-home', 'README.md/home'], exit: 2, message: '--codex-home "README.md/home" cannot be used (ENOTDIR)' },
  { name: 'OPENAI_ALLOWED_DOMAINS evil.com;rm -rf /', args: () => [], env: () => ({ OPENAI_ALLOWED_DOMAINS: 'evil.com;rm -rf /' }), exit: 2, message: DOMAIN_MESSAGE('evil.com;rm') },
  { name: 'OPENAI_ALLOWED_DOMAINS $(id)', args: () => [], env: () => ({ OPENAI_ALLOWED_DOMAINS: 'ok.com,$(id)' }), exit: 2, message: DOMAIN_MESSAGE('$(id)') },
  { name: 'OPENAI_ALLOWED_DOMAINS a..com', args: () => [], env: () => ({ OPENAI_ALLOWED_DOMAINS: 'a..com' }), exit: 2, message: `${DOMAIN_MESSAGE('a..com')} (it has an empty label)` },
  { name: 'OPENAI_ALLOWED_DOMAINS 10.0.0.1 (real run)', dryRun: false, args: () => [], env: () => ({ OPENAI_ALLOWED_DOMAINS: '10.0.0.1' }), exit: 2, message: `${DOMAIN_MESSAGE('10.0.0.1')} (IP addresses are not allowed, only host names)` },
  { name: '--network host', args: () => ['--network', 'host'], exit: 2, message: '--network host would share another network namespace' },
  { name: '--network container:x', args: () => ['--network', 'container:x'], exit: 2, message: '--network container:x would share another network namespace' },
  { name: '--network with a bad name', args: () => ['--network', 'a b'], exit: 2, message: '--network "a b" is not a docker network name' },
  { name: '--dns not-an-ip', args: () => ['--dns', 'not-an-ip'], exit: 2, message: '--dns "not-an-ip" is not an IP address' },
  { name: "--image 'bad image!'", args: () => ['--image', 'bad image!'], exit: 2, message: '--image "bad image!" is not an image reference' },
  { name: '--image starting with - (option injection)', args: () => ['--image=--privileged'], exit: 2, message: '--image "--privileged" is not an image reference' },
  { name: 'CODEX_DOCKER_IMAGE bad (real run)', dryRun: false, args: () => [], env: () => ({ CODEX_DOCKER_IMAGE: 'x;rm -rf /' }), exit: 2, message: 'CODEX_DOCKER_IMAGE "x;rm -rf /" is not an image reference' },
  { name: 'unknown flag --bogus', args: () => ['--bogus'], exit: 2, message: 'Unknown argument: bogus (see --help)' },
  { name: 'unknown flag --bogus (real run)', dryRun: false, args: () => ['--bogus'], exit: 2, message: 'Unknown argument: bogus' },
  { name: 'positional argument without --', args: () => ['--model'], exit: 2, message: 'Unknown argument: model' },
  { name: 'bare positional word without --', args: () => ['fix-the-bug'], exit: 2, message: 'fix-the-bug' },
  { name: 'shell: unknown flag', args: () => ['shell', '--bogus'], exit: 2, message: 'Unknown argument: bogus' },
  {
    name: '--codex-home outside the workdir, non-interactive, no --yes (real run)',
    dryRun: false,
    args: (l) => ['--codex-home', path.join(l.outside, 'codex-home')],
    exit: 2,
    oneLine: false,
    message: 'refusing writable mounts outside the workdir without confirmation: rerun with --yes to accept',
  },
  {
    name: '--sessions-path outside the workdir, non-interactive, no --yes (real run)',
    dryRun: false,
    args: (l) => ['--sessions-path', path.join(l.outside, 'sessions')],
    exit: 2,
    oneLine: false,
    message: 'rerun with --yes',
  },
  {
    name: 'workdir == HOME, non-interactive, no --yes (real run)',
    dryRun: false,
    args: (l) => ['--work_dir', l.home],
    exit: 2,
    oneLine: false,
    message: 'rerun with --yes',
  },
  {
    name: 'workdir is an ancestor of HOME (real run)',
    dryRun: false,
    args: (l) => ['--work_dir', l.tmp],
    exit: 2,
    oneLine: false,
    message: 'rerun with --yes',
  },
];

describe('run-in-container: bad input', () => {
  let layout: Layout;

  beforeEach(() => {
    const tmp = makeTempDir('codex-sandbox-cli-');
    layout = {
      tmp,
      home: path.join(tmp, 'home'),
      work: copyFixture('basic-project', path.join(tmp, 'work')),
      root: path.join(tmp, 'root'),
      outside: path.join(tmp, 'outside'),
    };
    fs.mkdirSync(layout.home);
    fs.mkdirSync(path.join(layout.root, 'proj'), { recursive: true });
    fs.mkdirSync(layout.outside);
    fs.symlinkSync(layout.outside, path.join(layout.root, 'escape'));
    writeFile(path.join(layout.home, '.codex', 'config.toml'), 'model = "home"\n');
    writeFile(path.join(layout.home, '.codex', 'auth.json'), '{"t":1}', 0o600);
  });

  afterEach(() => removeTempDir(layout.tmp));

  it('has at least 22 distinct cases', () => {
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
    expect(CASES.length).toBeGreaterThanOrEqual(22);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const before = snapshotTree(layout.tmp);
    const args = [...c.args(layout), ...(c.dryRun === false ? [] : ['--dry-run'])];
    const result = runCli(args, { cwd: c.cwd?.(layout) ?? layout.work, home: layout.home, env: c.env?.(layout) });
    const message = typeof c.message === 'function' ? c.message(layout) : c.message;

    expect({ status: result.status, stdout: result.stdout }).toEqual({ status: c.exit, stdout: '' });
    const lines = result.stderr.split('\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(0);
    if (c.oneLine !== false) expect(lines).toHaveLength(1);
    expect(lines[lines.length - 1]).toMatch(/^run-in-container: /);
    expect(lines[lines.length - 1]).toContain(message);
    expect(result.stderr).not.toContain('unexpected error');
    expect(snapshotTree(layout.tmp)).toEqual(before);
    expect(fs.existsSync(path.join(layout.work, '.codex'))).toBe(false);
  });

  it('dry run with workdir == HOME only warns (exit 0) and creates nothing', () => {
    const before = snapshotTree(layout.tmp);
    const result = runCli(['--dry-run', '--work_dir', layout.home], { cwd: layout.work, home: layout.home });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(`warning: the workdir ${layout.home} is your home directory or contains it`);
    expect(result.stderr).toContain('dry run: a real run asks for confirmation here (or pass --yes)');
    expect(result.stdout.split('\n')).toHaveLength(2);
    expect(snapshotTree(layout.tmp)).toEqual(before);
  });

  it('a run that passes validation fails at docker (exit 1), proving the cases above never reach it', () => {
    const result = runCli(['--yes'], { cwd: layout.work, home: layout.home });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/run-in-container: (docker CLI not found|Docker engine)/);
    expect(fs.existsSync(path.join(layout.work, '.codex'))).toBe(false);
  });
});
