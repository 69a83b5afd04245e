import { planAgentHome } from '../../scripts/core/agents/agent-home-plan.js';
import { listSearchDirs } from '../../scripts/core/agents/search-order.js';
import {
  agentConfigIn,
  agentHomeIn,
  AGENT_IDS,
  AGENTS,
  buildHeadlessArgs,
  parseAgentId,
  parseAgentList,
} from '../../scripts/core/agents/agents.js';
import { agentDefaultLayer, buildEgressPolicy } from '../../scripts/core/egress/egress-policy.js';

describe('the registry of agents (R120-R123)', () => {
  it('has one entry per id, each naming itself, with an npm package, a binary and a build flag', () => {
    expect(AGENT_IDS).toEqual(['codex', 'claude', 'gemini', 'copilot', 'opencode']);
    for (const id of AGENT_IDS) {
      const spec = AGENTS[id];
      expect(spec.id).toBe(id);
      expect(spec.npmPackage).toMatch(/^(@[a-z0-9-]+\/)?[a-z0-9-]+$/);
      expect(spec.versionFlag).toBe(`--${id}-version`);
      expect(spec.allowlist.length).toBeGreaterThan(0);
      // A login in a container talks to its hosts; a key the launcher stores needs none.
      if (Object.values(spec.login).some((shape) => shape !== 'store')) expect(spec.loginHosts.length).toBeGreaterThan(0);
    }
  });

  it('its logins start its binary; --config names one of its configuration files; it says what its permissions are', () => {
    for (const id of AGENT_IDS) {
      const spec = AGENTS[id];
      for (const shape of Object.values(spec.login)) if (shape !== 'store') expect(shape?.argv[0]).toBe(spec.binary);
      if (spec.configFlag !== undefined) expect(spec.configFiles).toContain(spec.configFlag);
      expect(spec.hostSearch.filter((place) => 'store' in place)).toHaveLength(1);
      expect(spec.permissions).not.toBe('');
    }
  });

  it('no agent home is a directory an agent reads as project configuration, and none is shared', () => {
    const homes = AGENT_IDS.map((id) => AGENTS[id].homeDir);
    expect(new Set(homes).size).toBe(homes.length);
    for (const home of homes) expect(home.split('/')).not.toEqual(expect.arrayContaining(['.claude', '.gemini', '.codex']));
  });

  it('telemetry is turned off by the agents own settings, not allowed: no telemetry host on any allowlist', () => {
    const every = AGENT_IDS.flatMap((id) => [...AGENTS[id].allowlist, ...AGENTS[id].credentialHosts]);
    for (const host of ['play.googleapis.com', 'statsig.anthropic.com', 'sentry.io', 'registry.npmjs.org', 'github.com']) {
      expect(every).not.toContain(host);
    }
    expect(AGENTS.claude.fixedEnv).toEqual(expect.objectContaining({ CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' }));
    expect(AGENTS.gemini.fixedEnv).toEqual({ SANDBOX: 'codex-sandbox' });
  });

  it.each([
    ['claude', 'claude'],
    [' Gemini ', 'gemini'],
    ['codex', 'codex'],
  ])('parseAgentId(%j) = %s', (input, id) => expect(parseAgentId(input, '--agent')).toBe(id));

  it.each(['', 'aider', 'claude-code'])('parseAgentId(%j) names the choices', (input) => {
    expect(() => parseAgentId(input, '--agent')).toThrow(
      `--agent ${JSON.stringify(input)} is not an agent: use codex, claude, gemini, copilot, opencode`,
    );
  });

  it('parseAgentList: registry order, each once; empty or unknown refused', () => {
    expect(parseAgentList('gemini,codex claude,gemini')).toEqual(['codex', 'claude', 'gemini']);
    expect(() => parseAgentList(' , ')).toThrow('--agents is empty: name at least one of codex, claude, gemini');
    expect(() => parseAgentList('codex,x')).toThrow('--agents "x" is not an agent');
  });

  it('homes and configuration directories below the Codex home', () => {
    expect(agentHomeIn('/codex_home', AGENTS.codex)).toBe('/codex_home');
    expect(agentHomeIn('/codex_home', AGENTS.claude)).toBe('/codex_home/agents/claude');
    expect(agentConfigIn('/app/w/.codex/.environment', AGENTS.gemini)).toBe('/app/w/.codex/.environment/agents/gemini/.gemini');
  });
});

describe('buildHeadlessArgs (R50, R126)', () => {
  it('codex: exec with its last-message file, the user flags, the prompt after --', () => {
    expect(buildHeadlessArgs('codex', '-rm', ['--model', 'm'], '/h/last.md')).toEqual({
      args: ['exec', '--skip-git-repo-check', '--output-last-message', '/h/last.md', '--model', 'm', '--', '-rm'],
      lastMessage: 'file',
    });
  });

  it('claude: print mode without permission prompts, the prompt after --', () => {
    expect(buildHeadlessArgs('claude', '-rm', ['--model', 'm'], '/h/last.md')).toEqual({
      args: ['-p', '--dangerously-skip-permissions', '--model', 'm', '--', '-rm'],
      lastMessage: 'stdout',
    });
  });

  it('gemini: yolo, the workdir trusted, the prompt as the value of --prompt (even one starting with -)', () => {
    expect(buildHeadlessArgs('gemini', '-do it', ['-m', 'x'], '/h/last.md')).toEqual({
      args: ['--yolo', '--skip-trust', '-m', 'x', '--prompt=-do it'],
      lastMessage: 'stdout',
    });
  });
});

/** The host directories of an agent's configuration and login (R124), as the run's search lists them. */
function listAgentHostDirs(agent: 'claude' | 'gemini', inputs: { env: Record<string, string>; home?: string; storeDir?: string }) {
  const { config, credential } = listSearchDirs(agent, { ...inputs, workdir: '/w', projectDir: '/w/.codex/.environment/agents/x' });
  return { config, credential };
}

describe('agent homes (R121, R124)', () => {
  const facts = {
    agent: 'claude' as const,
    home: '/w/.codex/.environment/agents/claude',
    homeExists: false,
    configDir: '/w/.codex/.environment/agents/claude',
    configDirExists: false,
    configFiles: [
      { name: 'settings.json', from: '/h/.claude/settings.json', targetExists: false },
      { name: 'CLAUDE.md', from: '/h/.claude/CLAUDE.md', targetExists: true },
      { name: 'other', targetExists: false },
    ],
    configDirs: [],
    seeds: [{ name: '.claude.json', targetExists: false }],
  };

  it('a new home: created, configuration copied without overwriting, the first-start answers written', () => {
    expect(planAgentHome(facts)).toEqual([
      { kind: 'mkdir', path: '/w/.codex/.environment/agents/claude' },
      {
        kind: 'copy-file',
        from: '/h/.claude/settings.json',
        to: '/w/.codex/.environment/agents/claude/settings.json',
        overwrite: false,
      },
      { kind: 'write-file', to: '/w/.codex/.environment/agents/claude/.claude.json', text: '{"hasCompletedOnboarding":true}\n' },
    ]);
  });

  it('an existing home with everything in place: nothing to do', () => {
    const done = {
      ...facts,
      homeExists: true,
      configDirExists: true,
      configFiles: facts.configFiles.map((file) => ({ ...file, targetExists: true })),
      seeds: [{ name: '.claude.json', targetExists: true }],
    };
    expect(planAgentHome(done)).toEqual([]);
  });

  it('gemini: its configuration directory .gemini is created below its home', () => {
    const gemini = {
      agent: 'gemini' as const,
      home: '/e/agents/gemini',
      homeExists: false,
      configDir: '/e/agents/gemini/.gemini',
      configDirExists: false,
      configFiles: [],
      configDirs: [],
      seeds: [],
    };
    expect(planAgentHome(gemini)).toEqual([
      { kind: 'mkdir', path: '/e/agents/gemini' },
      { kind: 'mkdir', path: '/e/agents/gemini/.gemini' },
    ]);
  });

  it('host search order: its variable, the login store (login only), the home directory', () => {
    expect(listAgentHostDirs('claude', { env: { CLAUDE_CONFIG_DIR: '/cfg' }, home: '/h', storeDir: '/h/store/claude' })).toEqual({
      config: ['/cfg', '/h/.claude'],
      credential: ['/cfg', '/h/store/claude', '/h/.claude'],
    });
    expect(listAgentHostDirs('gemini', { env: { GEMINI_CLI_HOME: '/g' }, home: '/h' })).toEqual({
      config: ['/g/.gemini', '/h/.gemini'],
      credential: ['/g/.gemini', '/h/.gemini'],
    });
    // A relative directory in the variable means nothing on the host: ignored.
    expect(listAgentHostDirs('claude', { env: { CLAUDE_CONFIG_DIR: 'rel' } }).config).toEqual([]);
  });
});

describe('egress defaults per agent (R123)', () => {
  it('a Claude Code run starts from its own host, not OpenAI; a login adds the token host', () => {
    expect(buildEgressPolicy([], undefined, agentDefaultLayer('claude', false)).domains).toEqual(['api.anthropic.com']);
    expect(buildEgressPolicy([], undefined, agentDefaultLayer('claude', true)).domains).toEqual([
      'api.anthropic.com',
      'platform.claude.com',
    ]);
    expect(buildEgressPolicy([], undefined, agentDefaultLayer('gemini', false)).domains).toEqual(['generativelanguage.googleapis.com']);
  });

  it('Codex keeps exactly its defaults, and a deny still wins over an agent default', () => {
    expect(buildEgressPolicy([], undefined, agentDefaultLayer('codex', true)).domains).toEqual(AGENTS.codex.allowlist);
    const denied = buildEgressPolicy([{ source: '--deny', deny: ['api.anthropic.com'] }], undefined, agentDefaultLayer('claude', false));
    expect(denied.domains).toEqual([]);
  });
});
