import fs from 'node:fs';
import path from 'node:path';
import { runCli } from './helpers/run-cli.js';
import { copyFixture, makeTempDir, removeTempDir, snapshotTree, writeFile } from './helpers/temp-dir.js';

/**
 * Bad inputs through the compiled CLI (npm run build first). Each case: exit code, the
 * message, nothing on stdout, and the temp tree (fake HOME, workdir, ...) unchanged.
 * No docker on PATH and a dead DOCKER_HOST: a case that got as far as docker would
 * fail with exit 1 instead of the expected code. What the parse alone refuses is tested
 * in-process (cli-parse-refusals.test.ts); a few such cases stay here as whole-CLI runs.
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
  /** Files written before the run (settings files, R73), relative to the layout. */
  files?: (l: Layout) => Record<string, string | Buffer>;
}

/** The user's defaults file, always read (R73). */
const USER_INI = (l: Layout) => path.join(l.home, '.config', 'codex-sandbox', 'config.ini');

const DOMAIN_MESSAGE = (entry: string) => `OPENAI_ALLOWED_DOMAINS: ${JSON.stringify(entry)} is not a valid host name`;

const CASES: BadCase[] = [
  // --ask (R172): its timeout only with it, and within 1 s to 120 s.
  {
    name: '--work_dir missing path',
    args: (l) => ['--work_dir', path.join(l.tmp, 'missing')],
    exit: 2,
    message: (l) => `--work_dir ${JSON.stringify(path.join(l.tmp, 'missing'))} does not exist (ENOENT)`,
  },
  {
    name: '--work_dir missing path (real run)',
    dryRun: false,
    args: () => ['--work_dir', 'nope'],
    exit: 2,
    message: '--work_dir "nope" does not exist',
  },
  { name: 'a file as workdir', args: () => ['--work_dir', 'README.md'], exit: 2, message: '--work_dir "README.md" is not a directory' },
  { name: '/ as workdir', args: () => ['--work_dir', '/'], exit: 2, message: 'refusing to mount / as the workdir' },
  {
    name: '/ as workdir via ..',
    args: (l) => ['--work_dir', `${l.work}/../../../../../../../..`],
    exit: 2,
    message: 'refusing to mount / as the workdir',
  },
  {
    name: 'WORKSPACE_ROOT_DIR with workdir outside',
    args: () => [],
    env: (l) => ({ WORKSPACE_ROOT_DIR: l.root }),
    exit: 2,
    message: (l) => `--work_dir ${l.work} is outside WORKSPACE_ROOT_DIR (${l.root})`,
  },
  {
    name: 'symlink inside root pointing outside',
    args: (l) => ['--work_dir', path.join(l.root, 'escape')],
    env: (l) => ({ WORKSPACE_ROOT_DIR: l.root }),
    exit: 2,
    message: (l) => `--work_dir ${l.outside} is outside WORKSPACE_ROOT_DIR`,
  },
  {
    name: '.. escape from the root',
    args: (l) => ['--work_dir', path.join(l.root, 'proj', '..', '..', 'outside')],
    env: (l) => ({ WORKSPACE_ROOT_DIR: l.root }),
    exit: 2,
    message: (l) => `--work_dir ${l.outside} is outside WORKSPACE_ROOT_DIR`,
  },
  {
    name: 'relative .. escape, real run',
    dryRun: false,
    args: () => ['--work_dir', '../outside'],
    env: (l) => ({ WORKSPACE_ROOT_DIR: l.work }),
    exit: 2,
    message: 'is outside WORKSPACE_ROOT_DIR',
  },
  {
    name: 'WORKSPACE_ROOT_DIR nonexistent',
    args: () => [],
    env: (l) => ({ WORKSPACE_ROOT_DIR: path.join(l.tmp, 'no-root') }),
    exit: 2,
    message: (l) => `WORKSPACE_ROOT_DIR ${JSON.stringify(path.join(l.tmp, 'no-root'))} does not exist`,
  },
  { name: "--work_dir ''", args: () => ['--work_dir', ''], exit: 2, message: '--work_dir is empty: give a path' },
  // Several directories and sessions (R40-R46): refused before docker is asked anything.
  {
    name: '--work_dir twice, the second inside the first',
    args: (l) => ['--work_dir', l.work, '--work-dir', path.join(l.work, 'src')],
    exit: 2,
    message: (l) => `workdir ${l.work}/src is inside workdir ${l.work}: their mounts would overlap, list only ${l.work}`,
  },
  {
    name: 'DIR… with the first inside the second (real run)',
    dryRun: false,
    args: (l) => ['src', l.work],
    exit: 2,
    message: (l) => `workdir ${l.work}/src is inside workdir ${l.work}`,
  },
  { name: 'second DIR missing', args: () => ['.', 'nope'], exit: 2, message: 'workdir "nope" does not exist (ENOENT)' },
  { name: 'second DIR /', args: () => ['.', '/'], exit: 2, message: 'refusing to mount / as the workdir' },
  {
    name: 'second DIR outside WORKSPACE_ROOT_DIR',
    args: (l) => [path.join(l.root, 'proj'), l.outside],
    env: (l) => ({ WORKSPACE_ROOT_DIR: l.root }),
    exit: 2,
    message: (l) => `workdir ${l.outside} is outside WORKSPACE_ROOT_DIR`,
  },
  {
    name: 'shell DIR… second missing',
    args: () => ['shell', '.', 'nope', '--', 'true'],
    exit: 2,
    message: 'workdir "nope" does not exist',
  },
  // Parse-level refusals (a flag given twice, without its value, unknown, contradicting another, --name's
  // form): in-process in cli-parse-refusals.test.ts; the whole-CLI runs below keep one per command family.
  {
    name: 'egress --allowed --blocked',
    dryRun: false,
    args: () => ['egress', '--allowed', '--blocked'],
    exit: 2,
    message: 'give --allowed or --blocked, not both',
  },
  {
    name: 'list --filter unknown key',
    dryRun: false,
    args: () => ['list', '--filter', 'colour=red'],
    exit: 2,
    message: 'unknown key "colour"; use one of name, workdir, image, status',
  },
  {
    name: 'list --filter without value',
    dryRun: false,
    args: () => ['list', '--filter', 'name='],
    exit: 2,
    message: '--filter "name=" has no value',
  },
  {
    name: 'list --format xml',
    dryRun: false,
    args: () => ['list', '--format', 'xml'],
    exit: 2,
    message: '--format "xml" is not a format: use table, json or names',
  },
  {
    name: 'attach with a bad name',
    dryRun: false,
    args: () => ['attach', 'a;b'],
    exit: 2,
    message: 'attach: NAME "a;b" is not a session name',
  },
  {
    name: 'destroy NAME --all',
    dryRun: false,
    args: () => ['destroy', 'a', '--all'],
    exit: 2,
    message: 'destroy: give one of NAME, --all, --stopped',
  },
  {
    name: 'destroy with a bad name',
    dryRun: false,
    args: () => ['destroy', '../x'],
    exit: 2,
    message: 'destroy: NAME "../x" is not a session name',
  },
  {
    name: 'push a missing path',
    dryRun: false,
    args: () => ['push', 'nope.txt'],
    exit: 2,
    message: 'push: "nope.txt" does not exist: check the path',
  },
  {
    name: 'push two paths with one name',
    dryRun: false,
    args: () => ['push', 'README.md', 'src/../README.md'],
    exit: 2,
    message: 'push: two paths are named "README.md"',
  },
  {
    name: 'push --name bad',
    dryRun: false,
    args: () => ['push', '--name', 'a b', 'README.md'],
    exit: 2,
    message: '--name "a b" is not a session name',
  },
  {
    name: 'pull into a missing DEST_DIR',
    dryRun: false,
    args: () => ['pull', 'out.txt', 'nope'],
    exit: 2,
    message: 'pull: DEST_DIR "nope" does not exist',
  },
  {
    name: 'pull into a file',
    dryRun: false,
    args: () => ['pull', 'out.txt', 'README.md'],
    exit: 2,
    message: 'pull: DEST_DIR "README.md" is not a directory',
  },
  { name: 'pull an empty CONTAINER_PATH', dryRun: false, args: () => ['pull', ''], exit: 2, message: 'pull: CONTAINER_PATH is empty' },
  { name: '--config missing', args: () => ['--config', 'missing.toml'], exit: 2, message: '--config "missing.toml" does not exist' },
  { name: '--config dir without config.toml', args: () => ['--config', 'src'], exit: 2, message: '--config "src" has no config.toml' },
  {
    name: 'CODEX_CONFIG_DIR missing',
    args: () => [],
    env: (l) => ({ CODEX_CONFIG_DIR: path.join(l.tmp, 'nocfg') }),
    exit: 2,
    message: 'CODEX_CONFIG_DIR',
  },
  {
    name: 'CODEX_CONFIG_DIR is a file',
    args: () => [],
    env: (l) => ({ CODEX_CONFIG_DIR: path.join(l.work, 'README.md') }),
    exit: 2,
    message: 'is not a directory',
  },
  { name: '--auth_file missing', args: () => ['--auth_file', 'auth.json'], exit: 2, message: '--auth_file "auth.json" does not exist' },
  { name: '--auth_file is a directory', args: () => ['--auth-file', 'src'], exit: 2, message: '--auth_file "src" is not a regular file' },
  {
    name: 'CODEX_AUTH_FILE missing',
    args: () => [],
    env: (l) => ({ CODEX_AUTH_FILE: path.join(l.home, 'auth.json') }),
    exit: 2,
    message: 'CODEX_AUTH_FILE',
  },
  { name: '--init_script missing', args: () => ['--init_script', 'nope.sh'], exit: 2, message: '--init_script "nope.sh" does not exist' },
  { name: '--init_script is a dir', args: () => ['--init-script', 'src'], exit: 2, message: '--init_script "src" is not a regular file' },
  { name: '--read-only missing', args: () => ['--read-only', 'missing'], exit: 2, message: '--read-only "missing" does not exist' },
  { name: '--read-only /', args: () => ['--read-only', '/'], exit: 2, message: 'refusing to mount / with --read-only' },
  { name: '--read-only the workdir itself', args: () => ['--read-only', '.'], exit: 2, message: '--read-only "." is the workdir itself' },
  { name: '--codex-home /', args: () => ['--codex-home', '/'], exit: 2, message: 'refusing to mount / with --codex-home' },
  {
    name: '--sessions-path /',
    args: () => ['--sessions-path', '/', '--yes'],
    exit: 2,
    message: 'refusing to mount / with --sessions-path',
  },
  {
    name: '--codex-home below a file',
    args: () => ['--codex-home', 'README.md/home'],
    exit: 2,
    message: '--codex-home "README.md/home" cannot be used (ENOTDIR)',
  },
  {
    name: 'OPENAI_ALLOWED_DOMAINS evil.com;rm -rf /',
    args: () => [],
    env: () => ({ OPENAI_ALLOWED_DOMAINS: 'evil.com;rm -rf /' }),
    exit: 2,
    message: DOMAIN_MESSAGE('evil.com;rm'),
  },
  {
    name: 'OPENAI_ALLOWED_DOMAINS $(id)',
    args: () => [],
    env: () => ({ OPENAI_ALLOWED_DOMAINS: 'ok.com,$(id)' }),
    exit: 2,
    message: DOMAIN_MESSAGE('$(id)'),
  },
  {
    name: 'OPENAI_ALLOWED_DOMAINS a..com',
    args: () => [],
    env: () => ({ OPENAI_ALLOWED_DOMAINS: 'a..com' }),
    exit: 2,
    message: `${DOMAIN_MESSAGE('a..com')} (it has an empty label)`,
  },
  {
    name: 'OPENAI_ALLOWED_DOMAINS 10.0.0.1 (real run)',
    dryRun: false,
    args: () => [],
    env: () => ({ OPENAI_ALLOWED_DOMAINS: '10.0.0.1' }),
    exit: 2,
    message: `${DOMAIN_MESSAGE('10.0.0.1')} (IP addresses are not allowed, only host names)`,
  },
  { name: '--network host', args: () => ['--network', 'host'], exit: 2, message: '--network host would share another network namespace' },
  {
    name: '--network container:x',
    args: () => ['--network', 'container:x'],
    exit: 2,
    message: '--network container:x would share another network namespace',
  },
  { name: '--network with a bad name', args: () => ['--network', 'a b'], exit: 2, message: '--network "a b" is not a docker network name' },
  { name: '--dns not-an-ip', args: () => ['--dns', 'not-an-ip'], exit: 2, message: '--dns "not-an-ip" is not an IP address' },
  {
    name: "--image 'bad image!'",
    args: () => ['--image', 'bad image!'],
    exit: 2,
    message: '--image "bad image!" is not an image reference',
  },
  {
    name: '--image starting with - (option injection)',
    args: () => ['--image=--privileged'],
    exit: 2,
    message: '--image "--privileged" is not an image reference',
  },
  {
    name: 'CODEX_DOCKER_IMAGE bad (real run)',
    dryRun: false,
    args: () => [],
    env: () => ({ CODEX_DOCKER_IMAGE: 'x;rm -rf /' }),
    exit: 2,
    message: 'CODEX_DOCKER_IMAGE "x;rm -rf /" is not an image reference',
  },
  { name: 'unknown flag --bogus (real run)', dryRun: false, args: () => ['--bogus'], exit: 2, message: 'Unknown argument: bogus' },
  { name: 'bare positional word without --', args: () => ['fix-the-bug'], exit: 2, message: 'fix-the-bug' },
  // exec, --repo/--ref/--repo-dir, diff (R50-R54).
  {
    name: 'exec without a prompt',
    args: () => ['exec'],
    exit: 2,
    message: 'exec needs a PROMPT: run-in-container exec [options] "what to do"',
  },
  { name: "exec ''", args: () => ['exec', ''], exit: 2, message: 'exec needs a PROMPT' },
  { name: 'exec - (stdin)', dryRun: false, args: () => ['exec', '-'], exit: 2, message: 'exec needs a PROMPT' },
  {
    name: 'exec --out a non-empty directory (real run)',
    dryRun: false,
    args: () => ['exec', '--out', 'src', 'go'],
    exit: 2,
    message: '--out "src" is not empty: give a new or empty directory',
  },
  { name: 'exec --out a file', args: () => ['exec', '--out', 'README.md', 'go'], exit: 2, message: '--out "README.md" is not a directory' },
  {
    name: '--repo ssh URL',
    args: () => ['--repo', 'git@github.com:o/r.git'],
    env: () => ({ OPENAI_ALLOWED_DOMAINS: 'github.com' }),
    exit: 2,
    message: 'ssh and git:// URLs cannot pass the sandbox firewall (only ports 80/443)',
  },
  {
    name: '--repo host not allowed (real run)',
    dryRun: false,
    args: () => ['exec', '--repo', 'https://gitlab.com/o/r.git', 'go'],
    exit: 2,
    message: '--repo host gitlab.com is not allowed through the firewall: allow it with OPENAI_ALLOWED_DOMAINS=gitlab.com',
  },
  {
    name: '--repo file:// URL',
    args: () => ['--repo', 'file:///etc'],
    exit: 2,
    message: '--repo "file:///etc": file: URLs are not supported',
  },
  {
    name: '--repo with credentials',
    args: () => ['--repo', 'https://u:tok@github.com/o/r.git'],
    env: () => ({ OPENAI_ALLOWED_DOMAINS: 'github.com' }),
    exit: 2,
    message: 'credentials in the URL',
  },
  {
    name: '--ref option injection',
    args: () => ['--repo', 'https://github.com/o/r.git', '--ref=--upload-pack=touch'],
    env: () => ({ OPENAI_ALLOWED_DOMAINS: 'github.com' }),
    exit: 2,
    message: '--ref "--upload-pack=touch" is not a git ref',
  },
  {
    name: '--repo-dir ..',
    args: () => ['--repo', 'https://github.com/o/r.git', '--repo-dir', '..'],
    env: () => ({ OPENAI_ALLOWED_DOMAINS: 'github.com' }),
    exit: 2,
    message: '--repo-dir ".." is not a safe directory name',
  },
  {
    name: 'diff with no tracked run',
    dryRun: false,
    args: () => ['diff'],
    exit: 2,
    message: 'no tracked runs for this workdir: run with --track first',
  },
  { name: 'diff with a bad target', dryRun: false, args: () => ['diff', '../x'], exit: 2, message: 'diff "../x" is not a session name' },
  {
    name: '--codex-home outside the workdir, non-interactive, no --yes (real run)',
    dryRun: false,
    args: (l) => ['--codex-home', path.join(l.outside, 'codex-home')],
    exit: 2,
    oneLine: false,
    message: 'refusing to start without confirmation of the warnings above: rerun with --yes to accept',
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
  // The other commands (R22), odd missing paths, config files.
  {
    name: 'build --node 19 (real run)',
    dryRun: false,
    args: () => ['build', '--node', '19'],
    exit: 2,
    message: '--node 19 is not supported: use one of 18, 20, 22',
  },
  {
    name: 'build --codex-version injection (real run)',
    dryRun: false,
    args: () => ['build', '--codex-version', '1.0.0;rm -rf /'],
    exit: 2,
    message: '--codex-version "1.0.0;rm -rf /" is not a version',
  },
  {
    name: 'build --base-image option injection (real run)',
    dryRun: false,
    args: () => ['build', '--base-image=--squash'],
    exit: 2,
    message: '--base-image "--squash" is not an image reference',
  },
  {
    name: 'build: stray word (real run)',
    dryRun: false,
    args: () => ['build', 'now'],
    exit: 2,
    message: 'Unknown argument: now (see --help)',
  },
  {
    name: 'missing workdir with a newline, comma and colon',
    args: (l) => ['--work_dir', path.join(l.tmp, 'a\nb,c:d')],
    exit: 2,
    message: (l) => `--work_dir ${JSON.stringify(path.join(l.tmp, 'a\nb,c:d'))} does not exist (ENOENT)`,
  },
  {
    name: 'missing workdir named $(touch pwned)',
    args: () => ['--work_dir', '$(touch pwned)'],
    exit: 2,
    message: '--work_dir "$(touch pwned)" does not exist',
  },
  {
    name: 'CODEX_AUTH_FILE is a directory',
    args: () => [],
    env: (l) => ({ CODEX_AUTH_FILE: path.join(l.work, 'src') }),
    exit: 2,
    message: 'is not a regular file',
  },
  {
    name: '--config malformed config.toml',
    files: (l) => ({ [path.join(l.tmp, 'bad.toml')]: 'model = "x\n[[[\n' }),
    args: (l) => ['--config', path.join(l.tmp, 'bad.toml')],
    exit: 2,
    message: 'malformed TOML',
  },
  // Settings files (R73).
  {
    name: 'settings: malformed ini line',
    files: (l) => ({ [USER_INI(l)]: '[network\nallow = a.test\n' }),
    args: () => [],
    exit: 2,
    message: (l) => `${USER_INI(l)}:1: "[network" is neither "[section]" nor "key = value": fix the line`,
  },
  {
    name: 'settings: binary garbage',
    files: (l) => ({ [USER_INI(l)]: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01]) }),
    args: () => [],
    exit: 2,
    message: (l) => `${USER_INI(l)} is not a text file (binary data): fix or delete it`,
  },
  {
    name: 'settings: unknown key',
    files: (l) => ({ [USER_INI(l)]: '[network]\nallowed = a.test\n' }),
    args: () => [],
    exit: 2,
    message: (l) => `${USER_INI(l)}:2: unknown key allowed in [network]`,
  },
  {
    name: 'settings: unknown section',
    files: (l) => ({ [USER_INI(l)]: '[proxy]\n' }),
    args: () => [],
    exit: 2,
    message: (l) => `${USER_INI(l)}:1: unknown section [proxy]`,
  },
  {
    name: 'settings: bad port (real run)',
    dryRun: false,
    files: (l) => ({ [USER_INI(l)]: '[network]\nallow_host_ports = 3000 99999\n' }),
    args: () => [],
    exit: 2,
    message: (l) => `${USER_INI(l)}:2: [network] allow_host_ports: "99999" is not a TCP port`,
  },
  {
    name: 'settings: IP in allow',
    files: (l) => ({ [USER_INI(l)]: '[network]\nallow = 169.254.169.254\n' }),
    args: () => [],
    exit: 2,
    message: 'is not a valid host name (IP addresses are not allowed',
  },
  {
    name: 'settings: bad image',
    files: (l) => ({ [USER_INI(l)]: '[run]\nimage = --privileged\n' }),
    args: () => [],
    exit: 2,
    message: (l) => `${USER_INI(l)} [run] image "--privileged" is not an image reference`,
  },
  {
    name: 'settings: untrusted project file, non-interactive (real run)',
    dryRun: false,
    files: (l) => ({ [path.join(l.work, '.codex', 'sandbox.ini')]: '[network]\nallow = pypi.org\n' }),
    args: () => [],
    exit: 2,
    oneLine: false,
    message: (l) => `${path.join(l.work, '.codex', 'sandbox.ini')} is not trusted: run \`run-in-container trust\` to approve`,
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
    // A normal user's project: run by root, a root-owned one needs consent first.
    if (process.getuid?.() === 0) fs.chownSync(layout.work, 4242, 4242);
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
    for (const [file, content] of Object.entries(c.files?.(layout) ?? {})) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
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
    expect(fs.existsSync(path.join(layout.work, '.codex', '.environment'))).toBe(false);
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
