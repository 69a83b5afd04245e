import type { Mount } from '../../scripts/core/run/mount-spec.js';
import {
  compareMountSets,
  describeMountDiff,
  parseMountSet,
  serializeMountSet,
  sessionWritableTrees,
} from '../../scripts/core/session/session-mounts.js';

const work: Mount = { source: '/w/p', target: '/app/w/p', readonly: false };
const home: Mount = { source: '/w/p/.codex/.environment', target: '/codex_home', readonly: false };
const lib: Mount = { source: '/w/lib', target: '/app/w/lib', readonly: false };
const libRo: Mount = { ...lib, readonly: true };
const egress: Mount = { source: '/s/egress/r1', target: '/var/lib/codex-sandbox/private/egress', readonly: false };

describe('mount sets', () => {
  it('serializes sorted, ignoring per-run state, so order does not matter', () => {
    expect(serializeMountSet([lib, work, home, egress])).toBe(serializeMountSet([home, work, lib]));
    expect(serializeMountSet([work])).toBe('[["/w/p","/app/w/p","rw"]]');
  });

  it.each([
    ['same set', [work, home], [home, work], true],
    ['one more dir asked', [work, home], [work, home, lib], false],
    ['one dir fewer', [work, home, lib], [work, home], false],
    ['read-only vs writable', [work, lib], [work, libRo], false],
    ['different egress dir only', [work, egress], [work, { ...egress, source: '/s/egress/r2' }], true],
  ])('%s', (_name, session, asked, same) => {
    expect(compareMountSets(serializeMountSet(session), asked).same).toBe(same);
  });

  it('names what is missing and what is extra', () => {
    const diff = compareMountSets(serializeMountSet([work, lib]), [work, libRo]);
    expect(diff.missing).toEqual([['/w/lib', '/app/w/lib', 'ro']]);
    expect(diff.extra).toEqual([['/w/lib', '/app/w/lib', 'rw']]);
    expect(describeMountDiff(diff)).toBe('not mounted: /w/lib -> /app/w/lib (ro); mounted but not asked for: /w/lib -> /app/w/lib');
  });

  it.each(['', 'nope', '{}', '[["a","b"]]', '[["a","b","x"]]'])('an unreadable label %j never counts as the same set', (label) => {
    expect(parseMountSet(label)).toBeUndefined();
    expect(compareMountSets(label, [work]).same).toBe(false);
  });
});

describe('sessionWritableTrees (R101): where `attach` writes the egress record from', () => {
  it('the workdirs, the writable mounts and the Codex home; read-only mounts are no tree', () => {
    const mounts = serializeMountSet([work, home, libRo, { source: '/x/rw/', target: '/app/x/rw', readonly: false }]);
    expect(sessionWritableTrees({ mounts, workdir: '/w/p', workdirs: ['/w/p', '/w/q'] })).toEqual([
      '/w/p',
      '/w/q',
      '/w/p/.codex/.environment',
      '/x/rw',
    ]);
    expect(sessionWritableTrees({ mounts: '', workdir: '/w/p', workdirs: [] })).toEqual(['/w/p', '/w/p/.codex/.environment']);
    expect(sessionWritableTrees({ mounts: '', workdir: '', workdirs: [] })).toEqual([]);
  });
});
