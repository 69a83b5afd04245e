import { decodeSettingsBytes, hasSettings, parseSettingsText } from '../../scripts/core/settings.js';
import { mergeSettings, toEgressLayer } from '../../scripts/core/settings-merge.js';
import { UsageError } from '../../scripts/core/errors.js';

const F = '/w/.codex/sandbox.ini';

describe('parseSettingsText', () => {
  it.each([
    ['empty file', '', {}],
    ['comments only', '; hi\n# there\n\n', {}],
    [
      'network lists, space and comma separated',
      '[network]\nallow = pypi.org, @npm  github.com:22\ndeny=gist.github.com\n',
      { allow: ['pypi.org', '@npm', 'github.com:22'], deny: ['gist.github.com'] },
    ],
    ['host ports deduplicated', '[network]\nallow_host_ports = 3000, 8080 3000\n', { allowHostPorts: [3000, 8080] }],
    ['empty list is an explicit empty list', '[network]\nallow =\n', { allow: [] }],
    [
      'mounts and run',
      '[mounts]\nread_only = ~/.m2 data\n[run]\nimage = codex-sandbox:0.1.0-node22\ninit_script = tools/init.sh\n',
      { readOnly: ['~/.m2', 'data'], image: 'codex-sandbox:0.1.0-node22', initScript: 'tools/init.sh' },
    ],
    ['quoted value', '[run]\nimage = "my/img:1"\n', { image: 'my/img:1' }],
    ['inline comment', '[run]\nimage = my/img:1 ; note\n', { image: 'my/img:1' }],
    ['CRLF line ends', '[network]\r\nallow = a.test\r\n', { allow: ['a.test'] }],
    ['true is not turned into a boolean', '[mounts]\nread_only = true\n', { readOnly: ['true'] }],
    [
      'R191 [build] base_image',
      '[build]\nbase_image = mcr.microsoft.com/devcontainers/python:3.12-bookworm\n',
      {
        baseImage: 'mcr.microsoft.com/devcontainers/python:3.12-bookworm',
      },
    ],
  ])('%s', (_name, text, expected) => {
    expect(parseSettingsText(text, F)).toEqual(expected);
  });

  it.each([
    ['unknown section', '[netwrk]\nallow = a.test\n', `${F}:1: unknown section [netwrk]: use [network], [mounts], [run] or [build]`],
    ['unknown key', '[network]\nallowed = a.test\n', `${F}:2: unknown key allowed in [network]: use allow, deny, allow_host_ports`],
    ['key of another section', '[run]\nallow = a.test\n', `${F}:2: unknown key allow in [run]: use image, init_script`],
    ['key outside a section', 'allow = a.test\n', `${F}:1: allow is outside a section: put it under [network], [mounts], [run] or [build]`],
    ['unclosed section header', '[network\nallow = a.test\n', `${F}:1: "[network" is neither "[section]" nor "key = value": fix the line`],
    ['line without =', '[network]\nallow a.test\n', `${F}:2: "allow a.test" is neither "[section]" nor "key = value": fix the line`],
    ['array syntax', '[network]\nallow[] = a.test\n', `${F}:2: "allow[] = a.test" is neither`],
    ['key given twice', '[network]\nallow = a.test\n\nallow = b.test\n', `${F}:4: allow is set twice in [network] (also line 2): keep one`],
    [
      'bad port',
      '[network]\nallow_host_ports = 3000 70000\n',
      `${F}:2: [network] allow_host_ports: "70000" is not a TCP port: use a number from 1 to 65535`,
    ],
    ['port with letters', '[network]\n\nallow_host_ports = 80a\n', `${F}:3: [network] allow_host_ports: "80a" is not a TCP port`],
    [
      'IP in allow',
      '[network]\nallow = 10.0.0.5\n',
      `${F}:2: [network] allow: "10.0.0.5" is not a valid host name (IP addresses are not allowed`,
    ],
    ['bad host in deny', '[network]\ndeny = a..b\n', `${F}:2: [network] deny: "a..b" is not a valid host name`],
    ['unknown preset', '[network]\nallow = @nope\n', `${F}:2: [network] allow: unknown preset "@nope"`],
    ['empty image', '[run]\nimage =\n', `${F}:2: [run] image is empty`],
    [
      'R191 a base_image that is not an image',
      '[build]\nbase_image = $(id)\n',
      `${F}:2: [build] base_image "$(id)" is not an image reference`,
    ],
    ['R191 base_image under [run]', '[run]\nbase_image = x\n', `${F}:2: unknown key base_image in [run]`],
  ])('%s → UsageError naming file:line', (_name, text, message) => {
    expect(() => parseSettingsText(text, F)).toThrow(UsageError);
    expect(() => parseSettingsText(text, F)).toThrow(message);
  });
});

describe('decodeSettingsBytes', () => {
  it('accepts UTF-8 text and drops a BOM', () => {
    expect(decodeSettingsBytes(Buffer.from('\uFEFF[run]\nimage = x\n'), F)).toBe('[run]\nimage = x\n');
  });
  it.each([
    ['NUL bytes', Buffer.from([0x5b, 0x00, 0x01, 0x02])],
    ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0xfd, 0x41])],
    ['control characters', Buffer.from('[run]\nimage = \u001b[31mx\n')],
  ])('refuses %s', (_name, bytes) => {
    expect(() => decodeSettingsBytes(bytes, F)).toThrow(`${F} is not a text file (binary data): fix or delete it`);
  });
  it('refuses more than 64 KiB', () => {
    expect(() => decodeSettingsBytes(Buffer.alloc(64 * 1024 + 1, 0x20), F)).toThrow('larger than 64 KiB');
  });
});

describe('mergeSettings: flags > environment > project file > user file > defaults', () => {
  const user = { image: 'user/img', initScript: '/u/init.sh', allow: ['u.test'], readOnly: ['/u'], allowHostPorts: [1] };
  const project = { image: 'proj/img', allow: ['p.test', 'u.test'], deny: ['d.test'], readOnly: ['/p'] };
  it.each([
    [
      'defaults only',
      {},
      {},
      undefined,
      undefined,
      { image: undefined, initScript: undefined, allow: [], readOnly: [] },
      { image: ['default'], allow: ['default'] },
    ],
    [
      'user file',
      {},
      {},
      undefined,
      user,
      { image: 'user/img', initScript: '/u/init.sh', allow: ['u.test'], readOnly: ['/u'] },
      { image: ['user file'], allow: ['user file'] },
    ],
    [
      'project over user for single values; lists add up, user first',
      {},
      {},
      project,
      user,
      { image: 'proj/img', initScript: '/u/init.sh', allow: ['u.test', 'p.test'], readOnly: ['/u', '/p'] },
      { image: ['project file'], allow: ['project file', 'user file'] },
    ],
    [
      'environment over project',
      {},
      { image: 'env/img' },
      project,
      user,
      { image: 'env/img', initScript: '/u/init.sh', allow: ['u.test', 'p.test'], readOnly: ['/u', '/p'] },
      { image: ['environment'], allow: ['project file', 'user file'] },
    ],
    [
      'flag over everything',
      { image: 'flag/img', initScript: '/f.sh', readOnly: ['/f'] },
      { image: 'env/img' },
      project,
      user,
      { image: 'flag/img', initScript: '/f.sh', allow: ['u.test', 'p.test'], readOnly: ['/u', '/p', '/f'] },
      { image: ['flag'], allow: ['project file', 'user file'] },
    ],
  ])('%s', (_name, flags, environment, projectLayer, userLayer, expected, sources) => {
    const merged = mergeSettings({ flags, environment, project: projectLayer, user: userLayer });
    expect({
      image: merged.values.image,
      initScript: merged.values.initScript,
      allow: merged.values.allow,
      readOnly: merged.values.readOnly,
    }).toEqual(expected);
    expect({ image: merged.sources.image, allow: merged.sources.allow }).toEqual(sources);
  });

  it('R191 base_image is a single value: the project file over the user file', () => {
    const merged = mergeSettings({ flags: {}, environment: {}, project: { baseImage: 'proj/base' }, user: { baseImage: 'user/base' } });
    expect({ value: merged.values.baseImage, source: merged.sources.baseImage }).toEqual({ value: 'proj/base', source: ['project file'] });
    expect(mergeSettings({ flags: {}, environment: {}, user: { baseImage: 'user/base' } }).values.baseImage).toBe('user/base');
  });

  it('toEgressLayer names the file and turns ports into strings', () => {
    expect(toEgressLayer({ allow: ['a.test'], allowHostPorts: [3000] }, F)).toEqual({
      source: F,
      allow: ['a.test'],
      deny: undefined,
      hostPorts: ['3000'],
    });
  });

  it('hasSettings: only keys that are set count', () => {
    expect(hasSettings({})).toBe(false);
    expect(hasSettings({ allow: [] })).toBe(true);
  });
});
