import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, type CliResult } from './helpers/run-cli.js';
import { copyFixture, makeTempDir, removeTempDir, snapshotTree, writeFile } from './helpers/temp-dir.js';

let tmp: string;
let home: string;
let work: string;

beforeEach(() => {
  tmp = makeTempDir('codex-sandbox-agents-');
  home = path.join(tmp, 'home');
  fs.mkdirSync(home);
  work = copyFixture('basic-project', path.join(tmp, 'work'));
  if (process.getuid?.() === 0) fs.chownSync(work, 4242, 4242);
});

afterEach(() => removeTempDir(tmp));

function argvOf(result: CliResult): string[] {
  expect(result.stderr).not.toContain('run-in-container:');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as string[];
}
const valuesOf = (argv: string[], flag: string) => argv.flatMap((word, index) => (argv[index - 1] === flag ? [word] : []));
const envOf = (argv: string[]) => valuesOf(argv, '-e').filter((entry) => !entry.startsWith('SANDBOX_MOUNT_IDS='));

describe('--agent claude (R120-R125)', () => {
  it('its home below the Codex home, its login read-only, its key by name only, its hosts, no Codex login', () => {
    writeFile(path.join(home, '.claude', 'settings.json'), '{"model":"x"}');
    writeFile(path.join(home, '.claude', '.credentials.json'), '{"claudeAiOauth":{}}', 0o600);
    writeFile(path.join(home, '.codex', 'auth.json'), '{"token":"t"}', 0o600);
    const before = snapshotTree(tmp);
    const result = runCli(['--dry-run', '--agent', 'claude'], { cwd: work, home, env: { ANTHROPIC_API_KEY: 'sk-secret-value' } });
    const argv = argvOf(result);
    const env = `/app${work}/.codex/.environment`;
    // The key and the login (without credentials in it) stay as they are; the key reaches the proxy only (R161).
    expect(valuesOf(argv, '--mount')).toEqual([
      `type=bind,source=${work},target=/app${work}`,
      expect.stringMatching(/private\/egress$/),
      `type=bind,source=${home}/.claude/.credentials.json,target=${env}/agents/claude/.credentials.json,readonly`,
      expect.stringMatching(/secrets\/[0-9a-f]{8}\.secrets\.json,target=\/var\/lib\/codex-sandbox\/private\/secrets\.json,readonly$/),
    ]);
    expect(envOf(argv)).toEqual(
      expect.arrayContaining([
        'SANDBOX_AGENT=claude',
        `CLAUDE_CONFIG_DIR=${env}/agents/claude`,
        'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1',
        'SANDBOX_ALLOWED_DOMAINS=api.anthropic.com platform.claude.com',
        'ANTHROPIC_API_KEY',
      ]),
    );
    expect(result.stdout).not.toContain('sk-secret-value');
    expect(result.stderr).not.toContain('sk-secret-value');
    expect(valuesOf(argv, '--label')).toContain('codex-sandbox.agent=claude');
    expect(result.stderr.split('\n')).toEqual([
      `would create ${work}/.codex/.environment`,
      `would create ${work}/.codex/.environment/sessions`,
      `would create ${work}/.codex/.environment/agents/claude`,
      `would copy ${home}/.claude/settings.json -> ${work}/.codex/.environment/agents/claude/settings.json`,
      `would write ${work}/.codex/.environment/agents/claude/.claude.json`,
      '',
    ]);
    expect(snapshotTree(tmp)).toEqual(before);
  });

  it('the login store of `run-in-container login` comes before ~/.claude; no login at all says how to get one', () => {
    const store = path.join(home, '.config', 'codex-sandbox', 'credentials', 'claude');
    writeFile(path.join(store, '.credentials.json'), '{"a":1}', 0o600);
    writeFile(path.join(home, '.claude', '.credentials.json'), '{"b":2}', 0o600);
    const argv = argvOf(runCli(['--dry-run', '--agent', 'claude'], { cwd: work, home }));
    expect(valuesOf(argv, '--mount')).toContain(
      `type=bind,source=${store}/.credentials.json,target=/app${work}/.codex/.environment/agents/claude/.credentials.json,readonly`,
    );
    fs.rmSync(path.join(home, '.config'), { recursive: true });
    fs.rmSync(path.join(home, '.claude'), { recursive: true });
    const none = runCli(['--dry-run', '--agent', 'claude'], { cwd: work, home });
    expect(none.status).toBe(0);
    expect(none.stderr).toContain(
      'warning: no Claude Code login or API key found: log in with `run-in-container login --agent claude`, or set ANTHROPIC_API_KEY',
    );
    expect(envOf(argvOf(none))).toContain('SANDBOX_ALLOWED_DOMAINS=api.anthropic.com');
  });

  it('a key stored by login --with-api-key is passed by name, its value never printed', () => {
    writeFile(path.join(home, '.config', 'codex-sandbox', 'credentials', 'claude', 'api-key'), 'sk-stored-key\n', 0o600);
    const result = runCli(['--dry-run', '--agent', 'claude'], { cwd: work, home });
    expect(envOf(argvOf(result))).toContain('ANTHROPIC_API_KEY');
    expect(result.stdout + result.stderr).not.toContain('sk-stored-key');
    expect(result.stderr).not.toContain('no Claude Code login');
  });

  it('a stored key planted as a link by an agent whose workdir holds the store is refused, not followed (R102)', () => {
    const secret = 'host-secret-line';
    writeFile(path.join(home, 'secret.txt'), `${secret}\n`, 0o600);
    const config = path.join(home, '.config');
    writeFile(path.join(config, 'codex-sandbox', 'credentials', 'claude', 'keep'), '');
    fs.symlinkSync(path.join(home, 'secret.txt'), path.join(config, 'codex-sandbox', 'credentials', 'claude', 'api-key'));
    if (process.getuid?.() === 0) fs.chownSync(config, 4242, 4242);
    const result = runCli(['--dry-run', '--agent', 'claude', '--work_dir', config], { cwd: config, home });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/^run-in-container: stored API key: .*api-key is a symlink leading out.*login/m);
    expect(result.stdout + result.stderr).not.toContain(secret);
  });

  it('a stored key that is a FIFO is refused at once, never read (R109)', () => {
    const store = path.join(home, '.config', 'codex-sandbox', 'credentials', 'claude');
    fs.mkdirSync(store, { recursive: true });
    execFileSync('mkfifo', [path.join(store, 'api-key')]);
    const result = runCli(['--dry-run', '--agent', 'claude'], { cwd: work, home });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/stored API key: .*api-key is not a regular file/);
  });
});

describe('--agent gemini and [run] agent', () => {
  it('gemini: GEMINI_CLI_HOME, SANDBOX=codex-sandbox, its config from ~/.gemini, its API host', () => {
    writeFile(path.join(home, '.gemini', 'settings.json'), '{}');
    const result = runCli(['--dry-run', '--agent', 'gemini'], {
      cwd: work,
      home,
      env: { GEMINI_API_KEY: 'AIzaSyA-gemini-key-0123456789' },
    });
    const argv = argvOf(result);
    const env = `/app${work}/.codex/.environment`;
    expect(envOf(argv)).toEqual(
      expect.arrayContaining([
        'SANDBOX_AGENT=gemini',
        `GEMINI_CLI_HOME=${env}/agents/gemini`,
        'SANDBOX=codex-sandbox',
        'SANDBOX_ALLOWED_DOMAINS=generativelanguage.googleapis.com',
        'GEMINI_API_KEY',
      ]),
    );
    expect(result.stderr).toContain(
      `would copy ${home}/.gemini/settings.json -> ${work}/.codex/.environment/agents/gemini/.gemini/settings.json`,
    );
  });

  it('the user settings file chooses the agent; --agent overrides it', () => {
    writeFile(path.join(home, '.config', 'codex-sandbox', 'config.ini'), '[run]\nagent = gemini\n');
    expect(envOf(argvOf(runCli(['--dry-run'], { cwd: work, home })))).toContain('SANDBOX_AGENT=gemini');
    expect(envOf(argvOf(runCli(['--dry-run', '--agent', 'claude'], { cwd: work, home })))).toContain('SANDBOX_AGENT=claude');
    const codex = envOf(argvOf(runCli(['--dry-run', '--agent', 'codex'], { cwd: work, home })));
    expect(codex.some((entry) => entry.startsWith('SANDBOX_AGENT='))).toBe(false);
  });

  it("a run's command label names its agent; the default agent's run has no agent label, as before several agents", () => {
    const claude = argvOf(runCli(['--dry-run', '--agent', 'claude'], { cwd: work, home }));
    expect(claude).toEqual(expect.arrayContaining(['codex-sandbox.command=claude', 'codex-sandbox.agent=claude']));
    const codex = argvOf(runCli(['--dry-run', '--agent', 'codex'], { cwd: work, home }));
    expect(codex).toContain('codex-sandbox.command=codex');
    expect(codex.some((word) => word.startsWith('codex-sandbox.agent='))).toBe(false);
  });

  it('exec --agent claude: print mode, prompt after --, never -t', () => {
    const argv = argvOf(runCli(['exec', '--dry-run', '--agent', 'claude', 'make a file'], { cwd: work, home }));
    expect(argv.slice(argv.indexOf('codex-sandbox:latest') + 1)).toEqual(['-p', '--dangerously-skip-permissions', '--', 'make a file']);
    expect(argv).not.toContain('-t');
  });
});

describe('bad input about agents: one line, exit 2, nothing changed', () => {
  it.each([
    // An unknown or repeated --agent: refused by the parse (cli-parse-refusals.test.ts).
    [['--agent', 'claude', '--config', 'codex-config'], "--config names Codex's config.toml: Claude Code reads its settings"],
  ])('%j', (args, message) => {
    const before = snapshotTree(tmp);
    const result = runCli(['--dry-run', ...args], { cwd: work, home });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(snapshotTree(tmp)).toEqual(before);
  });

  it('[run] agent naming no agent is refused with file:line', () => {
    const file = writeFile(path.join(home, '.config', 'codex-sandbox', 'config.ini'), '[run]\nagent = robot\n');
    const result = runCli(['--dry-run'], { cwd: work, home });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${file}:2: [run] agent "robot" is not an agent: use codex, claude, gemini`);
  });
});
