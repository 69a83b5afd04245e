import { parseAllowSpec } from '../../scripts/core/egress/allow-spec.js';
import { buildEgressPolicy, coversName } from '../../scripts/core/egress/egress-policy.js';
import { listEgressEnv } from '../../scripts/core/egress/egress-run-args.js';
import { UsageError } from '../../scripts/core/errors.js';
import { checkRulesInspected, describeNoInspect, formatHttpRules } from '../../scripts/core/egress/http-rule.js';

/** Method and path rules and --read-only-web (R165): parsed from --allow, handed to the inspection. */
const rules = { rules: true };

describe('an --allow rule', () => {
  it('methods, a path prefix, or both; the host is allowed on 80/443', () => {
    expect(parseAllowSpec('GET,head api.github.com', '--allow', rules)).toEqual({
      domains: ['api.github.com'],
      ports: [],
      rules: [{ methods: ['GET', 'HEAD'], host: 'api.github.com' }],
    });
    expect(parseAllowSpec('GitHub.com/myorg/*', '--allow', rules)).toEqual({
      domains: ['github.com'],
      ports: [],
      rules: [{ host: 'github.com', prefix: '/myorg/' }],
    });
    expect(parseAllowSpec('POST *.api.test/v1/x', '--allow', rules).rules).toEqual([
      { methods: ['POST'], host: '*.api.test', prefix: '/v1/x' },
    ]);
  });

  it.each([
    ['FETCH api.test', /"FETCH" is not a method/],
    ['GET api.test:8443', /not a port or preset/],
    ['api.test/a b', /give METHODS HOST/],
    ['api.test/a*b', /'\*' but at the end/],
    ['api.test/a|b', /'\|'/],
    ['GET @github', /not a port or preset/],
    ['http://x.com', /is not a host name: give the name only/],
  ])('%j is refused with one line', (spec, why) => {
    expect(() => parseAllowSpec(spec, '--allow', rules)).toThrow(UsageError);
    expect(() => parseAllowSpec(spec, '--allow', rules)).toThrow(why);
  });

  it('only on the command line: settings and variables split on blanks', () => {
    expect(() => parseAllowSpec('github.com/myorg/*', 'sandbox.ini')).toThrow(/is not a host name/);
  });
});

describe('rules in the policy and the argv', () => {
  const policy = (allow: string[], extra: string[] = []) =>
    buildEgressPolicy([
      { source: '--allow', allow, rules: true },
      { source: 'settings', allow: extra },
    ]);

  it('SANDBOX_HTTP_RULES lists each rule; a plain allowance of the host lifts its rules', () => {
    const p = policy(['GET,HEAD api.test', 'web.test/docs/*', 'both.test/x'], ['both.test']);
    expect(p.rules).toEqual([
      { methods: ['GET', 'HEAD'], host: 'api.test' },
      { host: 'web.test', prefix: '/docs/' },
    ]);
    expect(listEgressEnv(p)).toContainEqual(['SANDBOX_HTTP_RULES', 'GET,HEAD|api.test|- -|web.test|/docs/']);
    expect(formatHttpRules([])).toBe('');
  });

  it('--read-only-web: the flag and the exempt hosts', () => {
    expect(listEgressEnv({ ...policy([]), readOnlyWeb: ['api.openai.com', 'auth.openai.com'] })).toEqual(
      expect.arrayContaining([
        ['SANDBOX_READ_ONLY_WEB', '1'],
        ['SANDBOX_AGENT_HOSTS', 'api.openai.com auth.openai.com'],
      ]),
    );
    expect(listEgressEnv(policy([])).map(([name]) => name)).not.toContain('SANDBOX_READ_ONLY_WEB');
  });

  it('a rule on a --no-inspect host is refused', () => {
    expect(() => checkRulesInspected([{ host: 'pinned.test', prefix: '/a' }], ['*.test'], coversName)).toThrow(
      "--allow 'pinned.test/a': method and path rules cannot apply to --no-inspect *.test",
    );
    expect(() => checkRulesInspected([{ host: 'ok.test', prefix: '/a' }], ['other.test'], coversName)).not.toThrow();
  });
});

describe('--no-inspect at the start (R160)', () => {
  it('one line saying what those hosts lose; none without them', () => {
    expect(describeNoInspect(['bank.test', '*.pinned.test'])).toEqual([
      'not inspecting bank.test *.pinned.test: spliced after the name check (no Host check, credential injection or rules there)',
    ]);
    expect(describeNoInspect([])).toEqual([]);
  });
});
