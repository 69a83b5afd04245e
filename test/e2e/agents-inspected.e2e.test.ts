import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dockerLogs, IMAGE, REPO_ROOT, runLauncher } from './helpers/run-launcher.js';
import { createTestCertificates } from './helpers/test-tls.js';
import { startTestService, type TestService } from './helpers/test-service.js';

/**
 * The real agents through the TLS inspection with placeholder credentials (R160-R164): each
 * mock API answers over HTTPS with its own throwaway CA (given with --ca-cert) and logs a
 * hash of the credential it received — the real one, while the agent held a placeholder.
 * Codex also runs on a ChatGPT-style login that it refreshes: the mock answers as
 * auth.openai.com (a network alias; nothing leaves the machine), the new tokens land in the
 * host's auth.json and reach the agent only as placeholders.
 */
const AGENT_UID = 4242;
const FILE = 'agent-made-this.txt';
const PROMPT = 'create the file';
const hash = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 16);
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const CLAIMS = { 'https://api.openai.com/auth': { chatgpt_account_id: 'acct_mock', chatgpt_plan_type: 'plus' } };
const jwt = (claims: object, sig: string) => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ exp: 4102444800, ...claims })}.${sig}`;

const KEYS = {
  codex: `sk-proj-${'k3Y'.repeat(16)}`,
  claude: `sk-ant-api03-${'Cl4'.repeat(30)}`,
  gemini: `AIza${'Gm1'.repeat(11)}x2`,
};
const LOGIN = {
  // Expired: Codex refreshes before its first request.
  access: jwt({ ...CLAIMS, exp: 1600000000 }, `real-access-${'a'.repeat(40)}`),
  refresh: `rt_real_${'r'.repeat(40)}`,
  id: jwt({ email: 'mock@example.test', ...CLAIMS }, `real-id-${'i'.repeat(40)}`),
};

let scratch: string;
let home: string;
let caFile: string;
let codexMock: TestService | undefined;
let agentsMock: TestService | undefined;

function mockService(prefix: string, dir: string, aliases: string[], tlsDir: string): TestService {
  return startTestService(
    prefix,
    [
      ...aliases.flatMap((alias) => ['--network-alias', alias]),
      '--mount',
      `type=bind,source=${path.join(REPO_ROOT, dir)},target=/mock,readonly`,
      '--mount',
      `type=bind,source=${tlsDir},target=/tls,readonly`,
      '-e',
      'TLS_DIR=/tls',
      '--entrypoint',
      'node',
      IMAGE,
      '/mock/server.js',
    ],
    'MOCK-LISTENING',
  );
}

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-inspected-'));
  home = path.join(scratch, 'home');
  const tls = path.join(scratch, 'tls');
  mkdirSync(tls);
  mkdirSync(path.join(home, '.gemini'), { recursive: true });
  writeFileSync(path.join(home, '.gemini', 'settings.json'), '{"security":{"auth":{"selectedType":"gemini-api-key"}}}\n');
  caFile = createTestCertificates(tls, ['model.test', 'auth.openai.com']).caFile;
  codexMock = mockService('cs-e2e-inspected-codex', 'test/e2e/mock-model', ['model.test', 'auth.openai.com'], tls);
  agentsMock = mockService('cs-e2e-inspected-agents', 'test/e2e/mock-agents', ['model.test'], tls);
}, 120000);

afterAll(() => {
  codexMock?.remove();
  agentsMock?.remove();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

function newWorkdir(name: string): string {
  const workdir = path.join(scratch, name);
  mkdirSync(workdir);
  if (process.getuid?.() === 0) chownSync(workdir, AGENT_UID, AGENT_UID);
  return workdir;
}

interface MockLine {
  host?: string;
  url?: string;
  credentialHash?: string | null;
}

function mockLines(service: TestService, since: number, prefix: string): MockLine[] {
  return dockerLogs(service.container)
    .slice(since)
    .split('\n')
    .filter((line) => line.startsWith(`${prefix} `))
    .map((line) => JSON.parse(line.slice(prefix.length + 1)) as MockLine);
}

const CODEX_CONFIG = (auth: string) => `model = "mock-model"
model_provider = "mock"

[model_providers.mock]
name = "mock"
base_url = "https://model.test/v1"
wire_api = "responses"
${auth}
`;

function runCodex(workdir: string, config: string, env: Record<string, string>, extra: string[] = []) {
  const since = dockerLogs(codexMock!.container).length;
  const args = ['--work_dir', workdir, '--network', codexMock!.network, '--config', config, '--ca-cert', caFile, ...extra];
  const result = runLauncher([...args, '--', 'exec', '--skip-git-repo-check', PROMPT], {
    cwd: scratch,
    env: { HOME: home, OPENAI_ALLOWED_DOMAINS: 'model.test', ...env },
    timeoutMs: 120000,
  });
  return { ...result, since };
}

describe('Codex through the inspection (R160-R164)', () => {
  test('API key: a placeholder inside, the real key at the model', () => {
    const workdir = newWorkdir('codex-key');
    const config = path.join(scratch, 'codex-key.toml');
    writeFileSync(config, CODEX_CONFIG('env_key = "OPENAI_API_KEY"'));
    const run = runCodex(workdir, config, { OPENAI_API_KEY: KEYS.codex });
    expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(existsSync(path.join(workdir, FILE))).toBe(true);
    const requests = mockLines(codexMock!, run.since, 'MOCK-REQUEST').filter((r) => r.url?.endsWith('/responses'));
    expect(requests.length).toBeGreaterThanOrEqual(2);
    expect(requests.every((r) => r.credentialHash === hash(KEYS.codex))).toBe(true);

    const shell = runLauncher(['shell', '--work_dir', workdir, '--', 'sh', '-c', 'echo "$OPENAI_API_KEY"'], {
      cwd: scratch,
      env: { HOME: home, OPENAI_API_KEY: KEYS.codex },
    });
    const inside = shell.stdout.trim();
    expect(inside).toMatch(/^sk-proj-[A-Za-z0-9]+$/);
    expect(inside).toHaveLength(KEYS.codex.length);
    expect(inside).not.toBe(KEYS.codex);
  });

  test('ChatGPT login with a refresh: the real tokens at the hosts, the new ones in the host store, placeholders inside', () => {
    const workdir = newWorkdir('codex-login');
    const config = path.join(scratch, 'codex-login.toml');
    writeFileSync(config, CODEX_CONFIG('requires_openai_auth = true'));
    const authFile = path.join(scratch, 'auth.json');
    const tokens = { id_token: LOGIN.id, access_token: LOGIN.access, refresh_token: LOGIN.refresh, account_id: 'acct_mock' };
    // A refresh is due: the last one is years old.
    writeFileSync(authFile, JSON.stringify({ OPENAI_API_KEY: null, tokens, last_refresh: '2020-01-01T00:00:00Z' }), { mode: 0o600 });
    const run = runCodex(workdir, config, {}, ['--auth_file', authFile]);
    expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(existsSync(path.join(workdir, FILE))).toBe(true);

    const refreshes = mockLines(codexMock!, run.since, 'MOCK-REFRESH') as Array<{
      received: string;
      issued: { access_token: string; refresh_token: string };
    }>;
    expect(refreshes.length).toBeGreaterThanOrEqual(1);
    // The token endpoint got the real refresh token, never the agent's placeholder.
    expect(refreshes[0]?.received).toBe(hash(LOGIN.refresh));
    const issued = refreshes[refreshes.length - 1]!.issued;
    // The model got a real access token: the refreshed one (the agent held a placeholder of it).
    const requests = mockLines(codexMock!, run.since, 'MOCK-REQUEST').filter((r) => r.url?.endsWith('/responses'));
    expect(requests.length).toBeGreaterThanOrEqual(2);
    expect(requests.every((r) => r.credentialHash === issued.access_token || r.credentialHash === hash(LOGIN.access))).toBe(true);

    // The host's store has the new tokens (0600, the same file); the agent's trees have none of them.
    const stored = JSON.parse(readFileSync(authFile, 'utf8')) as { tokens: Record<string, string>; last_refresh: string };
    expect(hash(stored.tokens.refresh_token ?? '')).toBe(issued.refresh_token);
    expect(hash(stored.tokens.access_token ?? '')).toBe(issued.access_token);
    expect(stored.tokens.account_id).toBe('acct_mock');
    expect(stored.last_refresh).not.toBe('2020-01-01T00:00:00Z');
    expect(statSync(authFile).mode & 0o777).toBe(0o600);
    expect(run.stderr).toContain(`new tokens written to ${authFile}`);
    const inTrees = readTree(workdir);
    for (const value of [LOGIN.refresh, stored.tokens.refresh_token ?? '?', stored.tokens.access_token ?? '?', LOGIN.access]) {
      expect(inTrees.includes(value)).toBe(false);
    }
  });
});

/** Every file below `dir` (the workdir and the agent's home in it), concatenated. */
function readTree(dir: string): string {
  let text = '';
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) text += readTree(full);
    else if (entry.isFile()) text += readFileSync(full, 'latin1');
  }
  return text;
}

const AGENT_ENV = {
  claude: { ANTHROPIC_API_KEY: KEYS.claude, ANTHROPIC_BASE_URL: 'https://model.test' },
  gemini: { GEMINI_API_KEY: KEYS.gemini, GOOGLE_GEMINI_BASE_URL: 'https://model.test' },
} as const;

describe.each(['claude', 'gemini'] as const)('--agent %s through the inspection (R160-R162)', (agent) => {
  test('a turn with the real key at the model, a placeholder of the same shape inside', () => {
    const workdir = newWorkdir(`${agent}-inspected`);
    const since = dockerLogs(agentsMock!.container).length;
    const common = [
      '--agent',
      agent,
      '--work_dir',
      workdir,
      '--network',
      agentsMock!.network,
      '--allow',
      'model.test',
      '--ca-cert',
      caFile,
    ];
    const env = { HOME: home, ...AGENT_ENV[agent] };
    const run = runLauncher(['exec', ...common, PROMPT], { cwd: scratch, env, timeoutMs: 120000 });
    expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(existsSync(path.join(workdir, FILE))).toBe(true);
    const withKey = mockLines(agentsMock!, since, 'MOCK-REQUEST').filter((r) => r.credentialHash !== null);
    expect(withKey.length).toBeGreaterThanOrEqual(2);
    expect(withKey.every((r) => r.credentialHash === hash(KEYS[agent]))).toBe(true);

    const variable = Object.keys(AGENT_ENV[agent])[0]!;
    const shell = runLauncher(['shell', ...common, '--', 'printenv', variable], { cwd: scratch, env });
    const inside = shell.stdout.trim();
    expect(inside).toHaveLength(KEYS[agent].length);
    expect(inside.slice(0, 4)).toBe(KEYS[agent].slice(0, 4));
    expect(inside).not.toBe(KEYS[agent]);
  });
});
