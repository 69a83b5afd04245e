import { jest } from '@jest/globals';
import { updateCommand, type UpdateSteps } from '../../scripts/app/update.js';
import { EnvironmentError, UsageError } from '../../scripts/core/errors.js';
import { parseNpmViewVersion, planImageUpdate, planUpdateBase, selectUpdateAgents } from '../../scripts/core/image/image-update.js';
import { planNpmViewInContainer } from '../../scripts/core/image/npm-view.js';
import { compareVersions } from '../../scripts/core/image/semver.js';
import type { BuildRequest } from '../../scripts/core/image/image-tags.js';
import type { HostContext } from '../../scripts/host/host-context.js';

/** R192-R194: `update` compares the image's agent versions with npm's latest and rebuilds only when one is older. */
describe('compareVersions (semver order)', () => {
  it.each([
    ['0.171.0', '0.172.0', -1],
    ['0.172.0', '0.172.0', 0],
    ['0.9.0', '0.10.0', -1],
    ['1.10.0', '1.9.9', 1],
    ['2.0.0', '10.0.0', -1],
    ['1.0.0-rc.1', '1.0.0', -1],
    ['1.0.0', '1.0.0-rc.1', 1],
    ['1.0.0-alpha', '1.0.0-alpha.1', -1],
    ['1.0.0-alpha.1', '1.0.0-alpha.beta', -1],
    ['1.0.0-beta.2', '1.0.0-beta.11', -1],
    ['1.0.0-beta.11', '1.0.0-rc.1', -1],
    ['1.0.0+build.5', '1.0.0', 0],
    ['0.172.0-alpha.3', '0.171.0', 1],
    ['not-a-version', '0.1.0', -1],
  ])('%s vs %s → %d', (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
    expect(compareVersions(b, a)).toBe(-expected || 0);
  });
});

describe('planImageUpdate', () => {
  it('one line per agent; a rebuild pins every agent, the older ones to the new version', () => {
    const plan = planImageUpdate({ codex: '0.171.0', claude: '2.1.332' }, { codex: '0.172.0', claude: '2.1.332' }, ['codex', 'claude']);
    expect(plan).toEqual({
      lines: ['codex 0.171.0 → 0.172.0', 'claude 2.1.332 (up to date)'],
      rebuild: true,
      versions: { codex: '0.172.0', claude: '2.1.332' },
      agents: ['codex', 'claude'],
    });
  });

  it('nothing older: no rebuild; a newer prerelease installed is not downgraded', () => {
    const plan = planImageUpdate({ codex: '0.173.0-alpha.1', gemini: '0.61.0' }, { codex: '0.172.0', gemini: '0.61.0' }, [
      'codex',
      'gemini',
    ]);
    expect(plan.rebuild).toBe(false);
    expect(plan.lines).toEqual(["codex 0.173.0-alpha.1 (up to date; newer than npm's latest 0.172.0)", 'gemini 0.61.0 (up to date)']);
  });

  it('--agents: only those are checked; the others stay pinned', () => {
    const plan = planImageUpdate({ codex: '0.171.0', claude: '2.1.0' }, { claude: '2.2.0' }, ['claude']);
    expect(plan.lines).toEqual(['claude 2.1.0 → 2.2.0']);
    expect(plan.versions).toEqual({ codex: '0.171.0', claude: '2.2.0' });
  });

  it('selectUpdateAgents refuses an agent the image lacks and an image without labels', () => {
    expect(() => selectUpdateAgents(['gemini'], { codex: '1.0.0' }, 'img')).toThrow(
      'image img has no gemini: add it with `run-in-container build --agents codex,gemini`',
    );
    expect(() => selectUpdateAgents(undefined, {}, 'img')).toThrow(EnvironmentError);
  });

  it('parseNpmViewVersion takes the JSON string npm prints and nothing else', () => {
    expect(parseNpmViewVersion('"0.172.0"\n', 'p')).toBe('0.172.0');
    expect(() => parseNpmViewVersion('npm ERR! 404', 'p')).toThrow('npm view p version did not print a version');
    expect(() => parseNpmViewVersion('"1.0.0;rm -rf /"', 'p')).toThrow(EnvironmentError);
  });
});

describe('planUpdateBase: the same base, Node and variant as the image', () => {
  it.each([
    ['a default build', { 'codex-sandbox.node': '22.11.0', 'codex-sandbox.base': 'node:22-bookworm-slim' }, undefined, {}],
    ['a --node 20 build', { 'codex-sandbox.node': '20.19.2', 'codex-sandbox.base': 'node:20-bookworm-slim' }, undefined, { node: 20 }],
    [
      'a --base-image build',
      { 'codex-sandbox.node': '18.20.4', 'codex-sandbox.base': 'local/node:bookworm' },
      'x',
      { baseImage: 'local/node:bookworm' },
    ],
    [
      'a toolchain',
      { 'codex-sandbox.node': '18.19.0', 'codex-sandbox.base': 'codex-sandbox-base:abc', 'codex-sandbox.variant': 'toolchain-12345678' },
      undefined,
      { baseImage: 'codex-sandbox-base:abc', variant: 'toolchain-12345678' },
    ],
    [
      'an image from before the base label: SANDBOX_BASE_IMAGE',
      { 'codex-sandbox.node': '18.20.4' },
      'local/node:bookworm',
      { baseImage: 'local/node:bookworm' },
    ],
    ['an image from before the base label, no fallback', { 'codex-sandbox.node': '20.1.0' }, undefined, { node: 20 }],
  ])('%s', (_name, labels, fallback, expected) => {
    expect(planUpdateBase(labels, fallback)).toEqual(expected);
  });
});

describe('planNpmViewInContainer (a host without npm)', () => {
  it('the registry and the proxy by name, the CA mounted, host network for a loopback registry', () => {
    const proxy = {
      source: '--proxy',
      url: 'http://u:p@h:3128',
      hostUrl: 'http://u:p@h:3128',
      redacted: 'x',
      host: 'h',
      port: 3128,
      viaHostGateway: false,
    };
    const plan = planNpmViewInContainer({
      image: 'img',
      pkg: '@openai/codex',
      registry: 'http://127.0.0.1:4873/',
      egress: { proxy },
      caFile: '/tmp/ca.pem',
    });
    expect(plan.args).toEqual(expect.arrayContaining(['--network', 'host', '-e', 'npm_config_registry', '-e', 'HTTPS_PROXY']));
    expect(plan.args.slice(-6)).toEqual(['npm', 'img', 'view', '@openai/codex', 'version', '--json']);
    expect(plan.args.join(' ')).not.toContain('u:p@');
    expect(plan.env).toMatchObject({ npm_config_registry: 'http://127.0.0.1:4873/', HTTPS_PROXY: 'http://u:p@h:3128' });
    expect(planNpmViewInContainer({ image: 'img', pkg: 'p' }).args).toEqual([
      'run',
      '--rm',
      '--entrypoint',
      'npm',
      'img',
      'view',
      'p',
      'version',
      '--json',
    ]);
  });
});

describe('updateCommand with a fake registry and a fake builder', () => {
  const ctx: HostContext = { cwd: '/', env: {}, uid: 1000, gid: 1000, stdinIsTTY: false, stdoutIsTTY: false, pid: 1, hostname: 'h' };
  const labels = {
    'codex-sandbox.entrypoint': '8',
    'codex-sandbox.agent.codex': '0.171.0',
    'codex-sandbox.agent.claude': '2.1.332',
    'codex-sandbox.node': '18.20.4',
    'codex-sandbox.base': 'local/node:bookworm',
  };
  let stdout: string[];
  let builds: BuildRequest[];

  const steps = (registry: Record<string, string>, exists = true): UpdateSteps => ({
    inspect: async () => ({ exists, labels: exists ? labels : {} }),
    latestVersion: async (pkg) => registry[pkg] ?? 'missing',
    build: async (request) => {
      builds.push(request);
      return 'codex-sandbox:codex-0.172.0_claude-2.1.332-node18';
    },
  });

  beforeEach(() => {
    stdout = [];
    builds = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => (stdout.push(String(chunk)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });

  afterEach(() => jest.restoreAllMocks());

  it('same versions: "up to date", exit 0, nothing built', async () => {
    const code = await updateCommand({ dryRun: false }, ctx, steps({ '@openai/codex': '0.171.0', '@anthropic-ai/claude-code': '2.1.332' }));
    expect({ code, out: stdout.join(''), builds }).toEqual({
      code: 0,
      out: 'codex 0.171.0 (up to date)\nclaude 2.1.332 (up to date)\nup to date\n',
      builds: [],
    });
  });

  it('a newer codex: the real rebuild path with both agents pinned, the same base; the new tag on stdout', async () => {
    const code = await updateCommand({ dryRun: false }, ctx, steps({ '@openai/codex': '0.172.0', '@anthropic-ai/claude-code': '2.1.332' }));
    expect(code).toBe(0);
    expect(builds).toEqual([
      { agents: ['codex', 'claude'], versions: { codex: '0.172.0', claude: '2.1.332' }, noCache: false, baseImage: 'local/node:bookworm' },
    ]);
    expect(stdout.join('')).toBe(
      'codex 0.171.0 → 0.172.0\nclaude 2.1.332 (up to date)\ncodex-sandbox:codex-0.172.0_claude-2.1.332-node18\n',
    );
  });

  it('--dry-run says what would be rebuilt and builds nothing', async () => {
    await updateCommand({ dryRun: true, agents: 'codex' }, ctx, steps({ '@openai/codex': '0.172.0' }));
    expect(builds).toEqual([]);
    expect(stdout.join('')).toBe(
      'codex 0.171.0 → 0.172.0\nwould rebuild codex-sandbox:latest with codex 0.172.0, claude 2.1.332 on local/node:bookworm\n',
    );
  });

  it('a missing image: one line saying to build first', async () => {
    await expect(updateCommand({ dryRun: false }, ctx, steps({}, false))).rejects.toThrow(
      'image codex-sandbox:latest not found: run `run-in-container build` first',
    );
  });

  it('a bad --agents is refused before the engine is asked', async () => {
    const inspect = jest.fn<UpdateSteps['inspect']>();
    await expect(updateCommand({ dryRun: false, agents: 'aider' }, ctx, { ...steps({}), inspect })).rejects.toThrow(UsageError);
    expect(inspect).not.toHaveBeenCalled();
  });
});
