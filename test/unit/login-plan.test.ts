import { buildEgressPolicy } from '../../scripts/core/egress/egress-policy.js';
import { UsageError } from '../../scripts/core/errors.js';
import {
  checkCredentialText,
  chooseLoginFlow,
  describeLoginRetry,
  parseApiKey,
  type ContainerLogin,
  type LoginRequest,
} from '../../scripts/core/login/login-flows.js';
import { assembleLoginPlan, loginEgressDefaults, type ResolvedLogin } from '../../scripts/core/login/login-plan.js';
import { parseProxyUrl } from '../../scripts/core/egress/proxy-spec.js';
import { buildDockerRunArgs } from '../../scripts/core/run/run-plan.js';

/** R135-R138: which login runs for each agent and method, and the whole `docker run` argv of each. */

function request(overrides: Partial<LoginRequest> = {}): LoginRequest {
  return { agent: 'codex', deviceAuth: false, withApiKey: false, force: false, passThrough: [], sandboxFlags: [], ...overrides };
}

function containerFlow(overrides: Partial<LoginRequest> = {}): ContainerLogin {
  const flow = chooseLoginFlow(request(overrides));
  if (flow.kind !== 'container') throw new Error('expected a container login');
  return flow;
}

function resolved(flow: ContainerLogin, overrides: Partial<ResolvedLogin> = {}): ResolvedLogin {
  return {
    flow,
    image: 'codex-sandbox:latest',
    runId: 'ab12cd34',
    loginDir: '/home/u/.config/codex-sandbox/credentials/.login-ab12cd34',
    egress: buildEgressPolicy([], undefined, loginEgressDefaults(flow)),
    caFiles: [],
    uid: 1000,
    gid: 1000,
    tty: true,
    launcherPid: 4242,
    launcherHost: 'host1',
    launcherVersion: '9.9.9',
    args: [],
    ...overrides,
  };
}

const HEAD = (agent: string, tty = true) => [
  'run',
  '--rm',
  '-i',
  ...(tty ? ['-t'] : []),
  '--name',
  `codex-login-${agent}-ab12cd34`,
  '--label',
  'codex-sandbox.managed=true',
  '--label',
  'codex-sandbox.run-id=ab12cd34',
  '--label',
  'codex-sandbox.command=login',
  '--label',
  'codex-sandbox.launcher-pid=4242',
  '--label',
  'codex-sandbox.launcher-host=host1',
  '--label',
  'codex-sandbox.version=9.9.9',
  '--label',
  `codex-sandbox.agent=${agent}`,
  '--cap-drop',
  'ALL',
  ...['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'KILL', 'SETUID', 'SETGID', 'SETPCAP', 'NET_BIND_SERVICE', 'NET_ADMIN', 'NET_RAW'].flatMap(
    (cap) => ['--cap-add', cap],
  ),
  '--security-opt',
  'no-new-privileges',
  '--sysctl',
  'net.ipv4.ip_unprivileged_port_start=1024',
  '--sysctl',
  'net.netfilter.nf_conntrack_acct=1',
];
const HOME_MOUNT = ['--mount', 'type=bind,source=/home/u/.config/codex-sandbox/credentials/.login-ab12cd34,target=/codex_home'];
const BASE_ENV = (hosts: string) => [
  '-e',
  'CODEX_HOME=/codex_home',
  '-e',
  'HOME=/codex_home',
  '-e',
  'SANDBOX_ENV_DIR=/codex_home',
  '-e',
  `SANDBOX_ALLOWED_DOMAINS=${hosts}`,
  '-e',
  'SANDBOX_HOST_UID=1000',
  '-e',
  'SANDBOX_HOST_GID=1000',
  '-e',
  'SANDBOX_COMMAND=login',
];

describe('chooseLoginFlow: the flow of each agent and method (R135)', () => {
  it('codex: the browser login with its callback port, no terminal needed', () => {
    expect(chooseLoginFlow(request())).toEqual({
      kind: 'container',
      agent: 'codex',
      method: 'default',
      argv: ['codex', 'login'],
      env: [],
      callbackPort: 1455,
      keyOnStdin: false,
      needsTerminal: false,
      stopWhenStored: false,
      homeFiles: [],
      credential: ['auth.json'],
    });
  });

  it('codex: --device-auth and --with-api-key (the key on stdin), no port', () => {
    expect(chooseLoginFlow(request({ deviceAuth: true }))).toMatchObject({ argv: ['codex', 'login', '--device-auth'], keyOnStdin: false });
    expect(chooseLoginFlow(request({ deviceAuth: true }))).not.toHaveProperty('callbackPort');
    expect(chooseLoginFlow(request({ withApiKey: true }))).toEqual({
      kind: 'container',
      agent: 'codex',
      method: 'with-api-key',
      argv: ['codex', 'login', '--with-api-key'],
      env: [],
      keyOnStdin: true,
      needsTerminal: false,
      stopWhenStored: false,
      homeFiles: [],
      credential: ['auth.json'],
    });
  });

  it('claude: `claude auth login` on a terminal, onboarding seeded; the key is stored without a container', () => {
    expect(chooseLoginFlow(request({ agent: 'claude' }))).toEqual({
      kind: 'container',
      agent: 'claude',
      method: 'default',
      argv: ['claude', 'auth', 'login'],
      env: [],
      keyOnStdin: false,
      needsTerminal: true,
      stopWhenStored: false,
      homeFiles: [{ parts: ['.claude.json'], content: '{"hasCompletedOnboarding":true}\n' }],
      credential: ['.credentials.json'],
    });
    expect(chooseLoginFlow(request({ agent: 'claude', withApiKey: true }))).toEqual({
      kind: 'store-key',
      agent: 'claude',
      method: 'with-api-key',
    });
  });

  it('gemini: interactive `gemini` on the Google login, pasted code, stopped once oauth_creds.json is there', () => {
    expect(chooseLoginFlow(request({ agent: 'gemini' }))).toEqual({
      kind: 'container',
      agent: 'gemini',
      method: 'default',
      argv: ['gemini'],
      env: [['NO_BROWSER', 'true']],
      keyOnStdin: false,
      needsTerminal: true,
      stopWhenStored: true,
      homeFiles: [{ parts: ['.gemini', 'settings.json'], content: '{"security":{"auth":{"selectedType":"oauth-personal"}}}\n' }],
      credential: ['.gemini', 'oauth_creds.json'],
    });
    expect(chooseLoginFlow(request({ agent: 'gemini', withApiKey: true }))).toEqual({
      kind: 'store-key',
      agent: 'gemini',
      method: 'with-api-key',
    });
  });
});

describe('chooseLoginFlow: combinations that do nothing or do not exist are one-line usage errors (R137)', () => {
  const cases: Array<[string, Partial<LoginRequest>, string]> = [
    ['both methods', { deviceAuth: true, withApiKey: true }, 'give --device-auth or --with-api-key, not both'],
    [
      'claude --device-auth',
      { agent: 'claude', deviceAuth: true },
      '--device-auth is not a login of Claude Code: use `login --agent claude` or --with-api-key',
    ],
    [
      'gemini --device-auth',
      { agent: 'gemini', deviceAuth: true },
      '--device-auth is not a login of Gemini CLI: use `login --agent gemini` or --with-api-key',
    ],
    ['--force alone', { force: true }, '--force only applies to --save-to DIR (the credential store is always replaced): drop it'],
    [
      'claude key with arguments',
      { agent: 'claude', withApiKey: true, passThrough: ['--x'] },
      'arguments after -- do nothing with --with-api-key (no sandbox starts: the key is stored for Claude Code runs): drop them',
    ],
    [
      'gemini key with --allow',
      { agent: 'gemini', withApiKey: true, sandboxFlags: ['--allow', '--image'] },
      '--allow does nothing with --with-api-key (no sandbox starts: the key is stored for Gemini CLI runs): drop it',
    ],
    [
      'claude key with --save-to',
      { agent: 'claude', withApiKey: true, saveTo: '/x' },
      '--save-to is for login files; an API key for Claude Code is kept in the credential store: drop --save-to',
    ],
  ];
  it.each(cases)('%s', (_name, overrides, message) => {
    expect(() => chooseLoginFlow(request(overrides))).toThrow(new UsageError(message));
  });

  it('--save-to with --force is fine for a login file', () => {
    expect(chooseLoginFlow(request({ saveTo: '/x', force: true })).kind).toBe('container');
  });
});

describe('the docker argv of a login (R135, R137)', () => {
  it('codex browser: only auth.openai.com, login mode, the callback port on the host loopback only', () => {
    expect(buildDockerRunArgs(assembleLoginPlan(resolved(containerFlow())))).toEqual([
      ...HEAD('codex'),
      '-p',
      '127.0.0.1:1455:1455',
      ...HOME_MOUNT,
      '-w',
      '/codex_home',
      ...BASE_ENV('auth.openai.com'),
      '-e',
      'SANDBOX_AGENT=codex',
      '-e',
      'SANDBOX_LOGIN_PORT=1455',
      'codex-sandbox:latest',
      'codex',
      'login',
    ]);
  });

  it('codex --with-api-key: no terminal (the key comes on stdin), no port; --allow, a CA, a network and the extra args', () => {
    const flow = containerFlow({ withApiKey: true });
    const egress = buildEgressPolicy([{ source: '--allow', allow: ['login.test'] }], undefined, loginEgressDefaults(flow));
    const plan = assembleLoginPlan(
      resolved(flow, { tty: false, egress, caFiles: ['/etc/ca.pem'], network: 'net1', args: ['--experimental_issuer', 'x'] }),
    );
    expect(buildDockerRunArgs(plan)).toEqual([
      ...HEAD('codex', false),
      '--network',
      'net1',
      ...HOME_MOUNT,
      '--mount',
      'type=bind,source=/etc/ca.pem,target=/usr/local/share/ca-certificates/codex-sandbox/1.crt,readonly',
      '-w',
      '/codex_home',
      ...BASE_ENV('auth.openai.com login.test'),
      '-e',
      'SANDBOX_AGENT=codex',
      'codex-sandbox:latest',
      'codex',
      'login',
      '--with-api-key',
      '--experimental_issuer',
      'x',
    ]);
  });

  it('claude: its login hosts, CLAUDE_CONFIG_DIR at the login home, its own switches for non-essential traffic', () => {
    expect(buildDockerRunArgs(assembleLoginPlan(resolved(containerFlow({ agent: 'claude' }))))).toEqual([
      ...HEAD('claude'),
      ...HOME_MOUNT,
      '-w',
      '/codex_home',
      ...BASE_ENV('platform.claude.com api.anthropic.com'),
      '-e',
      'SANDBOX_AGENT=claude',
      '-e',
      'CLAUDE_CONFIG_DIR=/codex_home',
      '-e',
      'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1',
      '-e',
      'CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL=1',
      '-e',
      'DISABLE_AUTOUPDATER=1',
      'codex-sandbox:latest',
      'claude',
      'auth',
      'login',
    ]);
  });

  it('gemini: the Google hosts, GEMINI_CLI_HOME at the login home, SANDBOX and NO_BROWSER', () => {
    expect(buildDockerRunArgs(assembleLoginPlan(resolved(containerFlow({ agent: 'gemini' }))))).toEqual([
      ...HEAD('gemini'),
      ...HOME_MOUNT,
      '-w',
      '/codex_home',
      ...BASE_ENV('oauth2.googleapis.com www.googleapis.com cloudcode-pa.googleapis.com'),
      '-e',
      'SANDBOX_AGENT=gemini',
      '-e',
      'GEMINI_CLI_HOME=/codex_home',
      '-e',
      'SANDBOX=codex-sandbox',
      '-e',
      'NO_BROWSER=true',
      'codex-sandbox:latest',
      'gemini',
    ]);
  });

  it('a --deny takes a login host away (the user decides), and a plain run never publishes a port', () => {
    const flow = containerFlow({ deviceAuth: true });
    const egress = buildEgressPolicy([{ source: '--deny', deny: ['auth.openai.com'] }], undefined, loginEgressDefaults(flow));
    expect(egress.domains).toEqual([]);
    expect(buildDockerRunArgs(assembleLoginPlan(resolved(flow)))).not.toContain('-p');
  });
});

describe('the upstream proxy of a login (R84, R91)', () => {
  it('its login is passed by name only: never in the argv', () => {
    const flow = containerFlow();
    const proxy = parseProxyUrl('http://user:s3cret@proxy.test:3128', '--proxy');
    const argv = buildDockerRunArgs(assembleLoginPlan(resolved(flow, { egress: buildEgressPolicy([], proxy, loginEgressDefaults(flow)) })));
    expect(argv).toContain('SANDBOX_PROXY=proxy.test:3128');
    expect(argv[argv.indexOf('SANDBOX_PROXY_AUTH') - 1]).toBe('-e');
    expect(JSON.stringify(argv)).not.toContain('s3cret');
  });
});

describe('parseApiKey (R138)', () => {
  const example = '`printenv K | run-in-container login --with-api-key`';
  it('takes one line, trimmed, without its newline', () => {
    expect(parseApiKey('sk-abc_123\n', example)).toBe('sk-abc_123');
    expect(parseApiKey('  sk-abc\r\n\n', example)).toBe('sk-abc');
  });
  it('refuses nothing, several lines, blanks and control characters, without echoing the key', () => {
    expect(() => parseApiKey('', example)).toThrow(new UsageError(`no API key on stdin: pipe it in, e.g. ${example}`));
    expect(() => parseApiKey('\n', example)).toThrow(/no API key on stdin/);
    for (const text of ['sk-one\nsk-two\n', 'sk a', 'sk-\u001b[31m', 'ключ']) {
      expect(() => parseApiKey(text, example)).toThrow(
        new UsageError('the API key on stdin is not one line of printable characters without blanks: give the key alone'),
      );
    }
  });
});

describe('checkCredentialText (R136)', () => {
  const bytes = (text: string) => Buffer.from(text, 'utf8');
  it('accepts a JSON object', () => {
    expect(checkCredentialText(bytes('{"auth_mode":"apikey"}'))).toBeUndefined();
  });
  it('refuses empty, malformed, non-object and non-UTF-8 files', () => {
    expect(checkCredentialText(bytes(''))).toBe('is empty');
    expect(checkCredentialText(bytes('{"a":'))).toBe('is not valid JSON');
    expect(checkCredentialText(bytes('[1]'))).toBe('is not a JSON object');
    expect(checkCredentialText(bytes('null'))).toBe('is not a JSON object');
    expect(checkCredentialText(Buffer.from([0x7b, 0xff, 0x7d]))).toBe('is not valid JSON');
  });
});

describe('what a login that stored nothing advises (R137)', () => {
  it.each([
    [
      { agent: 'codex', method: 'default' },
      'run login again and finish it in the browser, or use --device-auth (a code on the terminal) or --with-api-key',
    ],
    [
      { agent: 'codex', method: 'device-auth' },
      'run login --device-auth again and enter the code in time (device codes must be enabled in your ChatGPT security settings),' +
        ' or log in without --device-auth',
    ],
    [{ agent: 'codex', method: 'with-api-key' }, 'check the key and run login --with-api-key again'],
    [{ agent: 'claude', method: 'default' }, 'run login --agent claude again and paste the code the browser shows, or use --with-api-key'],
    [{ agent: 'gemini', method: 'default' }, 'run login --agent gemini again and paste the code the browser shows, or use --with-api-key'],
  ] as const)('%j', (flow, advice) => {
    expect(describeLoginRetry(flow)).toBe(advice);
  });
});
