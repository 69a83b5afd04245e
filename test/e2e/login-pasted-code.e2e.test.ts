import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, docker, dockerLogs, IMAGE, REPO_ROOT, runLauncher } from './helpers/run-launcher.js';
import { startTestService, type TestService } from './helpers/test-service.js';
import { createTestCertificates } from './helpers/test-tls.js';

/**
 * The pasted-code logins of Claude Code and Gemini CLI with the real CLIs in the real image
 * (R135-R137), on a terminal (util-linux `script` gives the launcher one). Their sign-in
 * hosts are fixed, so a mock (test/e2e/mock-model/oauth-login.js) answers under the real
 * names on a private test network over TLS with a throwaway CA that the login trusts through
 * `--ca-cert`; nothing leaves the machine. The test types the code the browser would show.
 */

const NAMES = ['platform.claude.com', 'api.anthropic.com', 'oauth2.googleapis.com', 'www.googleapis.com', 'cloudcode-pa.googleapis.com'];
let scratch: string;
let home: string;
let caFile: string;
let service: TestService | undefined;

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-login-code-'));
  home = path.join(scratch, 'home');
  mkdirSync(home);
  const tls = path.join(scratch, 'tls');
  mkdirSync(tls);
  caFile = createTestCertificates(tls, NAMES).caFile;
  service = startTestService(
    'cs-e2e-login-code',
    [
      ...NAMES.flatMap((name) => ['--network-alias', name]),
      '-e',
      'TLS_DIR=/tls',
      '--mount',
      `type=bind,source=${tls},target=/tls,readonly`,
      '--mount',
      `type=bind,source=${path.join(REPO_ROOT, 'test/e2e/mock-model')},target=/mock,readonly`,
      '--entrypoint',
      'node',
      IMAGE,
      '/mock/oauth-login.js',
    ],
    'MOCK-LISTENING',
  );
});

afterAll(() => {
  service?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

const store = () => path.join(home, '.config', 'codex-sandbox', 'credentials');
const modeOf = (file: string) => (statSync(file).mode & 0o777).toString(8);
const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * `run-in-container login ARGS` on a terminal (160x50): once the output shows `prompt`, types
 * `code` and Enter. Resolves with the exit code and everything the terminal showed.
 */
function loginOnTerminal(args: string[], prompt: string, code: string): Promise<{ status: number | null; output: string }> {
  const command = ['stty cols 160 rows 50;', 'exec', ...[process.execPath, CLI, 'login', ...args].map(quote)].join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: scratch,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, TERM: 'xterm-256color' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let typed = false;
  const timer = setTimeout(() => child.kill('SIGTERM'), 150000);
  const take = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (!typed && output.includes(prompt)) {
      typed = true;
      // Typed the way a person would: the code, then Enter.
      setTimeout(() => child.stdin.write(`${code}\r`), 300);
    }
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  return new Promise((resolve) =>
    child.once('close', (status) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ status, output });
    }),
  );
}

function mockRequests(from: number): string[] {
  return dockerLogs(service!.container)
    .slice(from)
    .split('\n')
    .filter((line) => line.startsWith('MOCK-REQUEST '))
    .map((line) => JSON.parse(line.slice('MOCK-REQUEST '.length)) as { method: string; host: string; url: string })
    .map((request) => `${request.method} ${request.host}${request.url}`);
}

function expectNothingLeft(): void {
  expect(docker(['ps', '-aq', '--filter', 'label=codex-sandbox.command=login'])).toBe('');
  expect(readdirSync(store()).filter((name) => name.startsWith('.login-'))).toEqual([]);
}

test('claude: `claude auth login` with a pasted code stores .credentials.json 0600; the next run mounts it', async () => {
  const logStart = dockerLogs(service!.container).length;
  const login = await loginOnTerminal(
    ['--agent', 'claude', '--network', service!.network, '--ca-cert', caFile],
    'Paste code here',
    'mockcode#mockstate',
  );
  const file = path.join(store(), 'claude', '.credentials.json');
  expect({ status: login.status, tail: login.status === 0 ? '' : login.output.slice(-2000) }).toEqual({ status: 0, tail: '' });
  expect(login.output).toContain('logging in to Claude Code in a sandbox that reaches only platform.claude.com, api.anthropic.com');
  expect(login.output).toContain('Login successful');
  expect(login.output).toContain(file);
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { claudeAiOauth?: { refreshToken?: string } };
  expect(stored.claudeAiOauth?.refreshToken).toBe('sk-ant-ort01-mock-refresh');
  expect(modeOf(file)).toBe('600');
  expect(mockRequests(logStart)).toContain('POST platform.claude.com/v1/oauth/token');
  expectNothingLeft();

  const workdir = path.join(scratch, 'claude-project');
  mkdirSync(workdir);
  if (process.getuid?.() === 0) chownSync(workdir, 4242, 4242);
  const run = runLauncher(['--dry-run', '--agent', 'claude', '--work_dir', workdir], { cwd: workdir, env: { HOME: home } });
  expect(run.status).toBe(0);
  // Its placeholder copy, the real tokens to the proxy's secrets file (R161, R164).
  const argv = JSON.parse(run.stdout) as string[];
  const target = `target=/app${workdir}/.codex/.environment/agents/claude/.credentials.json,readonly`;
  expect(argv.some((word) => /^type=bind,source=[^,]+\/[0-9a-f]{8}\.credentials\.json,/.test(word) && word.endsWith(target))).toBe(true);
  expect(argv.some((word) => word.startsWith(`type=bind,source=${file},`))).toBe(false);
  expect(existsSync(path.join(scratch, '.credentials.json'))).toBe(false);
});

test('gemini: the Google login with a pasted code; the launcher stops the CLI once oauth_creds.json is written', async () => {
  const logStart = dockerLogs(service!.container).length;
  const login = await loginOnTerminal(
    ['--agent', 'gemini', '--network', service!.network, '--ca-cert', caFile],
    'Enter the authorization code',
    'mock-auth-code',
  );
  const file = path.join(store(), 'gemini', 'oauth_creds.json');
  expect({ status: login.status, tail: login.status === 0 ? '' : login.output.slice(-2000) }).toEqual({ status: 0, tail: '' });
  expect(login.output).toContain('signed in: stopping Gemini CLI');
  expect(login.output).toContain(file);
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { refresh_token?: string };
  expect(stored.refresh_token).toBe('1//mock-refresh');
  expect(modeOf(file)).toBe('600');
  expect(mockRequests(logStart)).toContain('POST oauth2.googleapis.com/token');
  expectNothingLeft();
});
