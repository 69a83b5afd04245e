import { agentConfigIn, agentHomeIn, AGENTS, buildHeadlessArgs, parseAgentList } from '../../scripts/core/agents/agents.js';
import { formatResumeHint, readSessionId } from '../../scripts/core/agents/resume-hint.js';
import { agentDefaultLayer } from '../../scripts/core/egress/egress-policy.js';
import { renderAgentFacts } from '../../scripts/core/image/agent-facts.js';
import { chooseLoginFlow, type LoginRequest } from '../../scripts/core/login/login-flows.js';
import { listAgentEnv } from '../../scripts/core/run/container-identity.js';
import { listAgentSecretHosts, listKeyHosts } from '../../scripts/core/run/run-secrets.js';

/** GitHub Copilot CLI and OpenCode as registry entries (R120-R127, R130, R135). */

const request = (agent: LoginRequest['agent'], extra: Partial<LoginRequest> = {}): LoginRequest => ({
  agent,
  deviceAuth: false,
  withApiKey: false,
  force: false,
  passThrough: [],
  sandboxFlags: [],
  ...extra,
});

describe('exec argv (R50, R126): the whole argv from the template', () => {
  test('opencode: run --auto, the user flags, then the prompt after --', () => {
    expect(buildHeadlessArgs('opencode', '-x fix it', ['--model', 'anthropic/claude-x'], '/tmp/last.md')).toEqual({
      args: ['run', '--auto', '--model', 'anthropic/claude-x', '--', '-x fix it'],
      lastMessage: 'stdout',
    });
  });

  test('copilot: permissions off, nobody asked, only the answer on stdout; the prompt is one element', () => {
    expect(buildHeadlessArgs('copilot', '-x fix it', ['--model', 'gpt-5.4'], '/tmp/last.md')).toEqual({
      args: ['--allow-all', '--no-ask-user', '-s', '--model', 'gpt-5.4', '--prompt=-x fix it'],
      lastMessage: 'stdout',
    });
  });
});

describe('logins (R135-R138)', () => {
  test('copilot: the plain login and --with-api-key keep a token in the store, no container', () => {
    expect(chooseLoginFlow(request('copilot'))).toEqual({ kind: 'store-key', agent: 'copilot', method: 'with-api-key' });
    expect(chooseLoginFlow(request('copilot', { withApiKey: true }))).toEqual({
      kind: 'store-key',
      agent: 'copilot',
      method: 'with-api-key',
    });
  });

  test('copilot: --device-auth is refused with the logins it has', () => {
    expect(() => chooseLoginFlow(request('copilot', { deviceAuth: true }))).toThrow(
      '--device-auth is not a login of GitHub Copilot CLI: use `login --agent copilot` or --with-api-key',
    );
  });

  test('opencode: its own `auth login` in a sandbox, on a terminal; auth.json lands in its configuration directory', () => {
    expect(chooseLoginFlow(request('opencode', { passThrough: ['--print-logs'] }))).toEqual({
      kind: 'container',
      agent: 'opencode',
      method: 'default',
      argv: ['opencode', 'auth', 'login'],
      env: [],
      keyOnStdin: false,
      needsTerminal: true,
      stopWhenStored: false,
      homeFiles: [],
      credential: ['opencode', 'auth.json'],
    });
  });

  test.each([
    [{ withApiKey: true }, '--with-api-key is not a login of OpenCode: use `login --agent opencode`'],
    [{ deviceAuth: true }, '--device-auth is not a login of OpenCode: use `login --agent opencode`'],
  ])('opencode %j is refused', (extra, message) => {
    expect(() => chooseLoginFlow(request('opencode', extra))).toThrow(message);
  });
});

describe('homes and variables (R121, R122)', () => {
  test('each home lies below the per-project home, never a project configuration directory', () => {
    expect(agentHomeIn('/codex_home', AGENTS.copilot)).toBe('/codex_home/agents/copilot');
    expect(agentConfigIn('/codex_home', AGENTS.copilot)).toBe('/codex_home/agents/copilot');
    expect(agentHomeIn('/codex_home', AGENTS.opencode)).toBe('/codex_home/agents/opencode');
    expect(agentConfigIn('/codex_home', AGENTS.opencode)).toBe('/codex_home/agents/opencode/opencode');
  });

  test('copilot: COPILOT_HOME is its home; update downloads off by its own variable', () => {
    expect(listAgentEnv('copilot', '/h/agents/copilot')).toEqual([
      ['SANDBOX_AGENT', 'copilot'],
      ['COPILOT_HOME', '/h/agents/copilot'],
      ['COPILOT_AUTO_UPDATE', 'false'],
    ]);
  });

  test('opencode: its XDG directories are its home; self-update, model list, sharing and LSP downloads off', () => {
    expect(listAgentEnv('opencode', '/h/agents/opencode')).toEqual([
      ['SANDBOX_AGENT', 'opencode'],
      ['XDG_CONFIG_HOME', '/h/agents/opencode'],
      ['XDG_DATA_HOME', '/h/agents/opencode'],
      ['XDG_STATE_HOME', '/h/agents/opencode'],
      ['OPENCODE_DISABLE_AUTOUPDATE', '1'],
      ['OPENCODE_DISABLE_MODELS_FETCH', '1'],
      ['OPENCODE_DISABLE_SHARE', '1'],
      ['OPENCODE_DISABLE_LSP_DOWNLOAD', '1'],
    ]);
  });
});

describe('hosts and credentials (R14, R161)', () => {
  test('default allowlists: the model APIs only, no telemetry, update or model-list host', () => {
    expect(agentDefaultLayer('copilot', false).allow).toEqual([
      'api.github.com',
      'api.githubcopilot.com',
      'api.individual.githubcopilot.com',
      'api.business.githubcopilot.com',
      'api.enterprise.githubcopilot.com',
    ]);
    expect(agentDefaultLayer('opencode', true).allow).toEqual(['api.anthropic.com', 'api.openai.com']);
  });

  test('copilot: only COPILOT_GITHUB_TOKEN of the GitHub token variables is passed; its tokens go to its hosts and the BYOK host', () => {
    expect(AGENTS.copilot.keyEnv).not.toContain('GH_TOKEN');
    expect(AGENTS.copilot.keyEnv).not.toContain('GITHUB_TOKEN');
    expect(AGENTS.copilot.secretHosts.keyEnv).toEqual(['COPILOT_GITHUB_TOKEN', 'COPILOT_PROVIDER_API_KEY']);
    const hosts = listAgentSecretHosts('copilot', { COPILOT_PROVIDER_BASE_URL: 'https://llm.example.test/v1' }, []);
    expect(hosts.keys).toEqual(['llm.example.test']);
    expect(hosts.login).toEqual([...AGENTS.copilot.allowlist]);
    // The GitHub token never goes to the user's own provider; the provider key only there.
    expect(listKeyHosts('copilot', 'COPILOT_GITHUB_TOKEN', hosts.keys)).toEqual([...AGENTS.copilot.allowlist]);
    expect(listKeyHosts('copilot', 'COPILOT_PROVIDER_API_KEY', hosts.keys)).toEqual(['llm.example.test']);
  });

  test("opencode: each provider's key goes to that provider only", () => {
    const hosts = listAgentSecretHosts('opencode', {}, []);
    expect(hosts).toEqual({ keys: ['api.anthropic.com', 'api.openai.com'], login: ['api.anthropic.com', 'api.openai.com'] });
    expect(listKeyHosts('opencode', 'ANTHROPIC_API_KEY', hosts.keys)).toEqual(['api.anthropic.com']);
    expect(listKeyHosts('opencode', 'OPENAI_API_KEY', hosts.keys)).toEqual(['api.openai.com']);
    expect(listKeyHosts('codex', 'OPENAI_API_KEY', ['api.openai.com', 'llm.corp.test'])).toEqual(['api.openai.com', 'llm.corp.test']);
  });
});

describe('the image (R130, R132) and the build (R31)', () => {
  test('agent facts: package, command, Node, launch arguments, prune paths', () => {
    expect(renderAgentFacts([AGENTS.copilot, AGENTS.opencode]).split('\n').slice(2)).toEqual([
      'copilot\tpackage\t@github/copilot',
      'copilot\tbinary\tcopilot',
      'copilot\tmin-node\t22',
      'copilot\tlaunch-arg\t--no-auto-update',
      'copilot\tlaunch-arg\t--disable-client-telemetry',
      'copilot\tprune\tnode_modules/@github/copilot-linuxmusl-*',
      'opencode\tpackage\topencode-ai',
      'opencode\tbinary\topencode',
      'opencode\tmin-node\t18',
      'opencode\tprune\tnode_modules/opencode-*',
      '',
    ]);
  });

  test('--agents takes both, in registry order', () => {
    expect(parseAgentList('opencode,copilot codex')).toEqual(['codex', 'copilot', 'opencode']);
    expect(AGENTS.copilot.versionFlag).toBe('--copilot-version');
    expect(AGENTS.opencode.versionFlag).toBe('--opencode-version');
  });
});

describe('resume (copilot)', () => {
  const id = '8ebd0511-edf5-464c-a197-e77db8f00f22';

  test('the lock file a run leaves names the session; anything else is not an id', () => {
    const resume = AGENTS.copilot.resume!;
    expect(readSessionId(`${id}.lock`, resume)).toBe(id);
    expect(readSessionId(`${id}.lock.tmp`, resume)).toBeUndefined();
    expect(readSessionId('../x.lock', resume)).toBeUndefined();
  });

  test('the hint resumes it with its own flag', () => {
    expect(formatResumeHint('/w', AGENTS.copilot, id)).toBe(
      `to continue it in the sandbox: run-in-container --work_dir /w --agent copilot -- --resume=${id}`,
    );
    expect(AGENTS.opencode.resume).toBeUndefined();
  });
});
