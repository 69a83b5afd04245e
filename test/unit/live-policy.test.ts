import { UsageError } from '../../scripts/core/errors.js';
import {
  addToSettingsText,
  buildPolicyChangeArgs,
  buildPolicyShowArgs,
  parseAskTimeout,
  parseLiveDuration,
  parseLiveEntries,
  parsePendingNames,
  parseLiveHosts,
  toRequester,
} from '../../scripts/core/egress/live-policy.js';
import { chooseLiveTarget, describeLiveTarget } from '../../scripts/core/egress/live-target-choice.js';
import type { SessionRecord } from '../../scripts/core/session/session-list.js';
import { buildEgressPeekArgs, splitPeekOutput } from '../../scripts/core/session/session-docker-args.js';
import { parseSettingsText } from '../../scripts/core/settings.js';

/** The live policy (R167): what `allow`/`deny` accept, what they send, how `--save` edits the settings text. */

describe('R167 HOST… of allow and deny', () => {
  it('hosts, wildcards and presets (expanded), lowercased, without duplicates', () => {
    expect(parseLiveHosts(['PyPI.org', '*.Example.com', 'pypi.org'], 'allow')).toEqual(['pypi.org', '*.example.com']);
    expect(parseLiveHosts(['@pypi'], 'allow')).toEqual(['pypi.org', 'files.pythonhosted.org']);
    // :80 and :443 are the plain entry, as with --allow.
    expect(parseLiveHosts(['a.test:443'], 'deny')).toEqual(['a.test']);
  });

  it.each([
    [[], /give at least one HOST/],
    [['a.test:5432'], /a port needs a new run/],
    [['GET a.test'], /method and path rules need a new run/],
    [['a.test/v1/*'], /method and path rules need a new run/],
    [['under_score.test'], /"under_score\.test"/],
    [['10.0.0.1'], /address/i],
    [['*.com'], /a wildcard needs at least two labels/],
    [['@nosuch'], /preset/],
  ])('%j is refused with one line', (raws, message) => {
    expect(() => parseLiveHosts(raws as string[], 'allow')).toThrow(UsageError);
    expect(() => parseLiveHosts(raws as string[], 'allow')).toThrow(message as RegExp);
  });
});

describe('R167 --for', () => {
  it.each([
    ['30s', 30],
    ['10m', 600],
    ['2h', 7200],
    ['7d', 604800],
  ])('%s is %i seconds', (text, seconds) => expect(parseLiveDuration(text)).toBe(seconds));

  it.each(['0s', '8d', '10', '1w', '-5m', '10 m', ''])('%j is refused', (text) => {
    expect(() => parseLiveDuration(text)).toThrow(/--for .*: give a duration such as 30s, 10m, 2h or 1d \(at most 7d\)/);
  });
});

describe('R172 --ask-timeout and the held names', () => {
  it.each([
    ['30s', 30],
    ['45', 45],
    ['2m', 120],
    ['1s', 1],
  ])('%s is %i seconds', (text, seconds) => expect(parseAskTimeout(text)).toBe(seconds));

  it.each(['0', '121s', '3m', '1h', 'soon', ''])('%j is refused', (text) => {
    expect(() => parseAskTimeout(text)).toThrow(/--ask-timeout .*: give seconds such as 30s or 2m \(1s to 120s\)/);
  });

  it('`pending` is parsed strictly: name → when its hold ends', () => {
    expect(parsePendingNames('a.test 1800000000 30\nB.test 1 1\nbad name 1 1\nc.test 1800000000 8\n')).toEqual(
      new Map([
        ['a.test', 1800000030],
        ['c.test', 1800000008],
      ]),
    );
    expect(buildPolicyShowArgs('c1', 'pending')).toEqual(['exec', '-u', '0', '-w', '/', 'c1', '/usr/local/bin/sandbox-policy', 'pending']);
  });
});

describe('R168 what is sent to the sandbox: root, through the engine, never a shell string', () => {
  it('a change', () => {
    expect(
      buildPolicyChangeArgs({ container: 'c1', action: 'allow', by: 'alice', until: 1800000000.7, hosts: ['a.test', '*.b.test'] }),
    ).toEqual(['exec', '-u', '0', '-w', '/', 'c1', '/usr/local/bin/sandbox-policy', 'allow', 'alice', '1800000000', 'a.test', '*.b.test']);
    expect(buildPolicyChangeArgs({ container: 'c1', action: 'deny', by: '-', hosts: ['a.test'] })).toEqual([
      'exec',
      '-u',
      '0',
      '-w',
      '/',
      'c1',
      '/usr/local/bin/sandbox-policy',
      'deny',
      '-',
      '-',
      'a.test',
    ]);
    expect(buildPolicyShowArgs('c1')).toEqual(['exec', '-u', '0', '-w', '/', 'c1', '/usr/local/bin/sandbox-policy', 'show']);
    expect(buildEgressPeekArgs('c1', { gen: 3, offset: 120 })).toEqual([
      'exec',
      '-u',
      '0',
      '-w',
      '/',
      'c1',
      '/usr/local/bin/sandbox-egress',
      'peek',
      '3',
      '120',
    ]);
  });

  it('who asked: a plain user name, else "-"', () => {
    expect(toRequester('alice.b-c_1')).toBe('alice.b-c_1');
    expect(toRequester('a b')).toBe('-');
    expect(toRequester('x'.repeat(33))).toBe('-');
    expect(toRequester(undefined)).toBe('-');
  });

  it('`show` is parsed strictly', () => {
    expect(
      parseLiveEntries('allow a.test - alice\ndeny *.b.test 1800000000 bob\nallow A.test - x\nnonsense\nallow c.test - a b\n'),
    ).toEqual([
      { action: 'allow', pattern: 'a.test', by: 'alice' },
      { action: 'deny', pattern: '*.b.test', until: 1800000000, by: 'bob' },
    ]);
  });

  it('a peek: its lines and where to go on; no trailer is a broken answer', () => {
    expect(splitPeekOutput('line 1\nline 2\n\x01POS 2 345\n')).toEqual({ text: 'line 1\nline 2\n', next: { gen: 2, offset: 345 } });
    expect(splitPeekOutput('\x01POS 0 0\n')).toEqual({ text: '', next: { gen: 0, offset: 0 } });
    expect(splitPeekOutput('line 1\n')).toBeUndefined();
    expect(splitPeekOutput('line\n\x01POS 1 2\nmore\n')).toBeUndefined();
  });
});

describe('R167 --save: the settings text', () => {
  it('a new file, an existing key (appended, no duplicate), a [network] without the key, another section only', () => {
    expect(addToSettingsText(undefined, 'allow', ['a.test'])).toBe('[network]\nallow = a.test\n');
    expect(addToSettingsText('[network]\nallow = x.test, a.test\n', 'allow', ['a.test', 'b.test'])).toBe(
      '[network]\nallow = x.test, a.test, b.test\n',
    );
    expect(addToSettingsText('# mine\n[network]\ndeny = z.test\n[run]\nagent = claude\n', 'allow', ['a.test'])).toBe(
      '# mine\n[network]\nallow = a.test\ndeny = z.test\n[run]\nagent = claude\n',
    );
    expect(addToSettingsText('[run]\nagent = claude\n', 'deny', ['*.b.test'])).toBe(
      '[run]\nagent = claude\n\n[network]\ndeny = *.b.test\n',
    );
    // A key of the same name in another section is not the network's.
    expect(addToSettingsText('[mounts]\nread_only = data\n', 'allow', ['a.test'])).toBe(
      '[mounts]\nread_only = data\n\n[network]\nallow = a.test\n',
    );
  });

  it('what it writes parses as a settings file with exactly the added hosts', () => {
    const text = addToSettingsText('[network]\nallow = x.test\n', 'allow', ['a.test', '*.b.test']);
    expect(parseSettingsText(text, 'f').allow).toEqual(['x.test', 'a.test', '*.b.test']);
  });
});

const record = (over: Partial<SessionRecord>): SessionRecord => ({
  name: null,
  container: 'c',
  status: 'running',
  workdir: '/w',
  workdirs: ['/w'],
  image: 'i',
  created: '2026-12-06T10:00:00+00:00',
  runId: 'aaaaaaaa',
  mounts: '',
  agent: 'codex',
  ...over,
});

describe('R167 which running sandbox', () => {
  const session = record({ name: 'work', container: 'codex-session-work', runId: '11111111', created: '2026-12-06T10:00:00+00:00' });
  const plain = record({ container: 'codex-x-22222222', runId: '22222222', created: '2026-12-06T11:00:00+00:00' });
  const elsewhere = record({
    container: 'codex-y-33333333',
    runId: '33333333',
    workdir: '/o',
    workdirs: ['/o'],
    created: '2026-12-06T12:00:00+00:00',
  });
  const stopped = record({ name: 'old', container: 'codex-session-old', runId: '44444444', status: 'exited' });
  const all = [session, plain, elsewhere, stopped];

  it('by --name, --run (a prefix), --last (the newest here), or the only one here', () => {
    expect(chooseLiveTarget(all, { name: 'work' }, '/w', 'allow')).toBe(session);
    expect(chooseLiveTarget(all, { run: '2222' }, '/w', 'allow')).toBe(plain);
    expect(chooseLiveTarget(all, { last: true }, '/w', 'allow')).toBe(plain);
    expect(chooseLiveTarget(all, { last: true }, '/nowhere', 'allow')).toBe(elsewhere);
    expect(chooseLiveTarget(all, {}, '/o/sub', 'allow')).toBe(elsewhere);
    expect(describeLiveTarget(session)).toBe('session work');
    expect(describeLiveTarget(plain)).toBe('run 22222222');
  });

  it.each([
    [{ name: 'old' }, '/w', /^session old is exited: it has no live policy to change$/],
    [{ name: 'nosuch' }, '/w', /^no session named "nosuch"/],
    [{ run: '44' }, '/w', /^session old is exited/],
    [{ run: '5' }, '/w', /^no running sandbox with run id 5/],
    [{ run: 'xyz' }, '/w', /is not a run id/],
    [{ name: 'work', last: true }, '/w', /give one of --name SESSION, RUN or --last/],
    [{}, '/w', /several sandboxes run for \/w \(session work, run 22222222\)/],
    [
      {},
      '/nowhere',
      /no running sandbox for \/nowhere: give --name SESSION or a run id \(running: session work, run 22222222, run 33333333\)/,
    ],
  ])('%j from %s is refused with one line', (selector, cwd, message) => {
    expect(() => chooseLiveTarget(all, selector, cwd, 'allow')).toThrow(message);
  });

  it('nothing running', () => {
    expect(() => chooseLiveTarget([stopped], {}, '/w', 'allow')).toThrow(/^allow: no sandbox is running$/);
    expect(() => chooseLiveTarget([stopped], { last: true }, '/w', 'allow')).toThrow(/^allow: no sandbox is running$/);
  });
});
