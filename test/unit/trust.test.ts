import {
  describeSettingsPolicy,
  diffPolicy,
  EMPTY_TRUST_STORE,
  parseTrustStore,
  recordTrust,
  revokeTrust,
  trustStateOf,
} from '../../scripts/core/trust.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('trust', () => {
  it('describes the policy a file sets, one line per key', () => {
    expect(
      describeSettingsPolicy({
        allow: ['pypi.org', '@npm'],
        deny: [],
        allowHostPorts: [3000],
        readOnly: ['/data'],
        image: 'x:1',
        initScript: '/w/i.sh',
      }),
    ).toEqual([
      'network allow: pypi.org @npm',
      'network deny: (none)',
      'network allow_host_ports: 3000',
      'mounts read_only: /data',
      'run image: x:1',
      'run init_script: /w/i.sh',
    ]);
  });

  it.each([
    ['first use: everything added', undefined, ['network allow: a'], ['+ network allow: a']],
    [
      'change: removed, kept, added',
      ['network allow: a', 'run image: x'],
      ['network allow: a b', 'run image: x'],
      ['- network allow: a', '+ network allow: a b', '  run image: x'],
    ],
    ['unchanged', ['network allow: a'], ['network allow: a'], ['  network allow: a']],
  ])('diffPolicy: %s', (_name, previous, next, expected) => {
    expect(diffPolicy(previous, next)).toEqual(expected);
  });

  it('states: untrusted, trusted by hash, changed; revoke forgets', () => {
    const store = recordTrust(EMPTY_TRUST_STORE, '/w/.codex/sandbox.ini', { sha256: A, approvedAt: 't', policy: [] });
    expect(trustStateOf(EMPTY_TRUST_STORE, '/w/.codex/sandbox.ini', A)).toBe('untrusted');
    expect(trustStateOf(store, '/w/.codex/sandbox.ini', A)).toBe('trusted');
    expect(trustStateOf(store, '/w/.codex/sandbox.ini', B)).toBe('changed');
    expect(trustStateOf(store, '/other/.codex/sandbox.ini', A)).toBe('untrusted');
    expect(trustStateOf(revokeTrust(store, '/w/.codex/sandbox.ini'), '/w/.codex/sandbox.ini', A)).toBe('untrusted');
    expect(EMPTY_TRUST_STORE.files).toEqual({});
  });

  it('parses a store it wrote, refuses a damaged one', () => {
    const store = recordTrust(EMPTY_TRUST_STORE, '/w/f', { sha256: A, approvedAt: 't', policy: ['x'] });
    expect(parseTrustStore(JSON.stringify(store), '/h/trust.json')).toEqual(store);
    for (const text of [
      '{',
      '[]',
      '{"version":2,"files":{}}',
      `{"version":1,"files":{"/w/f":{"sha256":"short","approvedAt":"t","policy":[]}}}`,
    ]) {
      expect(() => parseTrustStore(text, '/h/trust.json')).toThrow(
        '/h/trust.json is damaged: delete it and approve your settings files again',
      );
    }
  });
});
