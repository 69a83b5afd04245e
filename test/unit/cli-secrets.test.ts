import fs from 'node:fs';
import path from 'node:path';
import { runCli, type CliResult } from './helpers/run-cli.js';
import { copyFixture, makeTempDir, removeTempDir, snapshotTree, writeFile } from './helpers/temp-dir.js';

let tmp: string;
let home: string;
let work: string;

beforeEach(() => {
  tmp = makeTempDir('codex-sandbox-secrets-');
  home = path.join(tmp, 'home');
  fs.mkdirSync(home);
  work = copyFixture('basic-project', path.join(tmp, 'work'));
  if (process.getuid?.() === 0) fs.chownSync(work, 4242, 4242);
});

afterEach(() => removeTempDir(tmp));

const GH = 'ghp_RealGitHubToken0123456789abcdefghij';

function argvOf(result: CliResult): string[] {
  expect(result.stderr).not.toContain('run-in-container:');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as string[];
}
const valuesOf = (argv: string[], flag: string) => argv.flatMap((word, index) => (argv[index - 1] === flag ? [word] : []));
const dryRun = (args: string[], env: Record<string, string> = {}) => runCli(['--dry-run', ...args], { cwd: work, home, env });

function expectRefused(result: CliResult, message: string): void {
  expect(result.stderr).toBe(`run-in-container: ${message}\n`);
  expect(result.status).toBe(2);
  expect(result.stdout).toBe('');
}

describe('--secret and --secret-from (R161-R163)', () => {
  it('the value stays outside: -e NAME and the secrets file mounted read-only, never the value; nothing written', () => {
    const before = snapshotTree(tmp);
    const result = dryRun(['--allow', 'api.github.com', '--secret', 'GH_TOKEN=api.github.com'], { GH_TOKEN: GH });
    const argv = argvOf(result);
    expect(valuesOf(argv, '-e')).toContain('GH_TOKEN');
    expect(valuesOf(argv, '--mount').at(-1)).toMatch(
      new RegExp(
        `^type=bind,source=${home}/\\.local/state/codex-sandbox/secrets/[0-9a-f]{8}\\.secrets\\.json,` +
          'target=/var/lib/codex-sandbox/private/secrets\\.json,readonly$',
      ),
    );
    expect(result.stdout + result.stderr).not.toContain('RealGitHubToken');
    expect(snapshotTree(tmp)).toEqual(before);
  });

  it('--secret-from runs the command; its trimmed output is the value (never printed)', () => {
    const result = dryRun(['--allow', 'api.github.com', '--secret', 'GH_TOKEN=api.github.com', '--secret-from', `printf '  ${GH}\\n'`]);
    expect(valuesOf(argvOf(result), '-e')).toContain('GH_TOKEN');
    expect(result.stdout + result.stderr).not.toContain('RealGitHubToken');
  });

  it.each([
    [
      ['--secret', 'GH_TOKEN=api.github.com'],
      {},
      '--secret GH_TOKEN: GH_TOKEN is not set in your environment: export it or use --secret-from',
    ],
    [['--secret', 'GH_TOKEN=api.github.com'], { GH_TOKEN: 'short' }, '--secret GH_TOKEN is shorter than 8 characters'],
    [
      ['--secret', 'GH_TOKEN=api.github.com', '--secret-from', 'echo nope >&2; exit 3'],
      {},
      '--secret-from for GH_TOKEN: "echo nope >&2; exit 3" exited with 3 (nope): fix the command',
    ],
    [
      ['--secret', 'GH_TOKEN=api.github.com', '--secret-from', 'true'],
      {},
      '--secret-from for GH_TOKEN: "true" printed nothing: fix the command',
    ],
  ])('%j %j is refused', (args, env, message) => {
    const result = dryRun(['--allow', 'api.github.com', ...args], env);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`run-in-container: ${message}`);
  });

  it('a secret host must be allowed; a --no-inspect host cannot take one', () => {
    expectRefused(
      dryRun(['--secret', 'GH_TOKEN=api.github.com'], { GH_TOKEN: GH }),
      '--secret GH_TOKEN: api.github.com is not allowed: add --allow api.github.com',
    );
    expectRefused(
      dryRun(['--allow', '@github', '--no-inspect', 'api.github.com', '--secret', 'GH_TOKEN=api.github.com'], { GH_TOKEN: GH }),
      '--secret GH_TOKEN cannot be injected into a --no-inspect host (api.github.com): drop one',
    );
  });

  it("--secret cannot take over the agent's own key", () => {
    expectRefused(
      dryRun(['--agent', 'claude', '--allow', 'x.io', '--secret', 'ANTHROPIC_API_KEY=x.io'], {
        ANTHROPIC_API_KEY: 'sk-ant-api03-RealAnthropicKey0123456789',
      }),
      "--secret ANTHROPIC_API_KEY: ANTHROPIC_API_KEY is the agent's own key already: drop --secret",
    );
  });

  it("Claude's API key: placeholder by name, the secrets file mounted; Codex's ChatGPT login: a placeholder copy of auth.json", () => {
    const claude = dryRun(['--agent', 'claude'], { ANTHROPIC_API_KEY: 'sk-ant-api03-RealAnthropicKey0123456789' });
    const argv = argvOf(claude);
    expect(valuesOf(argv, '-e')).toContain('ANTHROPIC_API_KEY');
    expect(valuesOf(argv, '--mount').at(-1)).toMatch(/target=\/var\/lib\/codex-sandbox\/private\/secrets\.json,readonly$/);
    expect(claude.stdout + claude.stderr).not.toContain('RealAnthropicKey');

    const login = {
      tokens: { id_token: 'eyJh.eyJw.realSignature0123', access_token: 'realAccess0123456789', refresh_token: 'rt_real0123456789' },
    };
    writeFile(path.join(home, '.codex', 'auth.json'), JSON.stringify(login), 0o600);
    const mounts = valuesOf(argvOf(dryRun([])), '--mount');
    expect(mounts.find((mount) => mount.includes('auth.json'))).toMatch(
      new RegExp(`^type=bind,source=${home}/\\.local/state/codex-sandbox/secrets/[0-9a-f]{8}\\.auth\\.json,target=/app${work}/`),
    );
  });
});

describe('--no-inspect and [network] no_inspect (R160)', () => {
  it('passes SANDBOX_NO_INSPECT: the settings files, then the flags (either spelling, commas), each once', () => {
    writeFile(path.join(home, '.config', 'codex-sandbox', 'config.ini'), '[network]\nno_inspect = *.pinned.test, bank.example.com\n');
    const argv = argvOf(dryRun(['--no-inspect', 'Bank.Example.com', '--no-inspect=a.io,b.io']));
    expect(valuesOf(argv, '-e')).toContain('SANDBOX_NO_INSPECT=*.pinned.test bank.example.com a.io b.io');
    expect(argv.slice(-1)).toEqual(['codex-sandbox:latest']);
  });

  it('a plain run has no SANDBOX_NO_INSPECT', () => {
    expect(valuesOf(argvOf(dryRun([])), '-e').some((entry) => entry.startsWith('SANDBOX_NO_INSPECT'))).toBe(false);
  });

  it.each([
    // --no-inspect without a host: refused by the parse (cli-parse-refusals.test.ts).
    [['--no-inspect', '10.1.2.3'], '--no-inspect: "10.1.2.3" is not a valid host name (IP addresses are not allowed, only host names)'],
    [['--no-inspect', 'x.io:8443'], '--no-inspect: "x.io:8443" is not a host name: give a name or *.name, without port or preset'],
  ])('%j is refused (exit 2)', (args, message) => {
    const result = dryRun(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`run-in-container: ${message}`);
  });

  it('a bad no_inspect in a settings file names the file and line', () => {
    const file = writeFile(path.join(home, '.config', 'codex-sandbox', 'config.ini'), '[network]\nno_inspect = @npm\n');
    const result = dryRun([]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${file}:2: [network] no_inspect: "@npm" is not a host name`);
  });

  it('words after -- stay the agent\'s: "--no-inspect x" there is passed through untouched', () => {
    const argv = argvOf(dryRun(['--', '--no-inspect', 'x.io']));
    expect(argv.slice(-3)).toEqual(['codex-sandbox:latest', '--no-inspect', 'x.io']);
  });
});
