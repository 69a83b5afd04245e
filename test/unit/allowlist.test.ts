import { DEFAULT_ALLOWED_DOMAINS, explainInvalidDomain } from '../../scripts/core/egress/allowlist.js';
import { buildEgressPolicy, layerFromText } from '../../scripts/core/egress/egress-policy.js';
import { UsageError } from '../../scripts/core/errors.js';
import { splitList } from '../../scripts/core/split-list.js';

/** The allowlist a run gets from OPENAI_ALLOWED_DOMAINS (the defaults first, deduplicated). */
const buildAllowlist = (text: string) => buildEgressPolicy([layerFromText('OPENAI_ALLOWED_DOMAINS', { allow: text })]).domains;

const DEFAULTS = [
  'api.openai.com',
  'chatgpt.com',
  'chat.openai.com',
  'auth.openai.com',
  'auth0.openai.com',
  'platform.openai.com',
  'openai.com',
];
const LABEL_63 = 'a'.repeat(63);
const LABEL_64 = 'a'.repeat(64);
// 4 labels of 63 + 3 dots = 255 characters; 63*3 + 61 + 3 dots = 253.
const NAME_255 = [LABEL_63, LABEL_63, LABEL_63, LABEL_63].join('.');
const NAME_253 = [LABEL_63, LABEL_63, LABEL_63, 'b'.repeat(61)].join('.');

describe('allowlist: valid entries', () => {
  it.each<[string, string]>([
    ['t.co', 't.co'],
    ['api.openai.com', 'api.openai.com'],
    ['*.example.com', '*.example.com'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['Example.COM', 'example.com'],
    ['*.Sub.Example.Org', '*.sub.example.org'],
    ['example.com.', 'example.com'],
    [`${LABEL_63}.com`, `${LABEL_63}.com`],
    [NAME_253, NAME_253],
    ['a-b.c-d.io', 'a-b.c-d.io'],
    ['1password.com', '1password.com'],
  ])('%j is accepted as %j', (input, expected) => {
    // api.openai.com is already a default: dedup keeps a single copy.
    const extra = DEFAULTS.includes(expected) ? [] : [expected];
    expect(buildAllowlist(input)).toEqual([...DEFAULTS, ...extra]);
  });
});

describe('allowlist: invalid entries', () => {
  it.each<[string, RegExp]>([
    ['a..com', /empty label/],
    ['evil.com;rm', /label 'com;rm'/],
    ['$(x)', /label '\$\(x\)'/],
    ['1.2.3.4', /IP addresses/],
    ['10.0.0.1', /IP addresses/],
    ['::1', /label '::1'/],
    ['-a.com', /label '-a'/],
    ['a-.com', /label 'a-'/],
    ['*.com', /wildcard needs at least two labels/],
    ['*', /label '\*'/],
    ['*.*.example.com', /label '\*'/],
    [`${LABEL_64}.com`, new RegExp(`label '${LABEL_64}'`)],
    [NAME_255, /longer than 253/],
    ['a_b.com', /label 'a_b'/],
    ['http://x.com', /label 'http:\/\/x'/],
    ['x.com/path', /label 'com\/path'/],
    ['.example.com', /empty label/],
    ['example.com..', /empty label/],
  ])('%j is refused (%s) and the message names it', (input, why) => {
    // The reason is explainInvalidDomain's (a spec that is no bare name is refused before it is asked).
    expect(explainInvalidDomain(input.toLowerCase().replace(/\.$/, ''))).toMatch(why);
    const call = () => buildAllowlist(input);
    expect(call).toThrow(UsageError);
    expect(call).toThrow(`OPENAI_ALLOWED_DOMAINS: ${JSON.stringify(input)} is not a`);
    expect(() => buildAllowlist(`good.example ${input}`)).toThrow(JSON.stringify(input));
  });

  it('explainInvalidDomain is undefined exactly for valid names', () => {
    expect(explainInvalidDomain('t.co')).toBeUndefined();
    expect(explainInvalidDomain('')).toBe('it is empty');
    expect(explainInvalidDomain('a..b')).toBe('it has an empty label');
  });

  it('a shell injection is split into entries and the bad one is named', () => {
    // "evil.com;rm -rf /" splits on spaces into evil.com;rm, -rf and /: the first is refused.
    expect(() => buildAllowlist('evil.com;rm -rf /')).toThrow('"evil.com;rm" is not a valid host name');
  });

  it('"exa mple.com" is two entries: exa and mple.com (space is a separator)', () => {
    expect(splitList('exa mple.com')).toEqual(['exa', 'mple.com']);
    expect(buildAllowlist('exa mple.com')).toEqual([...DEFAULTS, 'exa', 'mple.com']);
  });
});

describe('allowlist: list handling', () => {
  it('always holds the defaults, in order, when nothing extra is given', () => {
    expect(DEFAULT_ALLOWED_DOMAINS).toEqual(DEFAULTS);
    expect(buildAllowlist('')).toEqual(DEFAULTS);
    expect(buildAllowlist(' ,, \n\t')).toEqual(DEFAULTS);
  });

  it.each<[string, string[]]>([
    ['a.com,b.com', ['a.com', 'b.com']],
    ['a.com b.com', ['a.com', 'b.com']],
    ['a.com, b.com\tc.com\nd.com', ['a.com', 'b.com', 'c.com', 'd.com']],
    [' ,a.com,,b.com, ', ['a.com', 'b.com']],
  ])('splits %j on commas and whitespace', (text, expected) => {
    expect(splitList(text)).toEqual(expected);
    expect(buildAllowlist(text)).toEqual([...DEFAULTS, ...expected]);
  });

  it('deduplicates after normalising, keeping the defaults first', () => {
    expect(buildAllowlist('API.OpenAI.com chatgpt.com. x.io X.IO x.io.')).toEqual([...DEFAULTS, 'x.io']);
  });
});
