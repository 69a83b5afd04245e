import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SWAP_IMMUNE, TreeDir } from '../../scripts/host/tree/safe-tree.js';
import { UnsafePathError } from '../../scripts/host/tree/unsafe-path-error.js';
import { locateHostPath, openHostDir, probeHostDir, statHostPath, walkBeneath } from '../../scripts/host/tree/tree-paths.js';
import { readHostFile } from '../../scripts/host/tree/read-host-file.js';
import { makeTempDir, removeTempDir, snapshotTree, writeFile } from './helpers/temp-dir.js';

/**
 * R101/R102: the safe way to touch agent-writable trees, on temp dirs. Races are played by a
 * child process that swaps directories for symlinks in a tight loop while the launcher's
 * functions run: across many tries nothing outside the tree is ever read or written.
 */
let tmp: string;
let work: string;
let outside: string;

beforeEach(() => {
  tmp = makeTempDir('codex-sandbox-tree-');
  work = path.join(tmp, 'work');
  outside = path.join(tmp, 'outside');
  fs.mkdirSync(work);
  fs.mkdirSync(outside);
  writeFile(path.join(outside, 'id_rsa'), 'HOST SECRET\n');
});

afterEach(() => removeTempDir(tmp));

test('R111 R101: on Linux the swap-immune (directory descriptor) mode is used', () => {
  expect(SWAP_IMMUNE).toBe(process.platform === 'linux');
});

describe('TreeDir (R101)', () => {
  test('openRoot refuses a symlink at any component', async () => {
    fs.mkdirSync(path.join(work, 'real'));
    fs.symlinkSync(path.join(work, 'real'), path.join(work, 'link'));
    await expect(TreeDir.openRoot(path.join(work, 'link'))).rejects.toMatchObject({ reason: 'link' });
    await expect(TreeDir.openRoot(path.join(work, 'link', 'x'))).rejects.toBeInstanceOf(UnsafePathError);
    const dir = await TreeDir.openRoot(path.join(work, 'real'));
    await dir.close();
  });

  test('readFile: regular files only, capped; a link, a FIFO, /dev/zero or a huge sparse file is refused at once', async () => {
    const root = await TreeDir.openRoot(work);
    try {
      writeFile(path.join(work, 'ok.txt'), 'hello');
      expect((await root.readFile('ok.txt', 100)).toString()).toBe('hello');
      fs.symlinkSync(path.join(outside, 'id_rsa'), path.join(work, 'link'));
      await expect(root.readFile('link', 100)).rejects.toMatchObject({ reason: 'link' });
      spawnSync('mkfifo', [path.join(work, 'fifo')]);
      await expect(root.readFile('fifo', 100)).rejects.toMatchObject({ reason: 'not-file' });
      fs.symlinkSync('/dev/zero', path.join(work, 'zero'));
      await expect(root.readFile('zero', 100)).rejects.toMatchObject({ reason: 'link' });
      const sparse = path.join(work, 'sparse');
      fs.writeFileSync(sparse, '');
      fs.truncateSync(sparse, 64 * 1024 * 1024 * 1024);
      const started = Date.now();
      await expect(root.readFile('sparse', 1024 * 1024)).rejects.toMatchObject({ reason: 'too-large' });
      expect(Date.now() - started).toBeLessThan(1000);
      await expect(root.readFile('../outside', 100)).rejects.toMatchObject({ reason: 'bad-name' });
    } finally {
      await root.close();
    }
  });

  test('writeFile replaces a planted symlink (never writes through it) or refuses to overwrite', async () => {
    const root = await TreeDir.openRoot(work);
    try {
      fs.symlinkSync(path.join(outside, 'id_rsa'), path.join(work, 'target'));
      expect(await root.writeFile('target', 'no', { replace: false })).toBe(false);
      expect(fs.lstatSync(path.join(work, 'target')).isSymbolicLink()).toBe(true);
      expect(await root.writeFile('target', 'mine', { replace: true, mode: 0o600 })).toBe(true);
      expect(fs.lstatSync(path.join(work, 'target')).isFile()).toBe(true);
      expect(fs.statSync(path.join(work, 'target')).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(path.join(outside, 'id_rsa'), 'utf8')).toBe('HOST SECRET\n');
      expect(fs.readdirSync(work)).toEqual(['target']);
    } finally {
      await root.close();
    }
  });

  test('an open directory keeps pointing at itself when its path is swapped for a link (openat semantics)', async () => {
    fs.mkdirSync(path.join(work, 'a'));
    const dir = await TreeDir.openRoot(path.join(work, 'a'));
    try {
      fs.renameSync(path.join(work, 'a'), path.join(work, 'a-moved'));
      fs.symlinkSync(outside, path.join(work, 'a'));
      await dir.writeFile('new.txt', 'x', { replace: false });
      expect(fs.existsSync(path.join(outside, 'new.txt'))).toBe(SWAP_IMMUNE ? false : true);
      if (SWAP_IMMUNE) expect(fs.readFileSync(path.join(work, 'a-moved', 'new.txt'), 'utf8')).toBe('x');
    } finally {
      await dir.close();
    }
  });
});

describe('TreeDir listing (R109)', () => {
  test('readdir stops at the cap without listing the rest; isEmpty reads at most one entry', async () => {
    const dir = await TreeDir.openRoot(work);
    try {
      expect(await dir.isEmpty()).toBe(true);
      for (let index = 0; index < 100; index += 1) fs.writeFileSync(path.join(work, `f${index}`), '');
      fs.writeFileSync(Buffer.from(`${work}/\xff`, 'latin1'), '');
      expect(await dir.isEmpty()).toBe(false);
      const all = await dir.readdir();
      expect(all).toHaveLength(101);
      expect(all.every((entry) => Buffer.isBuffer(entry.name) && entry.isFile())).toBe(true);
      expect(await dir.readdir(101)).toHaveLength(101);
      await expect(dir.readdir(100)).rejects.toMatchObject({ reason: 'too-large', path: work });
    } finally {
      await dir.close();
    }
  });
});

describe('resolution beneath a tree (R102)', () => {
  test('a link inside the tree is followed only while it stays inside; a link leading out is refused', async () => {
    writeFile(path.join(work, 'data', 'f.txt'), 'data');
    fs.symlinkSync('data', path.join(work, 'inside'));
    fs.symlinkSync(outside, path.join(work, 'out'));
    fs.symlinkSync('../outside/id_rsa', path.join(work, 'out-relative'));
    fs.symlinkSync('data/../../outside', path.join(work, 'out-dotdot'));
    expect(await readHostFile(path.join(work, 'inside', 'f.txt'), [work], 100)).toEqual({
      bytes: Buffer.from('data'),
      physical: path.join(work, 'data', 'f.txt'),
    });
    for (const name of ['out/id_rsa', 'out-relative', 'out-dotdot/id_rsa']) {
      await expect(readHostFile(path.join(work, name), [work], 100)).rejects.toMatchObject({ reason: 'link-out' });
    }
  });

  test("a path outside that enters a tree through the user's own link is resolved beneath the tree from there", async () => {
    fs.symlinkSync(work, path.join(tmp, 'project-link'));
    fs.mkdirSync(path.join(work, 'codex'));
    fs.symlinkSync(path.join(outside, 'id_rsa'), path.join(work, 'codex', 'config.toml'));
    await expect(locateHostPath(path.join(tmp, 'project-link', 'codex', 'config.toml'), [work])).resolves.toEqual({
      kind: 'tree',
      root: work,
      rest: ['codex', 'config.toml'],
    });
    await expect(readHostFile(path.join(tmp, 'project-link', 'codex', 'config.toml'), [work], 100)).rejects.toMatchObject({
      reason: 'link-out',
    });
  });

  test('openHostDir/probeHostDir: no link at all on the way to a directory the launcher writes; created without following', async () => {
    fs.mkdirSync(path.join(work, '.codex'));
    fs.symlinkSync(outside, path.join(work, '.codex', '.environment'));
    const before = snapshotTree(outside);
    await expect(probeHostDir(path.join(work, '.codex', '.environment'), [work])).rejects.toMatchObject({ reason: 'link' });
    await expect(openHostDir(path.join(work, '.codex', '.environment', 'prompts'), [work], { mode: 0o755 })).rejects.toMatchObject({
      reason: 'link',
    });
    expect(snapshotTree(outside)).toEqual(before);
    fs.unlinkSync(path.join(work, '.codex', '.environment'));
    expect(await probeHostDir(path.join(work, '.codex', '.environment'), [work])).toEqual({
      physical: path.join(work, '.codex', '.environment'),
      exists: false,
    });
    const { dir } = await openHostDir(path.join(work, '.codex', '.environment', 'prompts'), [work], { mode: 0o700 });
    await dir.close();
    expect(fs.statSync(path.join(work, '.codex', '.environment', 'prompts')).mode & 0o777).toBe(0o700);
  });

  test('statHostPath: a missing tree root or component is undefined, not an error', async () => {
    expect(await statHostPath(path.join(tmp, 'nope', 'x'), [path.join(tmp, 'nope')])).toBeUndefined();
    expect(await statHostPath(path.join(work, 'a', 'b'), [work])).toBeUndefined();
  });
});

describe('concurrent swaps (R101): a child process swaps a directory for a link in a tight loop', () => {
  /** Loop: mv dir away, link the outside dir in its place, remove the link, move the dir back. */
  function startSwapper(dir: string, target: string) {
    const script =
      'while :; do mv "$1" "$1.away" 2>/dev/null; ln -s "$2" "$1" 2>/dev/null;' +
      ' rm -f "$1" 2>/dev/null; mv "$1.away" "$1" 2>/dev/null; done';
    const child = spawn('sh', ['-c', script, 'swapper', dir, target], { stdio: 'ignore', detached: true });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // The whole group (the loop and a mv in flight), and only once it is gone does cleanup start.
    return {
      kill: () => {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
        return exited;
      },
    };
  }

  test('reads: 300 tries never return the outside file', async () => {
    writeFile(path.join(work, 'sub', 'id_rsa'), 'inside\n');
    const swapper = startSwapper(path.join(work, 'sub'), outside);
    let inside = 0;
    let refused = 0;
    try {
      for (let attempt = 0; attempt < 300; attempt += 1) {
        try {
          const { bytes } = await readHostFile(path.join(work, 'sub', 'id_rsa'), [work], 100);
          expect(bytes.toString()).toBe('inside\n');
          inside += 1;
        } catch (error) {
          // Refused (the link was met) or missing (mid-rename): never the outside file.
          expect(String(error)).not.toContain('HOST SECRET');
          refused += 1;
        }
      }
    } finally {
      await swapper.kill();
    }
    expect(inside + refused).toBe(300);
    // The swapper really raced the reads (else this test could not fail).
    expect(refused).toBeGreaterThan(0);
  });

  test('writes: 300 files created below a swapped directory never land outside', async () => {
    fs.mkdirSync(path.join(work, 'sub'));
    const swapper = startSwapper(path.join(work, 'sub'), outside);
    let refused = 0;
    try {
      for (let attempt = 0; attempt < 300; attempt += 1) {
        try {
          const { dir } = await openHostDir(path.join(work, 'sub', 'deeper'), [work], { mode: 0o755 });
          await dir.writeFile(`f${attempt}`, 'x', { replace: false }).finally(() => dir.close());
        } catch {
          refused += 1; // the link (or a missing directory) was met: nothing written
        }
      }
    } finally {
      await swapper.kill();
    }
    expect(fs.readdirSync(outside)).toEqual(['id_rsa']);
    expect(refused).toBeGreaterThan(0);
  });

  test('walkBeneath never enters the link, whatever moment it meets it', async () => {
    writeFile(path.join(work, 'sub', 'x', 'f'), 'in');
    writeFile(path.join(outside, 'x', 'f'), 'out');
    const swapper = startSwapper(path.join(work, 'sub'), outside);
    const root = await TreeDir.openRoot(work);
    try {
      for (let attempt = 0; attempt < 300; attempt += 1) {
        try {
          const found = await walkBeneath(root, ['sub', 'x', 'f'], { followFinal: false, noLinks: true });
          const content = (await found.parent.readFile(found.name ?? '', 10)).toString();
          await found.parent.close();
          expect(content).toBe('in');
        } catch (error) {
          if (!(error instanceof UnsafePathError) && (error as { code?: string }).code !== 'ENOENT') throw error;
        }
      }
    } finally {
      await swapper.kill();
      await root.close();
    }
  });
});
