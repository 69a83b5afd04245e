import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { READ_LIMITS } from '../../scripts/core/read-limits.js';
import { recordWorkspace } from '../../scripts/host/track/record-workspace.js';
import { TreeDir, type Name } from '../../scripts/host/tree/safe-tree.js';
import {
  listTrackedChanges,
  listTrackedRuns,
  renderTrackedDiff,
  resolveTrackedRun,
  trackRoot,
} from '../../scripts/host/track/track-store.js';
import { startBlobImport } from '../../scripts/host/track/track-git.js';
import { makeTempDir, removeTempDir, writeFile } from './helpers/temp-dir.js';

describe('track-store (host git on temp dirs)', () => {
  let tmp: string;
  let work: string;
  let gitDir: string;

  beforeEach(() => {
    tmp = makeTempDir('codex-sandbox-track-');
    work = path.join(tmp, 'work');
    gitDir = path.join(tmp, 'state', 'codex-sandbox', 'track', 'abc.git');
    writeFile(path.join(work, 'keep.txt'), 'same\n');
    writeFile(path.join(work, 'edit.txt'), 'one\ntwo\n');
    writeFile(path.join(work, 'gone.txt'), 'bye\n');
    writeFile(path.join(work, '.codex', '.environment', 'config.toml'), 'x');
  });

  afterEach(() => removeTempDir(tmp));

  it('records before/after and lists exactly the changes, outside the workdir', async () => {
    await recordWorkspace(gitDir, work, 'aaaa0001', 'before');
    fs.writeFileSync(path.join(work, 'edit.txt'), 'one\nTWO\nthree\n');
    fs.rmSync(path.join(work, 'gone.txt'));
    writeFile(path.join(work, 'sub', 'new.sh'), '#!/bin/sh\n', 0o755);
    writeFile(path.join(work, '.codex', 'runs', 'r', 'run.log'), 'ignored');
    await recordWorkspace(gitDir, work, 'aaaa0001', 'after');

    expect(await listTrackedChanges(gitDir, 'aaaa0001')).toEqual([
      { path: 'edit.txt', kind: 'modified', added: 2, removed: 1 },
      { path: 'gone.txt', kind: 'deleted', added: 0, removed: 1 },
      { path: 'sub/new.sh', kind: 'added', added: 1, removed: 0 },
    ]);
    expect(await resolveTrackedRun(gitDir, undefined)).toBe('aaaa0001');
    expect(await renderTrackedDiff(gitDir, 'aaaa0001', true)).toContain('3 files changed, 3 insertions(+), 2 deletions(-)');
    expect(await renderTrackedDiff(gitDir, 'aaaa0001', false)).toContain('new file mode 100755');
    expect(fs.existsSync(path.join(work, '.git'))).toBe(false);
    expect((await listTrackedRuns(gitDir))[0]).toMatch(/^aaaa0001 {2}\d{4}-/);
  });

  it('nothing the workdir holds decides what is recorded or runs a command', async () => {
    // A filter driver named in .gitattributes, a .gitignore, a nested repository with an
    // fsmonitor hook, and a symlink to a secret outside the workdir.
    writeFile(path.join(work, '.gitattributes'), '* filter=evil\n');
    writeFile(path.join(work, '.gitignore'), 'hidden.txt\n');
    writeFile(path.join(work, 'nested', '.git', 'config'), `[core]\n\tfsmonitor = touch ${path.join(tmp, 'pwned')}\n`);
    writeFile(path.join(tmp, 'secret'), 'TOP SECRET\n');
    await recordWorkspace(gitDir, work, 'aaaa0002', 'before');
    writeFile(path.join(work, 'hidden.txt'), 'not hidden\n');
    writeFile(path.join(work, 'nested', 'inner.txt'), 'inner\n');
    fs.symlinkSync(path.join(tmp, 'secret'), path.join(work, 'link'));
    await recordWorkspace(gitDir, work, 'aaaa0002', 'after');

    const changes = await listTrackedChanges(gitDir, 'aaaa0002');
    expect(changes.map((change) => change.path)).toEqual(['hidden.txt', 'link', 'nested/inner.txt']);
    const patch = await renderTrackedDiff(gitDir, 'aaaa0002', false);
    expect(patch).toContain(`+${path.join(tmp, 'secret')}`);
    expect(patch).not.toContain('TOP SECRET');
    expect(patch).toContain('new file mode 120000');
    expect(fs.existsSync(path.join(tmp, 'pwned'))).toBe(false);
    expect(execFileSync('git', ['--git-dir', gitDir, 'config', '--list', '--local'], { encoding: 'utf8' })).not.toContain('filter');
  });

  it('R54 a file rewritten at the same size with its mtime put back is still recorded as changed', async () => {
    // Pretend the files are old so the cache holds them (files written just now are not cached).
    const now = Date.now() + 60_000;
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
    const file = path.join(work, 'edit.txt');
    fs.utimesSync(file, 1_600_000_000, 1_600_000_000); // whole seconds: put back exactly below
    try {
      await recordWorkspace(gitDir, work, 'aaaa0004', 'before');
      const cache = JSON.parse(fs.readFileSync(path.join(gitDir, 'codex-sandbox-cache.json'), 'utf8')) as Record<string, unknown>;
      expect(cache['edit.txt']).toEqual(expect.objectContaining({ ctimeMs: expect.any(Number), ino: expect.any(Number) }));
      const old = fs.statSync(file);
      fs.writeFileSync(file, 'one\nTWO\n');
      fs.utimesSync(file, 1_600_000_000, 1_600_000_000);
      expect([fs.statSync(file).size, fs.statSync(file).mtimeMs]).toEqual([old.size, old.mtimeMs]);
      await recordWorkspace(gitDir, work, 'aaaa0004', 'after');
    } finally {
      clock.mockRestore();
    }
    expect(await listTrackedChanges(gitDir, 'aaaa0004')).toEqual([{ path: 'edit.txt', kind: 'modified', added: 1, removed: 1 }]);
  });

  it('R54 a cache written by an older version (no ctime, no inode) is read but never trusted', async () => {
    const info = fs.statSync(path.join(work, 'keep.txt'));
    fs.mkdirSync(gitDir, { recursive: true });
    execFileSync('git', ['init', '--bare', '--quiet', gitDir]);
    const wrong = 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391'; // the empty blob
    fs.writeFileSync(
      path.join(gitDir, 'codex-sandbox-cache.json'),
      JSON.stringify({ 'keep.txt': { size: info.size, mtimeMs: info.mtimeMs, sha: wrong } }),
    );
    await recordWorkspace(gitDir, work, 'aaaa0005', 'before');
    const show = execFileSync('git', ['--git-dir', gitDir, 'show', 'refs/codex-runs/aaaa0005/before:keep.txt'], { encoding: 'utf8' });
    expect(show).toBe('same\n');
  });

  it('files changed just before recording are not cached (a rewrite in the same clock tick keeps ctime)', async () => {
    await recordWorkspace(gitDir, work, 'aaaa0006', 'before');
    expect(JSON.parse(fs.readFileSync(path.join(gitDir, 'codex-sandbox-cache.json'), 'utf8'))).toEqual({});
  });

  it('a git fast-import that dies mid-stream is one error, never a crash (EPIPE) or a hang (drain)', async () => {
    const blobs = startBlobImport(path.join(tmp, 'not-a-repository'));
    const big = Buffer.alloc(8 * 1024 * 1024, 'x');
    const run = async () => {
      for (let index = 0; index < 4; index += 1) await blobs.add(big);
      await blobs.finish();
    };
    await expect(run()).rejects.toThrow('git fast-import failed on the tracking repository');
  }, 20_000);

  it('R109 files read at once never hold more than one largest file; one that grew since lstat is read whole', async () => {
    const limits = READ_LIMITS as { trackedFile: number };
    const cap = limits.trackedFile;
    limits.trackedFile = 1024 * 1024;
    const many = Array.from({ length: 16 }, (_, index) => `big/${String(index).padStart(2, '0')}.bin`);
    many.forEach((name, index) => writeFile(path.join(work, name), String.fromCharCode(65 + index).repeat(600 * 1024)));
    writeFile(path.join(work, 'grows.txt'), 'short\n');
    const readFile = TreeDir.prototype.readFile;
    let held = 0;
    let most = 0;
    let grown = false;
    const spy = jest.spyOn(TreeDir.prototype, 'readFile').mockImplementation(async function (this: TreeDir, name: Name, maxBytes: number) {
      if (String(name) === 'grows.txt' && !grown) {
        grown = true; // between lstat and read
        fs.appendFileSync(path.join(work, 'grows.txt'), 'longer now\n');
      }
      held += maxBytes;
      most = Math.max(most, held);
      try {
        return await readFile.call(this, name, maxBytes);
      } finally {
        held -= maxBytes;
      }
    });
    try {
      await recordWorkspace(gitDir, work, 'aaaa0007', 'before');
    } finally {
      spy.mockRestore();
      limits.trackedFile = cap;
    }
    expect(most).toBeLessThanOrEqual(1024 * 1024);
    const show = (name: string) => execFileSync('git', ['--git-dir', gitDir, 'show', `refs/codex-runs/aaaa0007/before:${name}`]);
    expect(show('grows.txt').toString()).toBe('short\nlonger now\n');
    many.forEach((name, index) => expect(show(name).equals(Buffer.from(String.fromCharCode(65 + index).repeat(600 * 1024)))).toBe(true));
  });

  it('unknown runs and missing repositories are usage errors', async () => {
    await expect(resolveTrackedRun(gitDir, undefined)).rejects.toThrow('no tracked runs for this workdir: run with --track first');
    await recordWorkspace(gitDir, work, 'aaaa0003', 'before');
    await expect(resolveTrackedRun(gitDir, 'bbbb0000')).rejects.toThrow('no tracked run bbbb0000 for this workdir');
    await expect(resolveTrackedRun(gitDir, '../HEAD')).rejects.toThrow('is not a run id');
  });

  it('trackRoot: XDG_STATE_HOME when absolute, else ~/.local/state; neither: refused', () => {
    expect(trackRoot({ env: { XDG_STATE_HOME: '/s' }, home: '/h' })).toBe('/s/codex-sandbox/track');
    expect(trackRoot({ env: {}, home: '/h' })).toBe('/h/.local/state/codex-sandbox/track');
    expect(trackRoot({ env: { XDG_STATE_HOME: 'rel' }, home: '/h' })).toBe('/h/.local/state/codex-sandbox/track');
    expect(() => trackRoot({ env: { XDG_STATE_HOME: 'rel' }, home: undefined })).toThrow('--track needs a state directory');
  });
});
