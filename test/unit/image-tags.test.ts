import { decideImageForAgent } from '../../scripts/core/agents/image-for-agent.js';
import { parseImageReadBack, planImageFinish, READ_BACK_SCRIPT, readImageAgents } from '../../scripts/core/image/image-labels.js';
import { formatSandboxTag, parseSandboxTag, planImageBuild, validateAgentVersion } from '../../scripts/core/image/image-tags.js';

/** R130, R131, R134: build plans, tags, labels and the automatic build for an agent. */
const DOCKER_TAG = /^codex-sandbox:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const CURRENT = { 'codex-sandbox.entrypoint': '8' };

describe('planImageBuild', () => {
  it('codex alone by default: every version arg present, latest when not pinned', () => {
    expect(planImageBuild({ noCache: false }, 'r1')).toEqual({
      temporaryTag: 'codex-sandbox:build-r1',
      baseImage: 'node:22-bookworm-slim',
      agents: ['codex'],
      buildArgs: [
        '-t',
        'codex-sandbox:build-r1',
        '--build-arg',
        'BASE_IMAGE=node:22-bookworm-slim',
        '--build-arg',
        'AGENTS=codex',
        '--build-arg',
        'CODEX_VERSION=latest',
        '--build-arg',
        'CLAUDE_VERSION=latest',
        '--build-arg',
        'GEMINI_VERSION=latest',
        '--build-arg',
        'COPILOT_VERSION=latest',
        '--build-arg',
        'OPENCODE_VERSION=latest',
      ],
      buildEnv: {},
      updateLatest: true,
    });
  });

  it('three agents in registry order whatever the request order, pinned versions, another Node', () => {
    const plan = planImageBuild(
      {
        agents: ['gemini', 'codex', 'claude'],
        versions: { claude: '2.1.332', gemini: '0.61.0' },
        node: 18,
        baseImage: 'local/node:bookworm',
        noCache: true,
      },
      'r2',
    );
    expect(plan.buildArgs).toEqual([
      '-t',
      'codex-sandbox:build-r2',
      '--build-arg',
      'BASE_IMAGE=local/node:bookworm',
      '--build-arg',
      'AGENTS=codex,claude,gemini',
      '--build-arg',
      'CODEX_VERSION=latest',
      '--build-arg',
      'CLAUDE_VERSION=2.1.332',
      '--build-arg',
      'GEMINI_VERSION=0.61.0',
      '--build-arg',
      'COPILOT_VERSION=latest',
      '--build-arg',
      'OPENCODE_VERSION=latest',
      '--no-cache',
    ]);
    expect(plan.agents).toEqual(['codex', 'claude', 'gemini']);
    expect(plan.updateLatest).toBe(false);
  });
});

describe('formatSandboxTag / parseSandboxTag', () => {
  it.each<[Record<string, string>, number, string]>([
    [{ codex: '0.171.0' }, 22, 'codex-sandbox:0.171.0-node22'],
    [{ codex: '0.171.0', claude: '2.1.332' }, 22, 'codex-sandbox:codex-0.171.0_claude-2.1.332-node22'],
    [{ gemini: '0.61.0', codex: '0.171.0', claude: '2.1.332' }, 18, 'codex-sandbox:codex-0.171.0_claude-2.1.332_gemini-0.61.0-node18'],
    [{ claude: '2.1.332' }, 20, 'codex-sandbox:claude-2.1.332-node20'],
    [{ gemini: '0.62.0-preview.1' }, 22, 'codex-sandbox:gemini-0.62.0-preview.1-node22'],
  ])('%j on node %d -> %s and back', (versions, node, tag) => {
    expect(formatSandboxTag(versions, node)).toBe(tag);
    const ids = Object.keys(versions);
    const agents = ['codex', 'claude', 'gemini'].filter((id) => ids.includes(id));
    expect(parseSandboxTag(tag)).toEqual({
      agents,
      versions,
      node,
      ...(versions.codex === undefined ? {} : { codexVersion: versions.codex }),
    });
  });

  it('keeps every tag valid for Docker, even with the longest versions allowed', () => {
    const long = `1.2.3-${'a'.repeat(26)}`;
    expect(validateAgentVersion(long, '--claude-version')).toBe(long);
    const tag = formatSandboxTag({ codex: long, claude: long, gemini: long }, 22);
    expect(tag).toMatch(DOCKER_TAG);
    expect(parseSandboxTag(tag)?.versions).toEqual({ codex: long, claude: long, gemini: long });
    expect(() => validateAgentVersion(`${long}b`, '--claude-version')).toThrow('--claude-version "1.2.3-');
  });

  it('latest and the bare repository say nothing; today codex-only tags still parse', () => {
    expect(parseSandboxTag('codex-sandbox:latest')).toEqual({});
    expect(parseSandboxTag('codex-sandbox')).toEqual({});
    expect(parseSandboxTag('codex-sandbox:latest-node22')).toEqual({
      agents: ['codex'],
      versions: { codex: 'latest' },
      node: 22,
      codexVersion: 'latest',
    });
  });

  it.each([
    'other:0.1.0-node22',
    'codex-sandbox:0.1.0',
    'codex-sandbox:dev9',
    'codex-sandbox:build-1234abcd',
    'codex-sandbox:claude-2.1.0_codex-0.1.0-node22',
    'codex-sandbox:codex-0.1.0_codex-0.2.0-node22',
    'codex-sandbox:codex-0.1.0__claude-2.1.0-node22',
    'codex-sandbox:aider-1.0.0-node22',
    'codex-sandbox:claude-2.1-node22',
    'codex-sandbox:claude-2.1.0;x-node22',
    'codex-sandbox:0.1.0-node',
  ])('%s is not a sandbox tag', (tag) => {
    expect(parseSandboxTag(tag)).toBeUndefined();
  });

  it('--codex-version keeps its message', () => {
    expect(() => validateAgentVersion('1.0.0;rm -rf /', '--codex-version')).toThrow('--codex-version "1.0.0;rm -rf /" is not a version');
  });
});

describe('read-back, labels and the finishing build', () => {
  const plan = planImageBuild({ agents: ['codex', 'claude', 'gemini'], baseImage: 'local/node:bookworm', noCache: false }, 'r3');

  it('the read-back script lists the version files and the node version, nothing else', () => {
    expect(READ_BACK_SCRIPT).toContain('/etc/codex-sandbox/agents/*');
    expect(READ_BACK_SCRIPT).toContain('node --version');
  });

  it('parses versions and node; labels and tags come from them', () => {
    const readBack = parseImageReadBack('agent claude 2.1.332\nagent codex 0.171.0\nagent gemini 0.61.0\nnode v18.20.4\n');
    expect(readBack).toEqual({ agents: { claude: '2.1.332', codex: '0.171.0', gemini: '0.61.0' }, node: '18.20.4' });
    expect(planImageFinish(plan, readBack)).toEqual({
      tags: ['codex-sandbox:codex-0.171.0_claude-2.1.332_gemini-0.61.0-node18', 'codex-sandbox:latest'],
      labelBuildArgs: [
        '-t',
        'codex-sandbox:codex-0.171.0_claude-2.1.332_gemini-0.61.0-node18',
        '-t',
        'codex-sandbox:latest',
        '--label',
        'codex-sandbox.agent.codex=0.171.0',
        '--label',
        'codex-sandbox.agent.claude=2.1.332',
        '--label',
        'codex-sandbox.agent.gemini=0.61.0',
        '--label',
        'codex-sandbox.node=18.20.4',
        '--label',
        'codex-sandbox.base=local/node:bookworm',
        '-',
      ],
      dockerfile: 'FROM codex-sandbox:build-r3\n',
    });
  });

  it('R190 a toolchain variant gets its own stable tag and never moves latest; labels name base and variant', () => {
    const toolchain = planImageBuild({ baseImage: 'codex-sandbox-base:0123456789ab', variant: 'toolchain-1a2b3c4d', noCache: false }, 'r5');
    expect(toolchain.updateLatest).toBe(false);
    const finish = planImageFinish(toolchain, { agents: { codex: '0.171.0' }, node: '18.20.4' });
    expect(finish.tags).toEqual(['codex-sandbox:0.171.0-node18-toolchain-1a2b3c4d', 'codex-sandbox:toolchain-1a2b3c4d']);
    expect(finish.labelBuildArgs.slice(-5)).toEqual([
      '--label',
      'codex-sandbox.base=codex-sandbox-base:0123456789ab',
      '--label',
      'codex-sandbox.variant=toolchain-1a2b3c4d',
      '-',
    ]);
    expect(() => planImageBuild({ variant: 'Bad_Variant', noCache: false }, 'r6')).toThrow('is not [a-z0-9-]');
  });

  it('a codex-only build keeps the tag of before; a non-default Node leaves latest alone', () => {
    const codexPlan = planImageBuild({ node: 20, noCache: false }, 'r4');
    expect(planImageFinish(codexPlan, { agents: { codex: '0.171.0' }, node: '20.19.2' })).toEqual({
      tags: ['codex-sandbox:0.171.0-node20'],
      labelBuildArgs: [
        '-t',
        'codex-sandbox:0.171.0-node20',
        '--label',
        'codex-sandbox.agent.codex=0.171.0',
        '--label',
        'codex-sandbox.node=20.19.2',
        '--label',
        'codex-sandbox.base=node:20-bookworm-slim',
        '-',
      ],
      dockerfile: 'FROM codex-sandbox:build-r4\n',
    });
  });

  it.each([
    ['agent claude 2.1.332 extra\nnode v18.20.4', 'records claude version'],
    ['agent claude latest\nnode v18.20.4', 'records claude version "latest"'],
    ['agent claude $(id)\nnode v18.20.4', 'records claude version "$(id)"'],
    ['agent codex 0.171.0\n', 'has no working node'],
    ['agent codex 0.171.0\nnode sh: node: not found', 'has no working node'],
  ])('refuses a broken read-back %j', (output, message) => {
    expect(() => parseImageReadBack(output)).toThrow(message);
  });

  it('refuses a build that lacks an agent it was asked for', () => {
    expect(() => planImageFinish(plan, { agents: { codex: '0.171.0' }, node: '18.20.4' })).toThrow('the built image lacks claude, gemini');
  });

  it('readImageAgents takes only valid agent labels', () => {
    expect(
      readImageAgents({
        ...CURRENT,
        'codex-sandbox.agent.codex': '0.171.0',
        'codex-sandbox.agent.claude': 'latest',
        'codex-sandbox.agent.gemini': '0.61.0;x',
        'codex-sandbox.agent.aider': '1.0.0',
        'codex-sandbox.node': '18.20.4',
      }),
    ).toEqual({ codex: '0.171.0' });
    expect(readImageAgents({})).toEqual({});
  });
});

describe('decideImageForAgent (R134)', () => {
  const latest = 'codex-sandbox:latest';
  const labels = { ...CURRENT, 'codex-sandbox.agent.codex': '0.171.0', 'codex-sandbox.node': '18.20.4' };

  it('latest with the agent: used as it is', () => {
    expect(decideImageForAgent(latest, { exists: true, labels }, 'codex')).toEqual({ kind: 'use' });
  });

  it('latest without the agent: rebuilt with the agents it has (pinned) plus that one (latest)', () => {
    expect(decideImageForAgent(latest, { exists: true, labels }, 'claude')).toEqual({
      kind: 'build',
      message: 'image codex-sandbox:latest has no Claude Code: building it with codex, claude first (one-time, a few minutes)',
      request: { agents: ['codex', 'claude'], versions: { codex: '0.171.0' } },
    });
    expect(decideImageForAgent('codex-sandbox', { exists: true, labels }, 'gemini')).toMatchObject({
      kind: 'build',
      request: { agents: ['codex', 'gemini'], versions: { codex: '0.171.0' } },
    });
  });

  it('latest missing: built with the agent asked for, as before', () => {
    expect(decideImageForAgent(latest, { exists: false, labels: {} }, 'codex')).toEqual({
      kind: 'build',
      message: 'image codex-sandbox:latest not found: building it first (one-time, a few minutes)',
      request: { agents: ['codex'] },
    });
  });

  it('latest outdated (no agent labels then): rebuilt with codex plus the agent', () => {
    expect(decideImageForAgent(latest, { exists: true, labels: { 'codex-sandbox.entrypoint': '3' } }, 'gemini')).toEqual({
      kind: 'build',
      message:
        "image codex-sandbox:latest predates this launcher's entrypoint (name-checked egress, mount checks, agents): " +
        'rebuilding it first (one-time, a few minutes)',
      request: { agents: ['codex', 'gemini'], versions: {} },
    });
  });

  it('latest without our entrypoint is left to the contract check (refused there)', () => {
    expect(decideImageForAgent(latest, { exists: true, labels: {} }, 'claude')).toEqual({ kind: 'use' });
  });

  it('a versioned tag whose agents include the agent: built when missing or outdated, as named', () => {
    const tag = 'codex-sandbox:codex-0.171.0_claude-2.1.332-node22';
    expect(decideImageForAgent(tag, { exists: false, labels: {} }, 'claude')).toEqual({
      kind: 'build',
      message: `image ${tag} not found: building it first (one-time, a few minutes)`,
      request: { agents: ['codex', 'claude'], versions: { codex: '0.171.0', claude: '2.1.332' }, node: 22 },
    });
    expect(decideImageForAgent('codex-sandbox:0.0.0-node22', { exists: false, labels: {} }, 'codex')).toMatchObject({
      kind: 'build',
      request: { agents: ['codex'], versions: { codex: '0.0.0' }, node: 22 },
    });
    expect(decideImageForAgent(tag, { exists: true, labels: { 'codex-sandbox.entrypoint': '3' } }, 'codex')).toMatchObject({
      kind: 'build',
    });
  });

  it('a versioned tag without the agent, or any other image lacking it: refused, naming build --agents', () => {
    expect(decideImageForAgent('codex-sandbox:0.171.0-node22', { exists: true, labels }, 'gemini')).toEqual({
      kind: 'refuse',
      message:
        'image codex-sandbox:0.171.0-node22 has no Gemini CLI: build an image with it ' +
        '(`run-in-container build --agents codex,gemini`) and use that, or use codex-sandbox:latest',
    });
    expect(decideImageForAgent('codex-sandbox:0.171.0-node22', { exists: false, labels: {} }, 'claude')).toMatchObject({
      kind: 'refuse',
      message: expect.stringContaining('`run-in-container build --agents codex,claude`'),
    });
    expect(decideImageForAgent('my/image:1', { exists: true, labels }, 'claude')).toMatchObject({
      kind: 'refuse',
      message: expect.stringContaining('image my/image:1 has no Claude Code'),
    });
  });

  it('a tag that claims the agent but whose labels do not have it is refused, never run', () => {
    const tag = 'codex-sandbox:codex-0.171.0_claude-2.1.332-node22';
    expect(decideImageForAgent(tag, { exists: true, labels }, 'claude')).toMatchObject({ kind: 'refuse' });
  });

  it('other images: missing is refused as before; with the agent (or not ours) used', () => {
    expect(decideImageForAgent('my/image:1', { exists: false, labels: {} }, 'codex')).toEqual({
      kind: 'refuse',
      message: 'image my/image:1 not found: build it with `run-in-container build` or pull it',
    });
    expect(decideImageForAgent('my/image:1', { exists: true, labels }, 'codex')).toEqual({ kind: 'use' });
    expect(decideImageForAgent('my/image:1', { exists: true, labels: {} }, 'claude')).toEqual({ kind: 'use' });
  });
});
