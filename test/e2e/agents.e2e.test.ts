import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEgressJson } from './helpers/egress-records.js';
import { containersFor, dockerLogs, IMAGE, REPO_ROOT, runLauncher } from './helpers/run-launcher.js';
import { startTestService, type TestService } from './helpers/test-service.js';

/**
 * R120-R127: the real `claude` and `gemini` binaries in the sandbox, run by
 * `run-in-container --agent …` and driven by a local mock of their model APIs
 * (test/e2e/mock-agents/server.js as `model.test` on a private network; their base URLs
 * point there): each runs the shell command the "model" asks for and creates a file in the
 * workdir, `exec` writes its report, nothing but the allowed name is looked up (their
 * telemetry is off by their own settings), and a host that is not allowed stays blocked.
 */

const FILE = 'agent-made-this.txt';
const CONTENT = 'made by the agent\n';
const FINAL = 'done: file created';
const PROMPT = 'create the file';
const AGENT_UID = 4242;

let scratch: string;
let home: string;
let service: TestService | undefined;

/** Per agent: its key and base URL (passed by name), and a settings file where it needs one. */
const AGENT_ENV = {
  claude: { ANTHROPIC_API_KEY: 'sk-ant-mock-key', ANTHROPIC_BASE_URL: 'http://model.test' },
  gemini: { GEMINI_API_KEY: 'mock-gemini-key', GOOGLE_GEMINI_BASE_URL: 'http://model.test' },
} as const;

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-agents-'));
  home = path.join(scratch, 'home');
  // Gemini CLI 0.61 needs the auth type pinned when its base URL is set (gemini-cli#27550);
  // the user's ~/.gemini/settings.json is what the launcher copies into its home.
  mkdirSync(path.join(home, '.gemini'), { recursive: true });
  writeFileSync(path.join(home, '.gemini', 'settings.json'), '{"security":{"auth":{"selectedType":"gemini-api-key"}}}\n');
  service = startTestService(
    'cs-e2e-agents',
    [
      '--network-alias',
      'model.test',
      '--network-alias',
      'other.test',
      '--mount',
      `type=bind,source=${path.join(REPO_ROOT, 'test/e2e/mock-agents')},target=/mock,readonly`,
      '--entrypoint',
      'node',
      IMAGE,
      '/mock/server.js',
    ],
    'MOCK-LISTENING',
  );
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

function launch(agent: keyof typeof AGENT_ENV, workdir: string, args: string[]) {
  const logStart = dockerLogs(service!.container).length;
  const common = ['--agent', agent, '--work_dir', workdir, '--image', IMAGE, '--network', service!.network, '--allow', 'model.test'];
  const [command, ...rest] = args;
  const argv = command === 'exec' || command === 'shell' ? [command, ...common, ...rest] : [...common, ...args];
  const result = runLauncher(argv, { cwd: scratch, env: { HOME: home, ...AGENT_ENV[agent] }, timeoutMs: 120000 });
  const log = dockerLogs(service!.container).slice(logStart);
  const requests = log
    .split('\n')
    .filter((line) => line.startsWith('MOCK-REQUEST '))
    .map((line) => JSON.parse(line.slice('MOCK-REQUEST '.length)) as { method: string; url: string; host: string; apiKey: boolean });
  return { ...result, log, requests };
}

function reportOf(workdir: string): { dir: string; exit: Record<string, unknown>; summary: string } {
  const runs = path.join(workdir, '.codex', 'runs');
  const [name] = readdirSync(runs);
  const dir = path.join(runs, name!);
  return {
    dir,
    exit: JSON.parse(readFileSync(path.join(dir, 'exit.json'), 'utf8')) as Record<string, unknown>,
    summary: readFileSync(path.join(dir, 'summary.md'), 'utf8'),
  };
}

function refusedNames(workdir: string, agent: keyof typeof AGENT_ENV): string[] {
  const result = runLauncher(['egress', '--last', '--blocked', '--json', '--work_dir', workdir], {
    cwd: scratch,
    env: { HOME: home, ...AGENT_ENV[agent] },
  });
  expect(result.status).toBe(0);
  const record = parseEgressJson(result.stdout);
  return record.destinations.map((d) => String(d.name ?? d.address ?? '?'));
}

describe.each(['claude', 'gemini'] as const)('--agent %s', (agent) => {
  test('exec: the real CLI runs the command the mock asks for, creates the file, writes the report', () => {
    const workdir = newWorkdir(`${agent}-exec`);
    const run = launch(agent, workdir, ['exec', PROMPT]);
    expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });

    const file = path.join(workdir, FILE);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(CONTENT);
    expect(statSync(file).uid).toBe(process.getuid?.() === 0 ? AGENT_UID : process.getuid?.());

    // The model was reached by name through the sandbox, with the key (never logged by the mock).
    expect(run.requests.length).toBeGreaterThanOrEqual(2);
    expect(run.requests.every((request) => request.host === 'model.test')).toBe(true);
    expect(run.requests.some((request) => request.apiKey)).toBe(true);
    expect(run.log).toContain('MOCK-TOOL-CALL');
    expect(run.stdout).toContain(FINAL);

    const report = reportOf(workdir);
    expect(report.exit).toEqual(
      expect.objectContaining({ exitCode: 0, agent, agentVersion: expect.stringMatching(/^\d+\.\d+\.\d+/), changedFiles: 1 }),
    );
    expect(report.summary.split('\n')[0]).toMatch(new RegExp(`^# ${agent} exec [0-9a-f]{8}$`));
    expect(report.summary).toContain(FINAL);
    expect(report.summary).toContain(FILE);
    // The key went in by name: nowhere in what the launcher printed or wrote.
    const key = Object.values(AGENT_ENV[agent])[0];
    expect(`${run.stdout}${run.stderr}${readFileSync(path.join(report.dir, 'run.log'), 'utf8')}`).not.toContain(key);

    // Telemetry and update checks are off by the agent's own settings: it asked for no other name.
    expect(refusedNames(workdir, agent)).toEqual([]);
    expect(containersFor(workdir)).toEqual([]);
  });

  test('shell: runs as the agent user, its home and settings as documented, another host blocked', () => {
    const workdir = newWorkdir(`${agent}-shell`);
    const variable = agent === 'claude' ? 'CLAUDE_CONFIG_DIR' : 'GEMINI_CLI_HOME';
    const script = [
      'id -u',
      `printf '%s\\n' "$${variable}"`,
      `printf '%s\\n' "$SANDBOX_AGENT"`,
      `command -v ${agent}`,
      'curl -sS -m 5 -o /dev/null http://other.test/ && echo other-reached || echo other-blocked',
    ].join('; ');
    const run = launch(agent, workdir, ['shell', '--', 'bash', '-c', script]);
    expect(run.status).toBe(0);
    const [uid, home, selected, binary, other] = run.stdout.trim().split('\n');
    expect(Number(uid)).not.toBe(0);
    expect(home).toBe(`/app${workdir}/.codex/.environment/agents/${agent}`);
    expect(selected).toBe(agent);
    expect(binary).toMatch(new RegExp(`/${agent}$`));
    expect(other).toBe('other-blocked');
    expect(run.requests.filter((request) => request.host === 'other.test')).toEqual([]);
    expect(refusedNames(workdir, agent)).toContain('other.test');
  });
});

test('a Claude Code login file is mounted read-only in its home, never copied; the agent cannot change it', () => {
  const workdir = newWorkdir('claude-login');
  const login = path.join(home, '.claude', '.credentials.json');
  mkdirSync(path.dirname(login), { recursive: true });
  writeFileSync(login, '{"claudeAiOauth":{"accessToken":"mock"}}\n', { mode: 0o644 });
  try {
    const script = 'f="$CLAUDE_CONFIG_DIR/.credentials.json"; cat "$f"; echo x >> "$f" && echo written || echo read-only';
    const run = launch('claude', workdir, ['shell', '--', 'bash', '-c', script]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('"accessToken":"mock"');
    expect(run.stdout).toContain('read-only');
    expect(readFileSync(login, 'utf8')).toBe('{"claudeAiOauth":{"accessToken":"mock"}}\n');
    // The login's token host is allowed with a login file; the mount point is all the home holds.
    expect(run.stderr).not.toContain('no Claude Code login');
    const copy = path.join(workdir, '.codex', '.environment', 'agents', 'claude', '.credentials.json');
    expect(existsSync(copy) ? statSync(copy).size : 0).toBe(0);
  } finally {
    rmSync(path.join(home, '.claude'), { recursive: true, force: true });
  }
});
