import { describeHomeAction, planHome, type HomeFacts } from '../../scripts/core/agents/agent-home-plan.js';

/** Codex's home facts as before one pipeline: its home is the per-project home, `prompts` its one config directory. */
type CodexFacts = Omit<HomeFacts, 'agent'> & { prompts?: Omit<HomeFacts['agent']['configDirs'][number], 'name'> };

function planCodexHome({ prompts, ...facts }: CodexFacts) {
  const agent = { agent: 'codex' as const, home: facts.envDir, homeExists: facts.envDirExists, configDir: facts.envDir };
  const configDirs = prompts === undefined ? [] : [{ name: 'prompts', ...prompts }];
  return planHome({ ...facts, agent: { ...agent, configDirExists: facts.envDirExists, configFiles: [], configDirs, seeds: [] } });
}

const ENV = '/w/.codex/.environment';
const facts = (overrides: Partial<CodexFacts> = {}): CodexFacts => ({
  envDir: ENV,
  envDirExists: true,
  sessionsDir: `${ENV}/sessions`,
  sessionsDirExists: true,
  configTargetExists: false,
  ...overrides,
});

describe('planHome: Codex (its home is the per-project home)', () => {
  it('nothing to do when everything exists and nothing is found', () => {
    expect(planCodexHome(facts())).toEqual([]);
  });

  it('mkdir actions only for missing directories, env dir first', () => {
    expect(planCodexHome(facts({ envDirExists: false, sessionsDirExists: false }))).toEqual([
      { kind: 'mkdir', path: ENV },
      { kind: 'mkdir', path: `${ENV}/sessions` },
    ]);
    expect(planCodexHome(facts({ envDirExists: true, sessionsDirExists: false }))).toEqual([{ kind: 'mkdir', path: `${ENV}/sessions` }]);
    expect(planCodexHome(facts({ envDirExists: false, sessionsDirExists: true }))).toEqual([{ kind: 'mkdir', path: ENV }]);
  });

  it.each<[string, boolean, boolean, boolean]>([
    // [case, explicit, targetExists, copied]
    ['found config, target missing: copied', false, false, true],
    ['found config, target exists: kept', false, true, false],
    ['explicit --config, target missing: copied (overwrite)', true, false, true],
    ['explicit --config, target exists: overwritten', true, true, true],
  ])('%s', (_name, explicit, targetExists, copied) => {
    const actions = planCodexHome(facts({ configSource: { path: '/h/.codex/config.toml', explicit }, configTargetExists: targetExists }));
    expect(actions).toEqual(
      copied ? [{ kind: 'copy-file', from: '/h/.codex/config.toml', to: `${ENV}/config.toml`, overwrite: explicit }] : [],
    );
  });

  it('prompts: only missing files are copied, never with overwrite', () => {
    const actions = planCodexHome(
      facts({
        prompts: {
          dir: '/h/.codex/prompts',
          files: [
            { relative: 'a.md', targetExists: false },
            { relative: 'b.md', targetExists: true },
            { relative: 'sub/c.md', targetExists: false },
          ],
        },
      }),
    );
    expect(actions).toEqual([
      { kind: 'copy-file', from: '/h/.codex/prompts/a.md', to: `${ENV}/prompts/a.md`, overwrite: false },
      { kind: 'copy-file', from: '/h/.codex/prompts/sub/c.md', to: `${ENV}/prompts/sub/c.md`, overwrite: false },
    ]);
  });

  it('init script copied to init.sh with mode 0o755, overwriting', () => {
    expect(planCodexHome(facts({ initScript: '/w/setup.sh' }))).toEqual([
      { kind: 'copy-file', from: '/w/setup.sh', to: `${ENV}/init.sh`, overwrite: true, mode: 0o755 },
    ]);
  });

  it('full plan in order: mkdirs, config, prompts, init script; never auth.json', () => {
    const actions = planCodexHome(
      facts({
        envDirExists: false,
        sessionsDirExists: false,
        configSource: { path: '/cfg/config.toml', explicit: false },
        prompts: { dir: '/cfg/prompts', files: [{ relative: 'p.md', targetExists: false }] },
        initScript: '/i.sh',
      }),
    );
    expect(actions).toEqual([
      { kind: 'mkdir', path: ENV },
      { kind: 'mkdir', path: `${ENV}/sessions` },
      { kind: 'copy-file', from: '/cfg/config.toml', to: `${ENV}/config.toml`, overwrite: false },
      { kind: 'copy-file', from: '/cfg/prompts/p.md', to: `${ENV}/prompts/p.md`, overwrite: false },
      { kind: 'copy-file', from: '/i.sh', to: `${ENV}/init.sh`, overwrite: true, mode: 0o755 },
    ]);
    expect(JSON.stringify(actions)).not.toContain('auth.json');
  });
});

describe('describeHomeAction', () => {
  it.each<[Parameters<typeof describeHomeAction>[0], string]>([
    [{ kind: 'mkdir', path: '/x' }, 'create /x'],
    [{ kind: 'copy-file', from: '/a', to: '/b', overwrite: false }, 'copy /a -> /b'],
    [{ kind: 'copy-file', from: '/a', to: '/b', overwrite: true }, 'copy (overwrite) /a -> /b'],
  ])('%j -> %j', (action, text) => {
    expect(describeHomeAction(action)).toBe(text);
  });
});
