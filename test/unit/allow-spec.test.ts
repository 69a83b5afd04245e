import { parseAllowSpec, parsePort } from '../../scripts/core/egress/allow-spec.js';
import { splitList } from '../../scripts/core/split-list.js';
import { UsageError } from '../../scripts/core/errors.js';
import { ALLOW_PRESETS, describePresets, expandPreset, listPresetNames } from '../../scripts/core/egress/presets.js';

describe('parseAllowSpec: accepted SPECs', () => {
  it.each<[string, { domains: string[]; ports: Array<{ host: string; port: number }> }]>([
    ['github.com', { domains: ['github.com'], ports: [] }],
    ['GitHub.COM.', { domains: ['github.com'], ports: [] }],
    ['*.lab.test', { domains: ['*.lab.test'], ports: [] }],
    ['github.com:22', { domains: [], ports: [{ host: 'github.com', port: 22 }] }],
    ['*.lab.test:2222', { domains: [], ports: [{ host: '*.lab.test', port: 2222 }] }],
    ['db.test:65535', { domains: [], ports: [{ host: 'db.test', port: 65535 }] }],
    ['db.test:1', { domains: [], ports: [{ host: 'db.test', port: 1 }] }],
    ['example.com:80', { domains: ['example.com'], ports: [] }],
    ['example.com:443', { domains: ['example.com'], ports: [] }],
    ['@npm', { domains: ['registry.npmjs.org', 'registry.yarnpkg.com'], ports: [] }],
    ['@PyPI', { domains: ['pypi.org', 'files.pythonhosted.org'], ports: [] }],
    ['  t.co ', { domains: ['t.co'], ports: [] }],
  ])('%j', (spec, expected) => {
    expect(parseAllowSpec(spec, '--allow')).toEqual(expected);
  });
});

describe('parseAllowSpec: refused SPECs name the entry, the source and the fix', () => {
  it.each<[string, string]>([
    [
      '10.0.0.5',
      '--allow: "10.0.0.5" is not a valid host name (IP addresses are not allowed, only host names)' +
        '; for a service on the Docker host use --allow-host-port PORT',
    ],
    [
      '10.0.0.5:5432',
      '--allow: "10.0.0.5:5432" is not a valid host name (IP addresses are not allowed, only host names)' +
        '; for a service on the Docker host use --allow-host-port PORT',
    ],
    [
      '::1',
      '--allow: "::1" is not a valid host name (IP addresses are not allowed, only host names)' +
        '; for a service on the Docker host use --allow-host-port PORT',
    ],
    [
      '[::1]:22',
      '--allow: "[::1]:22" is not a valid host name (IP addresses are not allowed, only host names)' +
        '; for a service on the Docker host use --allow-host-port PORT',
    ],
    ['host:0', '--allow: port in "host:0": "0" is not a TCP port: use a number from 1 to 65535'],
    ['host:65536', '--allow: port in "host:65536": "65536" is not a TCP port: use a number from 1 to 65535'],
    ['host:22.5', '--allow: port in "host:22.5": "22.5" is not a TCP port: use a number from 1 to 65535'],
    ['host:', '--allow: port in "host:": "" is not a TCP port: use a number from 1 to 65535'],
    ['host:-1', '--allow: port in "host:-1": "-1" is not a TCP port: use a number from 1 to 65535'],
    ['http://x.com', '--allow: "http://x.com" is not a host name: give the name only, e.g. example.com or example.com:22'],
    [
      '*.com',
      '--allow: "*.com" is not a valid host name (a wildcard needs at least two labels after *.);' +
        ' use e.g. example.com, *.example.com, example.com:22 or @npm',
    ],
    [
      'a..b',
      '--allow: "a..b" is not a valid host name (it has an empty label); use e.g. example.com, *.example.com, example.com:22 or @npm',
    ],
    ['@nope', '--allow: unknown preset "@nope": use one of @npm @pypi @github @maven @debian @rust @go'],
    ['@constructor', '--allow: unknown preset "@constructor": use one of @npm @pypi @github @maven @debian @rust @go'],
    ['@npm:22', '--allow: unknown preset "@npm:22": use one of @npm @pypi @github @maven @debian @rust @go'],
  ])('%j', (spec, message) => {
    expect(() => parseAllowSpec(spec, '--allow')).toThrow(UsageError);
    expect(() => parseAllowSpec(spec, '--allow')).toThrow(message);
  });
});

describe('ports and lists', () => {
  it.each<[string, number | string]>([
    ['1', 1],
    ['3000', 3000],
    ['65535', 65535],
    ['0', 'is not a TCP port'],
    ['65536', 'is not a TCP port'],
    ['3e3', 'is not a TCP port'],
    ['', 'is not a TCP port'],
    ['123456', 'is not a TCP port'],
  ])('parsePort(%j)', (text, expected) => {
    if (typeof expected === 'number') expect(parsePort(text, '--allow-host-port')).toBe(expected);
    else expect(() => parsePort(text, '--allow-host-port')).toThrow(`--allow-host-port ${JSON.stringify(text)} ${expected}`);
  });

  it('splits SPEC lists on spaces and commas', () => {
    expect(splitList(' a.io,b.io:22\t@npm\n,, ')).toEqual(['a.io', 'b.io:22', '@npm']);
    expect(splitList(undefined)).toEqual([]);
  });
});

describe('presets', () => {
  it('is exactly this table (every host is reachable by the agent: change it on purpose only)', () => {
    expect(ALLOW_PRESETS).toEqual({
      npm: ['registry.npmjs.org', 'registry.yarnpkg.com'],
      pypi: ['pypi.org', 'files.pythonhosted.org'],
      github: [
        'github.com',
        'api.github.com',
        'codeload.github.com',
        'gist.github.com',
        'raw.githubusercontent.com',
        'objects.githubusercontent.com',
        'release-assets.githubusercontent.com',
      ],
      maven: ['repo.maven.apache.org', 'repo1.maven.org'],
      debian: ['deb.debian.org', 'security.debian.org'],
      rust: ['crates.io', 'index.crates.io', 'static.crates.io', 'static.rust-lang.org'],
      go: ['proxy.golang.org', 'sum.golang.org'],
    });
    expect(listPresetNames()).toEqual(['@npm', '@pypi', '@github', '@maven', '@debian', '@rust', '@go']);
  });

  it('every preset host is a valid exact host name', () => {
    for (const name of listPresetNames()) {
      for (const host of expandPreset(name, 'test')) expect(parseAllowSpec(host, 'test')).toEqual({ domains: [host], ports: [] });
    }
  });

  it('--help text lists every preset with its hosts', () => {
    const lines = describePresets().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toBe('  @npm     registry.npmjs.org registry.yarnpkg.com');
    expect(lines[6]).toBe('  @go      proxy.golang.org sum.golang.org');
  });
});
