import { assembleRunPlan, type ResolvedRun } from '../../scripts/core/run/assemble-run-plan.js';
import { findLoginSecrets, parseLoginFile, replaceLoginSecrets } from '../../scripts/core/login/login-secrets.js';
import { buildDockerRunArgs } from '../../scripts/core/run/run-plan.js';
import {
  checkSecretHosts,
  listAgentSecretHosts,
  parseNoInspect,
  parseSecretSpecs,
  renderSecretsFile,
} from '../../scripts/core/run/run-secrets.js';
import { serializeMountSet } from '../../scripts/core/session/session-mounts.js';
import { SECURITY_ARGS } from './helpers/security-args.js';

describe('--no-inspect (R160)', () => {
  it('host patterns, comma or space separated, normalised, each once', () => {
    expect(parseNoInspect(['Bank.Example.com.', '*.pinned.test, bank.example.com', 'a.io b.io'], '--no-inspect')).toEqual([
      'bank.example.com',
      '*.pinned.test',
      'a.io',
      'b.io',
    ]);
  });

  it.each([
    ['exa mple', undefined],
    ['bad_host!.com', 'is not a valid host name'],
    ['10.0.0.1', 'IP addresses are not allowed'],
    ['example.com:8443', 'is not a host name: give a name or *.name, without port or preset'],
    ['@github', 'without port or preset'],
    ['https://example.com/', 'is not a host name'],
  ])('%s is refused with one line', (value, message) => {
    if (message === undefined) {
      expect(parseNoInspect([value], '--no-inspect')).toEqual(['exa', 'mple']);
      return;
    }
    expect(() => parseNoInspect([value], '--no-inspect')).toThrow(message);
  });
});

describe('--secret NAME=HOST,… and --secret-from (R163)', () => {
  it('parses names and hosts; --secret-from values pair with --secret values in order', () => {
    expect(
      parseSecretSpecs(['GH_TOKEN=api.github.com,*.githubusercontent.com', 'NPM_TOKEN=registry.npmjs.org'], ['gh auth token']),
    ).toEqual([
      { name: 'GH_TOKEN', hosts: ['api.github.com', '*.githubusercontent.com'], fromCommand: 'gh auth token' },
      { name: 'NPM_TOKEN', hosts: ['registry.npmjs.org'] },
    ]);
  });

  it.each([
    [['GH_TOKEN'], [], '--secret "GH_TOKEN" is not NAME=HOST[,HOST…]: e.g. --secret GH_TOKEN=api.github.com'],
    [['1X=a.io'], [], 'is not NAME=HOST'],
    [['A-B=a.io'], [], 'is not NAME=HOST'],
    [['GH_TOKEN='], [], '--secret GH_TOKEN names no host: give NAME=HOST[,HOST…]'],
    [['GH_TOKEN=a.io:22'], [], '--secret GH_TOKEN: "a.io:22" is not a host name'],
    [['GH_TOKEN=1.2.3.4'], [], 'IP addresses are not allowed'],
    [['SANDBOX_PROXY_AUTH=a.io'], [], "SANDBOX_ names are the sandbox's own"],
    [['A=a.io', 'A=b.io'], [], '--secret A is given twice: give each variable once'],
    [['A=a.io'], ['x', 'y'], '--secret-from "y" has no --secret to give a value to: add --secret NAME=HOST'],
  ])('%j %j is refused', (secrets, commands, message) => {
    expect(() => parseSecretSpecs(secrets, commands)).toThrow(message);
  });

  it('each host must be allowed (covered by an allowance) and must not be a --no-inspect host', () => {
    const specs = parseSecretSpecs(['GH_TOKEN=api.github.com'], []);
    expect(() => checkSecretHosts(specs, ['*.github.com'], [])).not.toThrow();
    expect(() => checkSecretHosts(specs, ['github.com'], [])).toThrow(
      '--secret GH_TOKEN: api.github.com is not allowed: add --allow api.github.com',
    );
    expect(() => checkSecretHosts(specs, ['api.github.com'], ['*.github.com'])).toThrow(
      '--secret GH_TOKEN cannot be injected into a --no-inspect host (*.github.com): drop one',
    );
    const wildcard = parseSecretSpecs(['T=*.example.com'], []);
    expect(() => checkSecretHosts(wildcard, ['*.example.com'], ['bank.example.com'])).toThrow('(bank.example.com): drop one');
  });
});

describe('the built-in credentials and their hosts (R161, R164)', () => {
  it('Codex: OpenAI hosts and the model-provider hosts of the config used', () => {
    expect(listAgentSecretHosts('codex', {}, ['llm.corp.test'])).toEqual({
      keys: ['api.openai.com', 'llm.corp.test'],
      login: ['api.openai.com', 'chatgpt.com', 'auth.openai.com', 'llm.corp.test'],
    });
  });

  it("Claude: Anthropic's hosts and ANTHROPIC_BASE_URL's host, for keys and login", () => {
    const hosts = ['api.anthropic.com', 'platform.claude.com', 'console.anthropic.com', 'gw.corp.test'];
    expect(listAgentSecretHosts('claude', { ANTHROPIC_BASE_URL: 'https://GW.corp.test:8443/v1' }, [])).toEqual({
      keys: hosts,
      login: hosts,
    });
  });

  it("Gemini: keys to the API (and GOOGLE_GEMINI_BASE_URL's host), OAuth tokens to Google's OAuth hosts; a bad URL adds nothing", () => {
    expect(listAgentSecretHosts('gemini', { GOOGLE_GEMINI_BASE_URL: 'not a url' }, [])).toEqual({
      keys: ['generativelanguage.googleapis.com'],
      login: ['oauth2.googleapis.com', 'www.googleapis.com', 'cloudcode-pa.googleapis.com'],
    });
    expect(listAgentSecretHosts('gemini', { GOOGLE_GEMINI_BASE_URL: 'http://gem.test' }, []).keys).toEqual([
      'generativelanguage.googleapis.com',
      'gem.test',
    ]);
  });
});

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJlbWFpbCI6Im1lQGV4YW1wbGUuY29tIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

describe('login files: their credentials and the placeholder copy (R164)', () => {
  it('Codex auth.json with an API key: the key, replaced; everything else kept', () => {
    const json = parseLoginFile('{"OPENAI_API_KEY":"sk-proj-real0123456789","tokens":null,"last_refresh":null}', 'auth.json');
    expect(findLoginSecrets(json)).toEqual([{ path: ['OPENAI_API_KEY'], value: 'sk-proj-real0123456789' }]);
    expect(JSON.parse(replaceLoginSecrets(json, ['sk-proj-fake0123456789']))).toEqual({
      OPENAI_API_KEY: 'sk-proj-fake0123456789',
      tokens: null,
      last_refresh: null,
    });
  });

  it('Codex auth.json with a ChatGPT login: the three tokens, not account_id or last_refresh', () => {
    const login = {
      OPENAI_API_KEY: null,
      tokens: { id_token: JWT, access_token: 'eyJ-access', refresh_token: 'rt_0123456789abc', account_id: 'acc-1234' },
      last_refresh: '2026-01-01T00:00:00Z',
    };
    const json = parseLoginFile(JSON.stringify(login), 'auth.json');
    expect(findLoginSecrets(json).map((secret) => secret.path.join('.'))).toEqual([
      'tokens.id_token',
      'tokens.access_token',
      'tokens.refresh_token',
    ]);
    expect(JSON.parse(replaceLoginSecrets(json, ['P1', 'P2', 'P3']))).toEqual({
      ...login,
      tokens: { id_token: 'P1', access_token: 'P2', refresh_token: 'P3', account_id: 'acc-1234' },
    });
  });

  it("Claude's and Gemini's login files: tokens, never their expiry, type or scope, nor strings under 8 characters", () => {
    const claude = { claudeAiOauth: { accessToken: 'sk-ant-oat01-x', refreshToken: 'sk-ant-ort01-y', expiresAt: 1, scopes: ['a'] } };
    expect(findLoginSecrets(claude).map((secret) => secret.path.join('.'))).toEqual([
      'claudeAiOauth.accessToken',
      'claudeAiOauth.refreshToken',
    ]);
    const gemini = {
      access_token: 'ya29.a0AfB_x',
      refresh_token: '1//0gRefresh',
      id_token: JWT,
      short_token: 'abc',
      token_type: 'Bearer',
      expiry_date: 1,
      scope: 's',
    };
    expect(findLoginSecrets(gemini).map((secret) => secret.path.join('.'))).toEqual(['access_token', 'refresh_token', 'id_token']);
  });

  it("OpenCode's auth.json: OAuth access and refresh tokens and API keys, per provider; type and expiry stay", () => {
    const opencode = {
      anthropic: { type: 'oauth', access: 'sk-ant-oat01-real', refresh: 'sk-ant-ort01-real', expires: 1 },
      openai: { type: 'api', key: 'sk-proj-real0123456789' },
    };
    expect(findLoginSecrets(opencode).map((secret) => secret.path.join('.'))).toEqual([
      'anthropic.access',
      'anthropic.refresh',
      'openai.key',
    ]);
  });

  it('a login file that is not JSON is refused with what to do', () => {
    expect(() => parseLoginFile('{oops', '/h/.codex/auth.json')).toThrow('/h/.codex/auth.json is not JSON: log in again');
  });

  it('the secrets file: version 1 and the entries as given', () => {
    const entry = { name: 'GH_TOKEN', value: 'ghp_real', placeholder: 'ghp_fake', hosts: ['api.github.com'] };
    expect(JSON.parse(renderSecretsFile([entry]))).toEqual({ version: 1, secrets: [entry] });
  });
});

function resolved(overrides: Partial<ResolvedRun> = {}): ResolvedRun {
  return {
    command: 'agent',
    agent: { id: 'codex', passEnv: [] },
    workdir: '/w/proj',
    envDir: '/w/proj/.codex/.environment',
    sessionsDir: '/w/proj/.codex/.environment/sessions',
    readOnly: [],
    allowlist: ['api.openai.com'],
    image: 'codex-sandbox:latest',
    dns: [],
    uid: 1000,
    gid: 1001,
    tty: false,
    runId: 'r1d2',
    workdirHash: '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    launcherPid: 4242,
    launcherHost: 'host1',
    launcherVersion: '9.9.9',
    args: [],
    ...overrides,
  };
}

const HEAD = ['run', '--rm', '-i', '--name', 'codex-proj-01234567-r1d2'];
const LABELS = [
  '--label',
  'codex-sandbox.managed=true',
  '--label',
  'codex-sandbox.workdir=/w/proj',
  '--label',
  'codex-sandbox.run-id=r1d2',
  '--label',
  'codex-sandbox.command=codex',
  '--label',
  'codex-sandbox.launcher-pid=4242',
  '--label',
  'codex-sandbox.launcher-host=host1',
  '--label',
  'codex-sandbox.version=9.9.9',
];
const ENV = [
  '-e',
  'CODEX_HOME=/codex_home',
  '-e',
  'HOME=/codex_home',
  '-e',
  'SANDBOX_WORKDIR=/app/w/proj',
  '-e',
  'SANDBOX_ENV_DIR=/app/w/proj/.codex/.environment',
  '-e',
  'SANDBOX_ALLOWED_DOMAINS=api.openai.com',
  '-e',
  'SANDBOX_HOST_UID=1000',
  '-e',
  'SANDBOX_HOST_GID=1001',
  '-e',
  'SANDBOX_CODEX_HOME=/app/w/proj/.codex/.environment',
];

describe('the docker argv with credentials kept outside (R160-R164)', () => {
  it('SANDBOX_NO_INSPECT, the login copy in place of auth.json, the secrets file, --secret names by name only', () => {
    const argv = buildDockerRunArgs(
      assembleRunPlan(
        resolved({
          agent: { id: 'codex', credentialFile: '/home/me/.codex/auth.json', passEnv: [] },
          noInspect: ['bank.example.com', '*.pinned.test'],
          secrets: { dir: '/run/user/1000/codex-sandbox/secrets', loginCopy: true, names: ['GH_TOKEN'] },
        }),
      ),
    );
    expect(argv).toEqual([
      ...HEAD,
      ...LABELS,
      ...SECURITY_ARGS,
      '--mount',
      'type=bind,source=/w/proj,target=/app/w/proj',
      '--mount',
      'type=bind,source=/run/user/1000/codex-sandbox/secrets/r1d2.auth.json,target=/app/w/proj/.codex/.environment/auth.json,readonly',
      '--mount',
      'type=bind,source=/run/user/1000/codex-sandbox/secrets/r1d2.secrets.json,target=/var/lib/codex-sandbox/private/secrets.json,readonly',
      '--mount',
      'type=bind,source=/run/user/1000/codex-sandbox/secrets/r1d2.handback,target=/var/lib/codex-sandbox/private/handback',
      '-w',
      '/app/w/proj',
      ...ENV,
      '-e',
      'SANDBOX_NO_INSPECT=bank.example.com *.pinned.test',
      '-e',
      'GH_TOKEN',
      'codex-sandbox:latest',
    ]);
  });

  it("another agent's login copy at its own place; its keys and --secret by name, each once", () => {
    const plan = assembleRunPlan(
      resolved({
        agent: { id: 'claude', credentialFile: '/home/me/.claude/.credentials.json', passEnv: ['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL'] },
        secrets: { dir: '/s', loginCopy: true, names: ['GH_TOKEN', 'ANTHROPIC_BASE_URL'] },
      }),
    );
    const argv = buildDockerRunArgs(plan);
    expect(argv).toContain(
      'type=bind,source=/s/r1d2.credentials.json,target=/app/w/proj/.codex/.environment/agents/claude/.credentials.json,readonly',
    );
    expect(argv.slice(-7)).toEqual(['-e', 'ANTHROPIC_API_KEY', '-e', 'ANTHROPIC_BASE_URL', '-e', 'GH_TOKEN', 'codex-sandbox:latest']);
  });

  it('without a login copy the login file is mounted as before; a session records the real login file, not the copy', () => {
    const plain = buildDockerRunArgs(
      assembleRunPlan(
        resolved({
          agent: { id: 'codex', credentialFile: '/h/auth.json', passEnv: [] },
          secrets: { dir: '/s', loginCopy: false, names: [] },
        }),
      ),
    );
    expect(plain).toContain('type=bind,source=/h/auth.json,target=/app/w/proj/.codex/.environment/auth.json,readonly');
    const session = assembleRunPlan(
      resolved({
        agent: { id: 'codex', credentialFile: '/h/auth.json', passEnv: [] },
        session: { name: 's1', keep: false, replace: false, parallel: false, strictMounts: false },
        secrets: { dir: '/s', loginCopy: true, names: [] },
      }),
    );
    expect(serializeMountSet(session.mounts)).toBe(
      JSON.stringify([
        ['/h/auth.json', '/app/w/proj/.codex/.environment/auth.json', 'ro'],
        ['/w/proj', '/app/w/proj', 'rw'],
      ]),
    );
  });

  it('no credentials and no --no-inspect: nothing changes', () => {
    const argv = buildDockerRunArgs(assembleRunPlan(resolved({ noInspect: [] })));
    expect(argv.join('\n')).not.toMatch(/SANDBOX_NO_INSPECT|secrets\.json/);
  });
});
