import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { CLI, docker, dockerLogs, IMAGE, REPO_ROOT, runLauncher } from './helpers/run-launcher.js';
import { startTestService, type TestService } from './helpers/test-service.js';

/**
 * `run-in-container login` with the real image and engine (R135-R139). A mock of OpenAI's
 * sign-in server (test/e2e/mock-model/codex-login.js) answers as `login.test` and, under a
 * second name, `blocked.test` on a private test network: the real `codex login
 * --device-auth` signs in against it (codex's hidden issuer flag), the credential lands
 * 0600 in the store (or --save-to) and nowhere else, and the next run finds it. The
 * browser login's callback port is reachable from the host's 127.0.0.1:1455 only while the
 * login runs; a name that is not allowed stays blocked meanwhile (judged by what the mock
 * received).
 */

const CALLBACK_PORT = 1455;
let scratch: string;
let home: string;
let cwd: string;
let service: TestService | undefined;

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-login-'));
  home = path.join(scratch, 'home');
  cwd = path.join(scratch, 'cwd');
  mkdirSync(home);
  mkdirSync(cwd);
  writeFileSync(path.join(cwd, 'README'), 'a directory the user happens to be in\n');
  service = startTestService(
    'cs-e2e-login',
    [
      '--network-alias',
      'login.test',
      '--network-alias',
      'blocked.test',
      '--mount',
      `type=bind,source=${path.join(REPO_ROOT, 'test/e2e/mock-model')},target=/mock,readonly`,
      '--entrypoint',
      'node',
      IMAGE,
      '/mock/codex-login.js',
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
const loginContainers = () => docker(['ps', '-aq', '--filter', 'label=codex-sandbox.command=login']);
const leftLoginDirs = () => (existsSync(store()) ? readdirSync(store()).filter((name) => name.startsWith('.login-')) : []);
const cwdEntries = () => readdirSync(cwd).sort();

function mockLines(from: number, prefix: string): Array<{ method: string; url: string; host?: string }> {
  return dockerLogs(service!.container)
    .slice(from)
    .split('\n')
    .filter((line) => line.startsWith(`${prefix} `))
    .map((line) => JSON.parse(line.slice(prefix.length + 1)) as { method: string; url: string; host?: string });
}

function login(args: string[], input = '') {
  return runLauncher(['login', '--network', service!.network, ...args], { cwd, env: { HOME: home }, input, timeoutMs: 90000 });
}

/** Everything a login leaves behind: the stored file, and nothing else anywhere. */
function expectCleanAfterLogin(): void {
  expect(loginContainers()).toBe('');
  expect(leftLoginDirs()).toEqual([]);
  expect(cwdEntries()).toEqual(['README']);
}

test('codex --device-auth against a mock issuer: auth.json 0600 in the store, nothing in the cwd, the next run mounts it', () => {
  const logStart = dockerLogs(service!.container).length;
  const started = Date.now();
  const result = login(['--device-auth', '--allow', 'login.test', '--', '--experimental_issuer', 'http://login.test']);
  const seconds = (Date.now() - started) / 1000;
  const file = path.join(store(), 'codex', 'auth.json');

  expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 0, stdout: `${file}\n` });
  expect(result.stderr).toContain('logging in to Codex in a sandbox that reaches only auth.openai.com, login.test');
  expect(result.stderr).toContain('MOCK-1234'); // the code, shown on the terminal
  const auth = JSON.parse(readFileSync(file, 'utf8')) as { auth_mode?: string; tokens?: { refresh_token?: string } };
  expect(auth).toMatchObject({ auth_mode: 'chatgpt', tokens: { refresh_token: 'refresh_mock' } });
  expect([modeOf(file), modeOf(path.dirname(file)), modeOf(store())]).toEqual(['600', '700', '700']);
  expect(mockLines(logStart, 'MOCK-REQUEST').map((r) => `${r.method} ${r.url}`)).toEqual([
    'POST /api/accounts/deviceauth/usercode',
    'POST /api/accounts/deviceauth/token',
    'POST /api/accounts/deviceauth/token',
    'POST /oauth/token',
  ]);
  expectCleanAfterLogin();
  process.stderr.write(`login --device-auth took ${seconds.toFixed(1)} s end to end\n`);

  // The next run finds it (store, before ~/.codex): its placeholder copy is mounted read-only as
  // the Codex home's auth.json, the real tokens go to the proxy's secrets file (R161, R164).
  const workdir = path.join(scratch, 'project');
  mkdirSync(workdir);
  if (process.getuid?.() === 0) chownSync(workdir, 4242, 4242);
  const run = runLauncher(['--dry-run', '--work_dir', workdir], { cwd: workdir, env: { HOME: home } });
  expect(run.status).toBe(0);
  const argv = JSON.parse(run.stdout) as string[];
  const copy = new RegExp(
    `^type=bind,source=[^,]+/[0-9a-f]{8}\\.auth\\.json,target=/app${workdir}/\\.codex/\\.environment/auth\\.json,readonly$`,
  );
  expect(argv.some((word) => copy.test(word))).toBe(true);
  expect(argv.some((word) => word.endsWith('target=/var/lib/codex-sandbox/private/secrets.json,readonly'))).toBe(true);
  expect(argv.some((word) => word.startsWith(`type=bind,source=${file},`))).toBe(false);
});

test('codex --with-api-key: the key from stdin reaches `codex login --with-api-key` only on its stdin; --save-to and --force', () => {
  const key = 'sk-e2e-login-key-0123456789';
  const target = path.join(scratch, 'dot-codex');
  const result = login(['--with-api-key', '--save-to', target], `${key}\n`);
  const file = path.join(target, 'auth.json');
  expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 0, stdout: `${file}\n` });
  expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ auth_mode: 'apikey', OPENAI_API_KEY: key });
  expect(modeOf(file)).toBe('600');
  expect(result.stderr).not.toContain(key);
  expectCleanAfterLogin();

  // An existing file is replaced only with --force (checked before any container starts).
  const again = login(['--with-api-key', '--save-to', target], 'sk-other\n');
  expect(again.status).toBe(2);
  expect(again.stderr).toContain('auth.json exists: add --force to replace it');
  const forced = login(['--with-api-key', '--save-to', target, '--force'], 'sk-other\n');
  expect(forced.status).toBe(0);
  expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ auth_mode: 'apikey', OPENAI_API_KEY: 'sk-other' });
  expectCleanAfterLogin();
});

test('claude --with-api-key: stored without a container; the next --agent claude run passes it by name', () => {
  const result = runLauncher(['login', '--agent', 'claude', '--with-api-key'], {
    cwd,
    env: { HOME: home },
    input: 'sk-ant-e2e-key\n',
  });
  const file = path.join(store(), 'claude', 'api-key');
  expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 0, stdout: `${file}\n` });
  expect(readFileSync(file, 'utf8')).toBe('sk-ant-e2e-key\n');
  expect(modeOf(file)).toBe('600');
  expectCleanAfterLogin();

  const workdir = path.join(scratch, 'claude-project');
  mkdirSync(workdir);
  if (process.getuid?.() === 0) chownSync(workdir, 4242, 4242);
  const run = runLauncher(['--dry-run', '--agent', 'claude', '--work_dir', workdir], { cwd: workdir, env: { HOME: home } });
  expect(run.status).toBe(0);
  const argv = JSON.parse(run.stdout) as string[];
  expect(argv.filter((word, index) => argv[index - 1] === '-e')).toContain('ANTHROPIC_API_KEY');
  expect(run.stdout).not.toContain('sk-ant-e2e-key');
});

/** GET http://127.0.0.1:PORT/PATH from the host: status, the Server header and the body, or undefined when nothing answers. */
function getLocal(urlPath: string): Promise<{ status: number; server: string; body: string } | undefined> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port: CALLBACK_PORT, path: urlPath, timeout: 2000 }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, server: String(response.headers.server ?? ''), body }));
    });
    request.on('error', () => resolve(undefined));
    request.on('timeout', () => request.destroy());
  });
}

/** Starts a browser login in the background and waits until codex's login server answers on the host's 127.0.0.1:1455. */
async function startBrowserLogin(args: string[]) {
  const child = spawn(process.execPath, [CLI, 'login', '--network', service!.network, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  const started = Date.now();
  let page: Awaited<ReturnType<typeof getLocal>>;
  while (Date.now() - started < 60000) {
    page = await getLocal('/');
    if (page?.server.includes('tiny-http') === true) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (page?.server.includes('tiny-http') !== true) throw new Error(`codex's login server never answered on 1455:\n${stderr}`);
  return { child, exited, startSeconds: (Date.now() - started) / 1000, output: () => ({ stdout, stderr }) };
}

test('the browser login: host 127.0.0.1:1455 reaches codex in the container during the login only; other names stay blocked', async () => {
  const logStart = dockerLogs(service!.container).length;
  const login = await startBrowserLogin(['--allow', 'login.test']);
  process.stderr.write(
    `codex's login server answered on 127.0.0.1:${CALLBACK_PORT} ${login.startSeconds.toFixed(1)} s after the launcher started\n`,
  );

  // Published on the host's loopback only, for this container only.
  const container = loginContainers();
  expect(container).not.toBe('');
  expect(docker(['port', container])).toBe(`${CALLBACK_PORT}/tcp -> 127.0.0.1:${CALLBACK_PORT}`);
  // Inside, as the agent: the allowed name is reached, the other name of the same server is not.
  const probe = (url: string) => spawnStatus(['exec', '-u', 'codex', container, 'curl', '-sS', '-m', '5', '-o', '/dev/null', url]);
  expect(await probe('http://login.test/probe-allowed')).toBe(0);
  expect(await probe('http://blocked.test/probe-blocked')).not.toBe(0);
  expect(mockLines(logStart, 'MOCK-UNKNOWN-PATH').map((r) => `${r.host} ${r.url}`)).toEqual(['login.test /probe-allowed']);

  // Codex's own page; /success ends `codex login` with exit 0 but no credential: the launcher judges by the file.
  const page = await getLocal('/success');
  expect(page?.body).toContain('Sign into Codex');
  expect(await login.exited).toBe(1);
  expect(login.output().stdout).toBe('');
  expect(login.output().stderr).toContain('run-in-container: no Codex login was stored (`codex login` exited 0 without writing auth.json)');
  expect(await getLocal('/')).toBeUndefined();
  expectCleanAfterLogin();
});

test('Ctrl-C during the login: exit 130, container and login directory gone, nothing stored, 1455 free', async () => {
  rmSync(path.join(store(), 'codex'), { recursive: true, force: true });
  const login = await startBrowserLogin([]);
  login.child.kill('SIGINT');
  expect(await login.exited).toBe(130);
  expect(login.output().stderr).toContain('login interrupted: nothing was stored');
  expect(existsSync(path.join(store(), 'codex', 'auth.json'))).toBe(false);
  expect(await getLocal('/')).toBeUndefined();
  expectCleanAfterLogin();
});

function spawnStatus(args: string[]): Promise<number | null> {
  return new Promise((resolve) => spawn('docker', args, { stdio: 'ignore' }).once('close', (code) => resolve(code)));
}
