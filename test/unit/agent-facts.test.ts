import type { AgentSpec } from '../../scripts/core/agents/agent-spec.js';
import { AGENT_IDS, AGENTS } from '../../scripts/core/agents/agents.js';
import { renderAgentFacts, renderAgentLayers, renderDockerfile } from '../../scripts/core/image/agent-facts.js';

const spec = (id: string, extra: Partial<AgentSpec> = {}): AgentSpec =>
  ({
    ...AGENTS.codex,
    id,
    npmPackage: `@acme/${id}`,
    binary: id,
    minNodeMajor: 18,
    launchArgs: [],
    installPrune: [],
    ...extra,
  }) as AgentSpec;

describe('R130 the image reads its agents from a file generated from the registry', () => {
  test('one fact per line, lists one line per element, agents in order', () => {
    const text = renderAgentFacts([
      spec('alpha', { launchArgs: ['-c', 'sandbox_mode="danger-full-access"', 'two words'] }),
      spec('beta', { minNodeMajor: 22, installPrune: ['node_modules/@acme/beta-linux-*'] }),
    ]);
    expect(text).toBe(
      [
        '# codex-sandbox agent facts, generated from the launcher registry (scripts/core/image/agent-facts.ts).',
        '# Data read line by line (never sourced): <id> TAB <key> TAB <value>; the first agent is the default.',
        'alpha\tpackage\t@acme/alpha',
        'alpha\tbinary\talpha',
        'alpha\tmin-node\t18',
        'alpha\tlaunch-arg\t-c',
        'alpha\tlaunch-arg\tsandbox_mode="danger-full-access"',
        'alpha\tlaunch-arg\ttwo words',
        'beta\tpackage\t@acme/beta',
        'beta\tbinary\tbeta',
        'beta\tmin-node\t22',
        'beta\tprune\tnode_modules/@acme/beta-linux-*',
        '',
      ].join('\n'),
    );
  });

  test('the registry renders: every agent, Codex first with its launch arguments', () => {
    const text = renderAgentFacts(AGENT_IDS.map((id) => AGENTS[id]));
    const ids = [
      ...new Set(
        text
          .split('\n')
          .filter((line) => line !== '' && !line.startsWith('#'))
          .map((line) => line.split('\t')[0]),
      ),
    ];
    expect(ids).toEqual([...AGENT_IDS]);
    expect(text).toContain('codex\tlaunch-arg\tsandbox_mode="danger-full-access"\n');
    expect(text).toContain('claude\tprune\tnode_modules/@anthropic-ai/claude-code-linux-*\n');
  });

  test.each([
    ['a tab in an argument', spec('alpha', { launchArgs: ['a\tb'] }), 'launch argument "a\\tb"'],
    ['a newline in an argument', spec('alpha', { launchArgs: ['a\nb'] }), 'launch argument "a\\nb"'],
    ['a prune path going up', spec('alpha', { installPrune: ['../etc'] }), 'prune path "../etc"'],
    ['an absolute prune path', spec('alpha', { installPrune: ['/usr'] }), 'prune path "/usr"'],
    ['a prune path with a blank', spec('alpha', { installPrune: ['a b'] }), 'prune path "a b"'],
    ['a package that is not a name', spec('alpha', { npmPackage: 'x; rm -rf /' }), 'npm package "x; rm -rf /"'],
    ['an id the shell would split', spec('Al pha'), 'id "Al pha"'],
  ])('refuses %s', (_what, bad, message) => {
    expect(() => renderAgentFacts([bad])).toThrow(`agent ${bad.id}: ${message} cannot go into the image's agent facts`);
  });

  test('one ARG and one RUN per agent, in order', () => {
    expect(renderAgentLayers([spec('alpha'), spec('beta')])).toBe(
      'ARG ALPHA_VERSION=latest\n' +
        'RUN bash /tmp/codex-sandbox-build/install-agent.sh alpha "${ALPHA_VERSION}"\n' +
        'ARG BETA_VERSION=latest\n' +
        'RUN bash /tmp/codex-sandbox-build/install-agent.sh beta "${BETA_VERSION}"\n',
    );
  });

  test('the layers replace the marker line of the Dockerfile, exactly one', () => {
    const template = 'FROM x\nARG AGENTS=codex\n# @agent-layers\n\nRUN true\n';
    expect(renderDockerfile(template, [spec('alpha')])).toBe(
      'FROM x\nARG AGENTS=codex\nARG ALPHA_VERSION=latest\n' +
        'RUN bash /tmp/codex-sandbox-build/install-agent.sh alpha "${ALPHA_VERSION}"\n\nRUN true\n',
    );
    expect(() => renderDockerfile('FROM x\n', [spec('alpha')])).toThrow('image/Dockerfile lacks one "# @agent-layers" line');
    expect(() => renderDockerfile('# @agent-layers\n# @agent-layers\n', [spec('alpha')])).toThrow('lacks one');
  });
});
