import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { runCli, type CliResult } from './helpers/run-cli.js';
import { copyFixture, makeTempDir, removeTempDir, snapshotTree, writeFile } from './helpers/temp-dir.js';

/**
 * `run-in-container login` through the built CLI, without Docker (R135-R138): the bad
 * combinations are one line, exit 2, and change nothing; an API key for Claude Code or
 * Gemini CLI is stored 0600 without a container and the next run passes it by name.
 */

let tmp: string;
let home: string;
let work: string;

beforeEach(() => {
  tmp = makeTempDir('codex-sandbox-login-');
  home = path.join(tmp, 'home');
  fs.mkdirSync(home);
  work = copyFixture('basic-project', path.join(tmp, 'work'));
  if (process.getuid?.() === 0) fs.chownSync(work, 4242, 4242);
});

afterEach(() => removeTempDir(tmp));

const login = (args: string[], input = '') => runCli(['login', ...args], { cwd: work, home, input });
const store = () => path.join(home, '.config', 'codex-sandbox', 'credentials');
const modeOf = (file: string) => (fs.statSync(file).mode & 0o777).toString(8);

/** One line on stderr, the exit code, nothing on stdout. */
function expectRefusal(result: CliResult, status: number, message: string | RegExp): void {
  expect(result.stdout).toBe('');
  expect(result.stderr.split('\n').filter((line) => line !== '')).toEqual([expect.stringMatching(/^run-in-container: /)]);
  expect(result.stderr).toMatch(message);
  expect(result.status).toBe(status);
}

describe('login: bad combinations (R137)', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--device-auth', '--with-api-key'], /give --device-auth or --with-api-key, not both/],
    [['--agent', 'claude', '--device-auth'], /--device-auth is not a login of Claude Code/],
    [['--agent', 'gemini', '--device-auth'], /--device-auth is not a login of Gemini CLI/],
    [['--agent', 'claude', '--with-api-key', '--', '--x'], /arguments after -- do nothing with --with-api-key/],
    [['--agent', 'gemini', '--with-api-key', '--allow', 'x.test'], /--allow does nothing with --with-api-key/],
    [['--agent', 'claude', '--with-api-key', '--image', 'x:y'], /--image does nothing with --with-api-key/],
    [['--agent', 'claude', '--with-api-key', '--save-to', 'out'], /--save-to is for login files/],
    [['--force'], /--force only applies to --save-to DIR/],
    // An unknown or repeated --agent and a stray word: refused by the parse (cli-parse-refusals.test.ts).
    [
      ['--agent', 'claude'],
      /^run-in-container: Claude Code's login needs a terminal \(you paste a code into it\): run it in one, or store/,
    ],
    [['--agent', 'gemini'], /Gemini CLI's login needs a terminal/],
    [['--allow', 'bad host!'], /--allow/],
    [['--with-api-key', '--image', 'Not An Image'], /--image/],
  ];
  it.each(cases)('login %j: one line, exit 2, nothing created', (args, message) => {
    const before = snapshotTree(tmp);
    expectRefusal(login(args, 'sk-key\n'), 2, message);
    expect(snapshotTree(tmp)).toEqual(before);
  });

  it('an empty or malformed key on stdin: one line, exit 2, nothing stored, the key never echoed', () => {
    const before = snapshotTree(tmp);
    expectRefusal(
      login(['--agent', 'claude', '--with-api-key']),
      2,
      /no API key on stdin: pipe it in, e.g. `printenv ANTHROPIC_API_KEY \|/,
    );
    const result = login(['--agent', 'gemini', '--with-api-key'], 'secret-one\nsecret-two\n');
    expectRefusal(result, 2, /not one line of printable characters/);
    expect(result.stderr).not.toContain('secret');
    expect(snapshotTree(tmp)).toEqual(before);
  });

  it('--save-to a directory that already has the login file: refused before anything starts, unless --force', () => {
    writeFile(path.join(tmp, 'dotcodex', 'auth.json'), '{"old":true}', 0o600);
    const before = snapshotTree(tmp);
    expectRefusal(login(['--device-auth', '--save-to', path.join(tmp, 'dotcodex')]), 2, /auth\.json exists: add --force to replace it/);
    writeFile(path.join(tmp, 'a-file'), 'x');
    expectRefusal(login(['--save-to', path.join(tmp, 'a-file')]), 2, /--save-to ".*a-file" is not a directory/);
    fs.rmSync(path.join(tmp, 'a-file'));
    expect(snapshotTree(tmp)).toEqual(before);
  });
});

describe('login --with-api-key for Claude Code and Gemini CLI (R136, R138)', () => {
  it('stores the key, one line, 0600 in a 0700 store; stdout is the path; the next run passes it by name only', () => {
    const workBefore = snapshotTree(work);
    const result = login(['--agent', 'claude', '--with-api-key'], 'sk-ant-secret-1\n');
    const file = path.join(store(), 'claude', 'api-key');
    expect(result.stderr).not.toContain('sk-ant-secret-1');
    expect(result).toEqual({ status: 0, stdout: `${file}\n`, stderr: expect.stringMatching(/pass it as ANTHROPIC_API_KEY/) });
    expect(fs.readFileSync(file, 'utf8')).toBe('sk-ant-secret-1\n');
    expect([modeOf(file), modeOf(path.dirname(file)), modeOf(store())]).toEqual(['600', '700', '700']);
    // Nothing in the current directory (here: a workdir).
    expect(snapshotTree(work)).toEqual(workBefore);

    const run = runCli(['--dry-run', '--agent', 'claude'], { cwd: work, home });
    expect(run.status).toBe(0);
    const argv = JSON.parse(run.stdout) as string[];
    expect(argv.filter((word, index) => argv[index - 1] === '-e')).toContain('ANTHROPIC_API_KEY');
    expect(run.stdout).not.toContain('sk-ant-secret-1');
    expect(run.stderr).not.toContain('sk-ant-secret-1');
  });

  it('gemini: GEMINI_API_KEY; a second login replaces the key; a symlink planted in the store is replaced, not followed', () => {
    const victim = writeFile(path.join(tmp, 'victim'), 'untouched\n');
    fs.mkdirSync(path.join(store(), 'gemini'), { recursive: true });
    fs.symlinkSync(victim, path.join(store(), 'gemini', 'api-key'));
    expect(login(['--agent', 'gemini', '--with-api-key'], 'gm-key-1').status).toBe(0);
    expect(login(['--agent', 'gemini', '--with-api-key'], 'gm-key-2\n').status).toBe(0);
    const file = path.join(store(), 'gemini', 'api-key');
    expect(fs.lstatSync(file).isFile()).toBe(true);
    expect(fs.readFileSync(file, 'utf8')).toBe('gm-key-2\n');
    expect(fs.readFileSync(victim, 'utf8')).toBe('untouched\n');
    const run = runCli(['--dry-run', '--agent', 'gemini'], { cwd: work, home });
    const argv = JSON.parse(run.stdout) as string[];
    expect(argv.filter((word, index) => argv[index - 1] === '-e')).toContain('GEMINI_API_KEY');
    expect(run.stdout).not.toContain('gm-key-2');
  });
});

describe("Codex's browser login and a busy 127.0.0.1:1455 (R137)", () => {
  it('is one line, exit 1, before anything starts', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 1455, exclusive: true }, resolve));
    try {
      const before = snapshotTree(tmp);
      expectRefusal(
        login([]),
        1,
        'run-in-container: port 127.0.0.1:1455 on this machine is in use (another login?): ' +
          'free it, or log in with --device-auth (a code on the terminal)',
      );
      expect(snapshotTree(tmp)).toEqual(before);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
