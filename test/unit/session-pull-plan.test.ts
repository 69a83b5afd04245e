import { planPull, type EntryKind, type PulledEntry } from '../../scripts/core/session/session-pull-plan.js';

const tree: PulledEntry[] = [
  { relative: 'out', kind: 'dir' },
  { relative: 'out/a.txt', kind: 'file' },
  { relative: 'out/sub', kind: 'dir' },
  { relative: 'out/sub/b.txt', kind: 'file' },
  { relative: 'out/link', kind: 'link' },
  { relative: 'out/fifo', kind: 'other' },
];
const facts = (entries: Record<string, EntryKind>) => new Map(Object.entries(entries));

describe('pull plan', () => {
  it('into an empty directory: mkdir parents, move files and links, skip fifos', () => {
    expect(planPull(tree, facts({}), false)).toEqual({
      actions: [
        { kind: 'mkdir', relative: 'out' },
        { kind: 'move', relative: 'out/a.txt' },
        { kind: 'mkdir', relative: 'out/sub' },
        { kind: 'move', relative: 'out/sub/b.txt' },
        { kind: 'move', relative: 'out/link' },
      ],
      conflicts: [],
      refused: [],
      skipped: ['out/fifo'],
    });
  });

  it('merges into an existing directory; an existing file is a conflict and nothing is done without --force', () => {
    const plan = planPull(tree, facts({ out: 'dir', 'out/a.txt': 'file', 'out/sub': 'dir' }), false);
    expect(plan.conflicts).toEqual(['out/a.txt']);
    expect(plan.actions).toEqual([]);
  });

  it('--force replaces the file, keeps merging', () => {
    const plan = planPull(tree, facts({ out: 'dir', 'out/a.txt': 'file', 'out/sub': 'dir' }), true);
    expect(plan.actions).toEqual([
      { kind: 'replace', relative: 'out/a.txt', dir: false },
      { kind: 'move', relative: 'out/sub/b.txt' },
      { kind: 'move', relative: 'out/link' },
    ]);
  });

  it('a host symlink where a directory goes is a conflict; below it the host facts are ignored (never looked through)', () => {
    const plan = planPull(tree, facts({ out: 'link', 'out/a.txt': 'file', 'out/sub': 'dir' }), true);
    expect(plan.conflicts).toEqual(['out']);
    expect(plan.actions).toEqual([
      { kind: 'replace', relative: 'out', dir: true },
      { kind: 'move', relative: 'out/a.txt' },
      { kind: 'mkdir', relative: 'out/sub' },
      { kind: 'move', relative: 'out/sub/b.txt' },
      { kind: 'move', relative: 'out/link' },
    ]);
  });

  it('a file never replaces a host directory, even with --force', () => {
    const plan = planPull([{ relative: 'x', kind: 'file' }], facts({ x: 'dir' }), true);
    expect(plan.refused).toEqual(['x']);
    expect(plan.actions).toEqual([]);
  });
});
