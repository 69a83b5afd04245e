import {
  compareSnapshots,
  formatChangeList,
  isExcludedPath,
  isRunId,
  parseGitChanges,
  printablePath,
  trackDirName,
  trackRefs,
  type SnapshotEntry,
} from '../../scripts/core/track/track-changes.js';

const file = (size: number, mtimeMs: number, type = 'file', ctimeMs = 1, ino = 1): SnapshotEntry => ({ size, mtimeMs, ctimeMs, ino, type });

describe('compareSnapshots', () => {
  it('added, modified (size, mtime, ctime, inode or type), deleted; sorted; unchanged left out', () => {
    const before = new Map([
      ['same.txt', file(1, 1)],
      ['size.txt', file(1, 1)],
      ['time.txt', file(1, 1)],
      ['type', file(1, 1)],
      ['gone.txt', file(1, 1)],
      ['ctime.txt', file(1, 1)],
      ['inode.txt', file(1, 1)],
    ]);
    const after = new Map([
      ['same.txt', file(1, 1)],
      ['size.txt', file(2, 1)],
      ['time.txt', file(1, 2)],
      ['type', file(1, 1, 'link')],
      ['a-new.txt', file(5, 5)],
      // Rewritten at the same size with mtime put back (`touch -d`): only ctime tells.
      ['ctime.txt', file(1, 1, 'file', 2)],
      // Replaced by rename with size and mtime copied: a new inode.
      ['inode.txt', file(1, 1, 'file', 1, 2)],
    ]);
    expect(compareSnapshots(before, after)).toEqual([
      { path: 'a-new.txt', kind: 'added' },
      { path: 'ctime.txt', kind: 'modified' },
      { path: 'gone.txt', kind: 'deleted' },
      { path: 'inode.txt', kind: 'modified' },
      { path: 'size.txt', kind: 'modified' },
      { path: 'time.txt', kind: 'modified' },
      { path: 'type', kind: 'modified' },
    ]);
  });
});

describe('isExcludedPath', () => {
  it.each([
    ['.git', true],
    ['.git/config', true],
    ['sub/.git/HEAD', true],
    ['.codex/runs/x/run.log', true],
    ['sub/.codex/file', false],
    ['.gitignore', false],
    ['src/a.ts', false],
    ['reports/r1/run.log', true],
    ['reports/r10', false],
  ])('%s -> %s', (relative, expected) => {
    expect(isExcludedPath(relative, ['reports/r1'])).toBe(expected);
  });
});

describe('parseGitChanges', () => {
  it('joins numstat counts with name-status kinds; binary files have no counts', () => {
    const numstat = '3\t1\tsrc/a.ts\x005\t0\tnew file.txt\x00-\t-\timg.png\x000\t2\tgone\x00';
    const nameStatus = 'M\x00src/a.ts\x00A\x00new file.txt\x00A\x00img.png\x00D\x00gone\x00';
    expect(parseGitChanges(numstat, nameStatus)).toEqual([
      { path: 'src/a.ts', kind: 'modified', added: 3, removed: 1 },
      { path: 'new file.txt', kind: 'added', added: 5, removed: 0 },
      { path: 'img.png', kind: 'added' },
      { path: 'gone', kind: 'deleted', added: 0, removed: 2 },
    ]);
    expect(parseGitChanges('', '')).toEqual([]);
  });
});

describe('formatChangeList', () => {
  it('git diff --stat style with a total', () => {
    expect(
      formatChangeList([
        { path: 'src/a.ts', kind: 'modified', added: 3, removed: 1 },
        { path: 'new.txt', kind: 'added', added: 2, removed: 0 },
        { path: 'gone', kind: 'deleted' },
      ]),
    ).toEqual([' src/a.ts | +3 -1', ' new.txt  | added +2 -0', ' gone     | deleted', ' 3 files changed, 5 insertions(+), 1 deletions(-)']);
  });

  it('no changes; snapshot kinds only; one file', () => {
    expect(formatChangeList([])).toEqual(['(no files changed)']);
    expect(formatChangeList([{ path: 'x', kind: 'modified' }])).toEqual([' x | modified', ' 1 file changed']);
  });

  it('control characters in names cannot forge lines', () => {
    expect(printablePath('a\nb\x1b[31m')).toBe('a\\x0ab\\x1b[31m');
    expect(formatChangeList([{ path: 'evil\n 99 files changed', kind: 'added' }])[0]).toBe(' evil\\x0a 99 files changed | added');
  });
});

describe('tracking names', () => {
  it('git dir name from the workdir hash; refs per run; run ids', () => {
    expect(trackDirName('0123456789abcdef0123456789abcdef')).toBe('0123456789abcdef.git');
    expect(trackRefs('abcd1234')).toEqual({ before: 'refs/codex-runs/abcd1234/before', after: 'refs/codex-runs/abcd1234/after' });
    expect(isRunId('abcd1234')).toBe(true);
    expect(isRunId('abcd123')).toBe(false);
    expect(isRunId('ABCD1234')).toBe(false);
    expect(isRunId('../../x')).toBe(false);
  });
});
