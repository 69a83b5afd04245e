import {
  decideDestination,
  decisionRecord,
  formatDecision,
  parseCheckTarget,
  type EgressDecision,
} from '../../scripts/core/egress/egress-decision.js';
import {
  agentDefaultLayer,
  buildEgressPolicy,
  egressProvenance,
  layerFromText,
  type EgressLayer,
} from '../../scripts/core/egress/egress-policy.js';
import { UsageError } from '../../scripts/core/errors.js';
import { toEgressLayer } from '../../scripts/core/settings-merge.js';

/**
 * `egress check` (R169): the verdict comes from the policy a run is given (buildEgressPolicy of
 * the run's layers, in prepareEgress's order), the source from the provenance of the same layers.
 */

const SETTINGS = '/w/.codex/sandbox.ini';

/** The layers as prepareEgress builds them, each source with something in it. */
function runLayers(parts: { allow?: string[]; deny?: string[]; hostPorts?: string[]; env?: string; file?: object; providers?: string[] }) {
  return [
    { source: '--allow', allow: parts.allow ?? [], rules: true },
    { source: '--deny', deny: parts.deny ?? [] },
    { source: '--allow-host-port', hostPorts: parts.hostPorts ?? [] },
    layerFromText('OPENAI_ALLOWED_DOMAINS', { allow: parts.env ?? '' }),
    ...(parts.file === undefined ? [] : [toEgressLayer(parts.file, SETTINGS)]),
    { source: 'config.toml model_providers', allow: parts.providers ?? [] },
  ] satisfies EgressLayer[];
}

function decide(
  layers: EgressLayer[],
  raw: string,
  defaults = agentDefaultLayer('codex', false),
): { line: string; decision: EgressDecision } {
  const policy = buildEgressPolicy(layers, undefined, defaults);
  const target = parseCheckTarget(raw);
  const decision = decideDestination(policy, egressProvenance(layers, defaults), target.host, target.port);
  return { line: formatDecision(target, decision), decision };
}

const check = (layers: EgressLayer[], raw: string, defaults = agentDefaultLayer('codex', false)) => decide(layers, raw, defaults).line;

describe('decideDestination: where an allowance comes from', () => {
  it.each<[string, EgressLayer[], string, EgressLayer | undefined, string]>([
    ["Codex's built-in hosts", runLayers({}), 'api.openai.com', undefined, 'api.openai.com:443 allowed — api.openai.com (defaults)'],
    [
      "Claude Code's built-in hosts",
      runLayers({}),
      'api.anthropic.com',
      agentDefaultLayer('claude', false),
      'api.anthropic.com:443 allowed — api.anthropic.com (defaults (Claude Code))',
    ],
    [
      'a preset: its name and the layer that named it',
      runLayers({ allow: ['@pypi'] }),
      'files.pythonhosted.org',
      undefined,
      'files.pythonhosted.org:443 allowed — files.pythonhosted.org from preset @pypi (--allow)',
    ],
    ['--allow', runLayers({ allow: ['flag.test'] }), 'flag.test:80', undefined, 'flag.test:80 allowed — flag.test (--allow)'],
    [
      'a settings file',
      runLayers({ file: { allow: ['settings.test'] } }),
      'settings.test',
      undefined,
      `settings.test:443 allowed — settings.test (${SETTINGS})`,
    ],
    [
      'a model provider of config.toml',
      runLayers({ providers: ['provider.test'] }),
      'provider.test',
      undefined,
      'provider.test:443 allowed — provider.test (config.toml model_providers)',
    ],
    [
      'OPENAI_ALLOWED_DOMAINS',
      runLayers({ env: 'a.test, env.test' }),
      'ENV.test.',
      undefined,
      'env.test:443 allowed — env.test (OPENAI_ALLOWED_DOMAINS)',
    ],
    [
      'a wildcard (the most specific one)',
      runLayers({ allow: ['*.example.com'], env: '*.a.example.com' }),
      'x.a.example.com',
      undefined,
      'x.a.example.com:443 allowed — *.a.example.com (OPENAI_ALLOWED_DOMAINS)',
    ],
    ['a port entry', runLayers({ allow: ['db.test:5432'] }), 'db.test:5432', undefined, 'db.test:5432 allowed — db.test:5432 (--allow)'],
    [
      'a port of the Docker host',
      runLayers({ hostPorts: ['3000'] }),
      'host.docker.internal:3000',
      undefined,
      'host.docker.internal:3000 allowed — host.docker.internal:3000 (--allow-host-port)',
    ],
    [
      'the layer of highest precedence, when several name it',
      runLayers({ allow: ['settings.test'], file: { allow: ['settings.test'] } }),
      'settings.test',
      undefined,
      'settings.test:443 allowed — settings.test (--allow)',
    ],
  ])('%s', (_what, layers, raw, defaults, expected) => {
    expect(check(layers, raw, defaults)).toBe(expected);
  });
});

describe('decideDestination: refusals', () => {
  it.each<[string, EgressLayer[], string, string]>([
    ['nothing allows it', runLayers({}), 'evil.example', 'evil.example:443 refused — no rule allows it (allow with: --allow evil.example)'],
    [
      'a deny wins over an allow (a settings file denies what --allow allows)',
      runLayers({ allow: ['denied.test'], file: { deny: ['denied.test'] } }),
      'denied.test',
      `denied.test:443 refused — denied by denied.test (${SETTINGS})`,
    ],
    [
      'a name denied inside an allowed wildcard (a preset denied by name)',
      runLayers({ allow: ['@github', '*.github.com'], deny: ['gist.github.com'] }),
      'gist.github.com',
      'gist.github.com:443 refused — denied by gist.github.com (--deny)',
    ],
    [
      'a wildcard deny takes out a name a preset allows',
      runLayers({ allow: ['@github'], deny: ['*.github.com'] }),
      'api.github.com',
      'api.github.com:443 refused — denied by *.github.com (--deny)',
    ],
    [
      'a port entry is denied',
      runLayers({ allow: ['db.test:5432'], deny: ['db.test:5432'] }),
      'db.test:5432',
      'db.test:5432 refused — denied by db.test:5432 (--deny)',
    ],
    [
      'a name allowed for HTTP(S) only',
      runLayers({ allow: ['pypi.org'] }),
      'pypi.org:5432',
      'pypi.org:5432 refused — the name is allowed, port 5432 is not (allow with: --allow pypi.org:5432)',
    ],
    [
      'a name allowed on another port only',
      runLayers({ allow: ['git.test:22'] }),
      'git.test',
      'git.test:443 refused — the name is allowed, port 443 is not (allow with: --allow git.test)',
    ],
    [
      'a port not allowed anywhere',
      runLayers({}),
      'db.test:5432',
      'db.test:5432 refused — no rule allows it (allow with: --allow db.test:5432)',
    ],
    [
      'a port of the Docker host not given',
      runLayers({ hostPorts: ['3000'] }),
      'host.docker.internal:8080',
      'host.docker.internal:8080 refused — no rule allows it (allow with: --allow-host-port 8080)',
    ],
    [
      "Claude Code's run does not reach Codex's hosts",
      runLayers({}),
      'api.openai.com',
      'api.openai.com:443 refused — no rule allows it (allow with: --allow api.openai.com)',
    ],
  ])('%s', (what, layers, raw, expected) => {
    const defaults = what.startsWith('Claude') ? agentDefaultLayer('claude', false) : agentDefaultLayer('codex', false);
    expect(check(layers, raw, defaults)).toBe(expected);
  });

  it('a built-in host denied explicitly is refused', () => {
    expect(check(runLayers({ deny: ['chatgpt.com'] }), 'chatgpt.com')).toBe('chatgpt.com:443 refused — denied by chatgpt.com (--deny)');
  });
});

describe('decisionRecord: --json', () => {
  it('allowed, denied, not allowed: the fields of each, schema v1', () => {
    const record = (layers: EgressLayer[], raw: string) => decisionRecord(parseCheckTarget(raw), decide(layers, raw).decision);
    expect(record(runLayers({ allow: ['@pypi'] }), 'pypi.org')).toEqual({
      v: 1,
      host: 'pypi.org',
      port: 443,
      allowed: true,
      pattern: 'pypi.org',
      source: '--allow',
      preset: '@pypi',
    });
    expect(record(runLayers({ allow: ['x.test'], deny: ['x.test'] }), 'x.test:80')).toEqual({
      v: 1,
      host: 'x.test',
      port: 80,
      allowed: false,
      pattern: 'x.test',
      source: '--deny',
      reason: 'denied',
    });
    expect(record(runLayers({}), 'pypi.org:5432')).toEqual({
      v: 1,
      host: 'pypi.org',
      port: 5432,
      allowed: false,
      reason: 'not allowed',
      suggestion: '--allow pypi.org:5432',
    });
  });
});

describe('parseCheckTarget: HOST[:PORT]', () => {
  it('lowercases, drops a final dot, 443 unless a port is given', () => {
    expect(parseCheckTarget('PyPI.org.')).toEqual({ host: 'pypi.org', port: 443 });
    expect(parseCheckTarget('db.test:5432')).toEqual({ host: 'db.test', port: 5432 });
  });

  it.each([
    ['', 'egress check needs a host: give a host name, optionally with :PORT, e.g. pypi.org or db.example.com:5432'],
    ['*.pypi.org', 'egress check "*.pypi.org": a wildcard is a pattern, not a destination: check one name, e.g. a.example.com'],
    ['@pypi', 'egress check "@pypi": a preset is not a destination: check one of its hosts (listed in --help)'],
    [
      'https://pypi.org/simple',
      'egress check "https://pypi.org/simple": give the host name only, without scheme or path: ' +
        'give a host name, optionally with :PORT, e.g. pypi.org or db.example.com:5432',
    ],
    ['10.0.0.1', 'egress check "10.0.0.1": IP addresses are never allowed, only host names: check the name the agent connects to'],
    ['[::1]:443', 'egress check "[::1]:443": IP addresses are never allowed, only host names: check the name the agent connects to'],
    ['pypi.org:0', 'egress check "pypi.org:0": port "0" is not a TCP port: use a number from 1 to 65535'],
    ['pypi.org:65536', 'egress check "pypi.org:65536": port "65536" is not a TCP port: use a number from 1 to 65535'],
    ['pypi.org:', 'egress check "pypi.org:": port "" is not a TCP port: use a number from 1 to 65535'],
    [
      'bad_name.test',
      'egress check "bad_name.test" is not a valid host name ' +
        "(label 'bad_name' is not 1-63 letters, digits or '-' (not at either end)): " +
        'give a host name, optionally with :PORT, e.g. pypi.org or db.example.com:5432',
    ],
  ])('%j: a UsageError saying what to do', (raw, message) => {
    expect(() => parseCheckTarget(raw)).toThrow(UsageError);
    expect(() => parseCheckTarget(raw)).toThrow(message);
  });
});
