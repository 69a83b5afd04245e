import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, runCli, type CliResult } from './helpers/run-cli.js';
import { copyFixture, makeTempDir, removeTempDir, snapshotTree, writeFile } from './helpers/temp-dir.js';
import { SECURITY_ARGS } from './helpers/security-args.js';

const PACKAGE_VERSION = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const DEFAULT_DOMAINS = 'api.openai.com chatgpt.com chat.openai.com auth.openai.com auth0.openai.com platform.openai.com openai.com';
const CAPS = SECURITY_ARGS;

let tmp: string;
let home: string;
let work: string;

beforeEach(() => {
  tmp = makeTempDir('codex-sandbox-dry-');
  home = path.join(tmp, 'home');
  fs.mkdirSync(home);
  work = copyFixture('basic-project', path.join(tmp, 'work'));
  // A normal user's project: a root-owned one run by root needs consent (tested below).
  if (process.getuid?.() === 0) fs.chownSync(work, 4242, 4242);
});

afterEach(() => removeTempDir(tmp));

/** Tests that need the launcher to run as root (CI does): skipped, visibly, for other users. */
const IS_ROOT = process.getuid?.() === 0;
const asRoot = IS_ROOT ? test : test.skip;

describe('a root-owned workdir (R34)', () => {
  const WARNING = 'is owned by root and you run as root';
  asRoot('as root: the dry run warns that the tree would be handed to uid 1000', () => {
    fs.chownSync(work, 0, 0);
    const result = runCli(['--dry-run'], { cwd: work, home });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(`the workdir ${work} ${WARNING}`);
  });

  asRoot('as root, without --yes: refused before anything is created', () => {
    fs.chownSync(work, 0, 0);
    const before = snapshotTree(tmp);
    const result = runCli([], { cwd: work, home });
    expect({ status: result.status, last: result.stderr.trim().split('\n').pop() }).toEqual({
      status: 2,
      last: 'run-in-container: refusing to start without confirmation of the warnings above: rerun with --yes to accept',
    });
    expect(snapshotTree(tmp)).toEqual(before);
  });

  test('a workdir owned by a normal user (as root: uid 4242): no warning, no question', () => {
    const result = runCli(['--dry-run'], { cwd: work, home });
    expect(result.status).toBe(0);
    expect(result.stderr).not.toContain(WARNING);
  });
});

/** Parses stdout: exactly one line holding a JSON array of strings. */
function parseArgv(result: CliResult): string[] {
  expect(result.status).toBe(0);
  expect(result.stdout.endsWith('\n')).toBe(true);
  expect(result.stdout.slice(0, -1)).not.toContain('\n');
  const argv = JSON.parse(result.stdout) as unknown;
  expect(Array.isArray(argv)).toBe(true);
  expect((argv as unknown[]).every((word) => typeof word === 'string')).toBe(true);
  expect((argv as string[]).slice(0, 2)).toEqual(['docker', 'run']);
  return argv as string[];
}

/** The run-dependent values (random run id, child pid), checked for shape and returned. */
function runIdentity(argv: string[]): { runId: string; pid: string } {
  const runId = /^codex-sandbox\.run-id=([0-9a-f]{8})$/.exec(argv.find((w) => w.startsWith('codex-sandbox.run-id=')) ?? '')?.[1];
  const pid = /^codex-sandbox\.launcher-pid=([0-9]+)$/.exec(argv.find((w) => w.startsWith('codex-sandbox.launcher-pid=')) ?? '')?.[1];
  expect(runId).toBeDefined();
  expect(pid).toBeDefined();
  return { runId: runId!, pid: pid! };
}

const sha8 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 8);

/** SANDBOX_MOUNT_IDS (R103) as the dry run prints it: dev:ino of each existing source, 0:0 for one the run would create. */
function mountIds(mounts: Array<[source: string | undefined, kind: 'f' | 'd', target: string]>): string {
  const id = (source: string | undefined) => {
    if (source === undefined) return '0:0';
    const info = fs.statSync(source, { bigint: true });
    return `${info.dev}:${info.ino}`;
  };
  const escape = (target: string) => target.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  return `SANDBOX_MOUNT_IDS=${mounts.map(([source, kind, target]) => `${id(source)} ${kind} ${escape(target)}`).join('\n')}`;
}
const uid = String(process.getuid?.() ?? 1000);
const gid = String(process.getgid?.() ?? 1000);

describe('run-in-container --dry-run', () => {
  it('prints the whole docker argv as one JSON line and creates nothing', () => {
    const before = snapshotTree(tmp);
    const result = runCli(['--dry-run'], { cwd: work, home });
    const argv = parseArgv(result);
    const { runId, pid } = runIdentity(argv);
    expect(argv).toEqual([
      'docker',
      'run',
      '--rm',
      '-i',
      '--name',
      `codex-work-${sha8(work)}-${runId}`,
      '--label',
      'codex-sandbox.managed=true',
      '--label',
      `codex-sandbox.workdir=${work}`,
      '--label',
      `codex-sandbox.run-id=${runId}`,
      '--label',
      'codex-sandbox.command=codex',
      '--label',
      `codex-sandbox.launcher-pid=${pid}`,
      '--label',
      `codex-sandbox.launcher-host=${os.hostname()}`,
      '--label',
      `codex-sandbox.version=${PACKAGE_VERSION}`,
      ...CAPS,
      '--mount',
      `type=bind,source=${work},target=/app${work}`,
      '--mount',
      `type=bind,source=${home}/.local/state/codex-sandbox/egress/${runId},target=/var/lib/codex-sandbox/private/egress`,
      '-w',
      `/app${work}`,
      '-e',
      mountIds([
        [work, 'd', `/app${work}`],
        [undefined, 'd', '/var/lib/codex-sandbox/private/egress'],
      ]),
      '-e',
      'CODEX_HOME=/codex_home',
      '-e',
      'HOME=/codex_home',
      '-e',
      `SANDBOX_WORKDIR=/app${work}`,
      '-e',
      `SANDBOX_ENV_DIR=/app${work}/.codex/.environment`,
      '-e',
      `SANDBOX_ALLOWED_DOMAINS=${DEFAULT_DOMAINS}`,
      '-e',
      `SANDBOX_HOST_UID=${uid}`,
      '-e',
      `SANDBOX_HOST_GID=${gid}`,
      '-e',
      'SANDBOX_EGRESS_LOG=1',
      '-e',
      `SANDBOX_CODEX_HOME=/app${work}/.codex/.environment`,
      'codex-sandbox:latest',
    ]);
    expect(argv).not.toContain('-t');
    expect(result.stderr.split('\n')).toEqual([
      'warning: no auth.json found: log in with `run-in-container login` (or Codex asks you inside the container)',
      `would create ${work}/.codex/.environment`,
      `would create ${work}/.codex/.environment/sessions`,
      '',
    ]);
    expect(snapshotTree(tmp)).toEqual(before);
  });

  it('two dry runs on one workdir get different run ids and container names', () => {
    const first = runIdentity(parseArgv(runCli(['--dry-run'], { cwd: work, home })));
    const second = runIdentity(parseArgv(runCli(['--dry-run'], { cwd: work, home })));
    expect(first.runId).not.toBe(second.runId);
  });

  it('with ~/.codex/config.toml and auth.json: mounts its placeholder copy read-only and would copy config.toml (R164)', () => {
    writeFile(path.join(home, '.codex', 'config.toml'), 'model = "o3"\n');
    writeFile(path.join(home, '.codex', 'auth.json'), '{"OPENAI_API_KEY":"sk-proj-realvalue0123456789"}', 0o600);
    writeFile(path.join(home, '.codex', 'prompts', 'p.md'), 'p');
    const before = snapshotTree(tmp);
    const result = runCli(['--dry-run', '--work_dir', work], { cwd: tmp, home });
    const argv = parseArgv(result);
    const mounts = argv.flatMap((word, index) => (argv[index - 1] === '--mount' ? [word] : []));
    const { runId } = runIdentity(argv);
    const secrets = `${home}/.local/state/codex-sandbox/secrets`;
    expect(mounts).toEqual([
      `type=bind,source=${work},target=/app${work}`,
      `type=bind,source=${home}/.local/state/codex-sandbox/egress/${runId},target=/var/lib/codex-sandbox/private/egress`,
      `type=bind,source=${secrets}/${runId}.auth.json,target=/app${work}/.codex/.environment/auth.json,readonly`,
      `type=bind,source=${secrets}/${runId}.secrets.json,target=/var/lib/codex-sandbox/private/secrets.json,readonly`,
      `type=bind,source=${secrets}/${runId}.handback,target=/var/lib/codex-sandbox/private/handback`,
    ]);
    // The private files are written only when the run starts: a dry run pins what exists.
    expect(argv).toContain(
      mountIds([
        [work, 'd', `/app${work}`],
        [undefined, 'd', '/var/lib/codex-sandbox/private/egress'],
        [undefined, 'd', `/app${work}/.codex/.environment/auth.json`],
        [undefined, 'd', '/var/lib/codex-sandbox/private/secrets.json'],
        [undefined, 'd', '/var/lib/codex-sandbox/private/handback'],
      ]),
    );
    expect(result.stdout + result.stderr).not.toContain('realvalue0123456789');
    expect(result.stderr.split('\n')).toEqual([
      `would create ${work}/.codex/.environment`,
      `would create ${work}/.codex/.environment/sessions`,
      `would copy ${home}/.codex/config.toml -> ${work}/.codex/.environment/config.toml`,
      `would copy ${home}/.codex/prompts/p.md -> ${work}/.codex/.environment/prompts/p.md`,
      '',
    ]);
    expect(snapshotTree(tmp)).toEqual(before);
  });

  it('--config DIR, --init_script and an existing Codex home: plans overwrite and init.sh only', () => {
    writeFile(path.join(work, '.codex', '.environment', 'config.toml'), 'old');
    fs.mkdirSync(path.join(work, '.codex', '.environment', 'sessions'));
    writeFile(path.join(work, '.codex', '.environment', 'prompts', 'review.md'), 'mine');
    const before = snapshotTree(tmp);
    const result = runCli(['--dry-run', '--config', 'codex-config', '--init_script', 'init.sh'], { cwd: work, home });
    parseArgv(result);
    const env = `${work}/.codex/.environment`;
    expect(result.stderr.split('\n')).toEqual([
      'warning: no auth.json found: log in with `run-in-container login` (or Codex asks you inside the container)',
      `would copy (overwrite) ${work}/codex-config/config.toml -> ${env}/config.toml`,
      `would copy ${work}/codex-config/prompts/sub/nested.md -> ${env}/prompts/sub/nested.md`,
      `would copy (overwrite) ${work}/init.sh -> ${env}/init.sh`,
      '',
    ]);
    expect(snapshotTree(tmp)).toEqual(before);
  });

  it('paths with spaces, quotes, $(…), commas and colons are passed as correctly quoted --mount values', () => {
    const weird = path.join(tmp, `my proj "q" $(id) a,b:c`);
    fs.mkdirSync(weird);
    const ro = path.join(tmp, `data, 'x':y`);
    fs.mkdirSync(ro);
    const argv = parseArgv(runCli(['--dry-run', '--work_dir', weird, '--read-only', ro], { cwd: work, home }));
    const quotedWeird = weird.replace(/"/g, '""');
    const mounts = argv.flatMap((word, index) => (argv[index - 1] === '--mount' ? [word] : []));
    expect(mounts).toEqual([
      `type=bind,"source=${quotedWeird}","target=/app${quotedWeird}"`,
      `type=bind,source=${home}/.local/state/codex-sandbox/egress/${runIdentity(argv).runId},target=/var/lib/codex-sandbox/private/egress`,
      `type=bind,"source=${ro}","target=/app${ro}",readonly`,
    ]);
    expect(argv).toContain(`SANDBOX_CODEX_HOME=/app${weird}/.codex/.environment`);
    expect(argv).toContain(
      mountIds([
        [weird, 'd', `/app${weird}`],
        [undefined, 'd', '/var/lib/codex-sandbox/private/egress'],
        [ro, 'd', `/app${ro}`],
      ]),
    );
    expect(argv[argv.indexOf('-w') + 1]).toBe(`/app${weird}`);
    expect(argv).toContain(`codex-sandbox.workdir=${weird}`);
    expect(argv).toContain(`SANDBOX_ENV_DIR=/app${weird}/.codex/.environment`);
    const name = argv[argv.indexOf('--name') + 1]!;
    expect(name).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/);
    expect(name.startsWith(`codex-my-proj-q-id-a-b-c-${sha8(weird)}-`)).toBe(true);
  });

  it('-- codex args pass through as the last argv elements, untouched', () => {
    const argv = parseArgv(runCli(['--dry-run', '--', '--model', 'o3', '$(rm -rf /)', ';', '--', '--work_dir', '/'], { cwd: work, home }));
    expect(argv.slice(-8)).toEqual(['codex-sandbox:latest', '--model', 'o3', '$(rm -rf /)', ';', '--', '--work_dir', '/']);
  });

  it('shell -- CMD: SANDBOX_COMMAND=shell and the command after the image', () => {
    const argv = parseArgv(runCli(['shell', '--dry-run', '--', 'ls', '-la'], { cwd: work, home }));
    expect(argv).toContain('codex-sandbox.command=shell');
    expect(argv.slice(-5)).toEqual(['-e', 'SANDBOX_COMMAND=shell', 'codex-sandbox:latest', 'ls', '-la']);
  });

  it('environment: extra domains, image, network, dns', () => {
    const argv = parseArgv(
      runCli(['--dry-run', '--network', 'proj_default', '--dns', '10.0.0.2', '--dns', '::1'], {
        cwd: work,
        home,
        env: { OPENAI_ALLOWED_DOMAINS: 'Example.com, *.pypi.org api.openai.com', CODEX_DOCKER_IMAGE: 'codex-sandbox:0.1.0-node22' },
      }),
    );
    expect(argv).toContain(`SANDBOX_ALLOWED_DOMAINS=${DEFAULT_DOMAINS} example.com *.pypi.org`);
    expect(argv[argv.length - 1]).toBe('codex-sandbox:0.1.0-node22');
    const start = argv.indexOf('--network');
    expect(argv.slice(start, start + 6)).toEqual(['--network', 'proj_default', '--dns', '10.0.0.2', '--dns', '::1']);
  });

  it('--image wins over CODEX_DOCKER_IMAGE', () => {
    const argv = parseArgv(runCli(['--dry-run', '--image', 'my/img:2'], { cwd: work, home, env: { CODEX_DOCKER_IMAGE: 'other:1' } }));
    expect(argv[argv.length - 1]).toBe('my/img:2');
  });

  it('--yes accepts an outside --codex-home (SANDBOX_ENV_DIR=/codex_home) and still creates nothing', () => {
    const codexHome = path.join(tmp, 'codex home');
    const before = snapshotTree(tmp);
    const result = runCli(['--dry-run', '--yes', '--codex-home', codexHome], { cwd: work, home });
    const argv = parseArgv(result);
    expect(argv).toContain(`type=bind,source=${codexHome},target=/codex_home`);
    expect(argv).toContain('SANDBOX_ENV_DIR=/codex_home');
    expect(result.stderr).toContain(
      `warning: --codex-home ${codexHome} is outside the workdir and will be writable by the agent\naccepted with --yes\n`,
    );
    expect(result.stderr).toContain(`would create ${codexHome}\n`);
    expect(snapshotTree(tmp)).toEqual(before);
  });

  it('--sessions-path outside with -y: extra mount at the sessions directory of the Codex home', () => {
    const sessions = path.join(tmp, 'sessions');
    const argv = parseArgv(runCli(['--dry-run', '-y', '--sessions-path', sessions], { cwd: work, home }));
    expect(argv).toContain(`type=bind,source=${sessions},target=/app${work}/.codex/.environment/sessions`);
  });

  it.each([
    [['--help'], 'run-in-container [options] [-- agent args…]'],
    [['shell', '--help'], '--work_dir'],
    [['build', '--help'], '--codex-version'],
    [['-h'], '--dry-run'],
  ])('%j exits 0 with usage on stdout', (args, text) => {
    const before = snapshotTree(tmp);
    const result = runCli(args, { cwd: work, home });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(text);
    expect(result.stderr).toBe('');
    expect(snapshotTree(tmp)).toEqual(before);
  });

  it('--help wraps between words, never inside one', () => {
    const result = runCli(['--help'], { cwd: work, home });
    // Joined again, the wrapped text reads as written only when every break fell on a blank.
    const joined = result.stdout.replace(/\s+/g, ' ');
    expect(joined).toContain(
      'Run a coding agent (Codex, Claude Code, Gemini CLI, Copilot CLI, OpenCode) in a sandbox that reaches only allowed hosts.',
    );
    expect(joined).toContain('(several DIRs: all mounted, the first is the working directory)');
    expect(joined).toContain('list [--all|--running|--stopped] [--format table|json|names] [--filter key=value]');
  });

  it('--version prints the package.json version', () => {
    const result = runCli(['--version'], { cwd: work, home });
    expect(result).toEqual({ status: 0, stdout: `${PACKAGE_VERSION}\n`, stderr: '' });
    expect(PACKAGE_VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });
});
