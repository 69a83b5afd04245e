import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { READ_LIMITS } from '../../core/read-limits.js';
import { trackRefs, type SnapshotEntry } from '../../core/track/track-changes.js';
import { ByteBudget } from '../tree/byte-budget.js';
import type { Name, TreeDir } from '../tree/safe-tree.js';
import { UnsafePathError } from '../tree/unsafe-path-error.js';
import { ensureRepository, git, startBlobImport, type BlobImport } from './track-git.js';
import { walkWorkspace } from './workspace-snapshot.js';

/**
 * The blob id of a file as last recorded, reused while its lstat still matches. ctime and
 * inode are in it because the agent can put back size and mtime (`touch -d`) after
 * rewriting a file, but cannot set ctime: without them the change would vanish from `diff`.
 */
interface CacheEntry {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  sha: string;
}

/**
 * Written within this long of its recording, a file is not cached: timestamps tick coarsely
 * (a jiffy or more), so a rewrite right after our lstat could keep the same ctime ("racy git").
 */
const RACY_MS = 2000;

/** Files of one directory read at once: hashing small files is bound by system calls. */
const CONCURRENT_FILES = 16;

/** The longest symlink target Linux allows. */
const PATH_MAX = 4096;

/** A cache written by an older version lacks ctimeMs/ino: those entries never match (re-read). */
async function readCache(file: string): Promise<Map<string, Partial<CacheEntry>>> {
  try {
    return new Map(Object.entries(JSON.parse(await readFile(file, 'utf8')) as Record<string, Partial<CacheEntry>>));
  } catch {
    return new Map();
  }
}

function isUnchanged(cached: Partial<CacheEntry> | undefined, entry: SnapshotEntry): cached is CacheEntry {
  return (
    cached !== undefined &&
    typeof cached.sha === 'string' &&
    cached.size === entry.size &&
    cached.mtimeMs === entry.mtimeMs &&
    cached.ctimeMs === entry.ctimeMs &&
    cached.ino === entry.ino
  );
}

/**
 * Records the workdir as a commit labelled with the run id and `phase`; returns the commit id.
 * File names never reach git as text to parse (R106): contents are read here through
 * directory descriptors (no link followed, regular files only, capped) and handed to `git
 * fast-import` as data; the tree is built with `update-index -z --index-info` (NUL-separated
 * names, taken verbatim). Unchanged files (size, mtime, ctime, inode) reuse the cached blob id.
 */
export async function recordWorkspace(
  gitDir: string,
  workdir: string,
  runId: string,
  phase: 'before' | 'after',
  exclude: readonly string[] = [],
): Promise<string> {
  await ensureRepository(gitDir);
  const cacheFile = path.join(gitDir, 'codex-sandbox-cache.json');
  const cache = await readCache(cacheFile);
  const blobs = startBlobImport(gitDir);
  // Up to CONCURRENT_FILES reads, but never more than one largest file's bytes held at once.
  const budget = new ByteBudget(READ_LIMITS.trackedFile + 1);
  const racyFrom = Date.now() - RACY_MS;
  const entries: Array<{ relative: string; line: string }> = [];
  const next: Record<string, CacheEntry> = {};
  let skipped = 0;
  try {
    await walkWorkspace(
      workdir,
      exclude,
      async ({ relative, entry, dir, name }) => {
        const cached = cache.get(relative);
        const sha = entry.type === 'file' && isUnchanged(cached, entry) ? cached.sha : await storeTracked(blobs, budget, dir, name, entry);
        if (sha === undefined) return; // changed under us (not a file any more): not recorded
        if (entry.type === 'file' && entry.ctimeMs < racyFrom) {
          next[relative] = { size: entry.size, mtimeMs: entry.mtimeMs, ctimeMs: entry.ctimeMs, ino: entry.ino, sha };
        }
        const mode = entry.type === 'link' ? '120000' : ((entry.mode ?? 0) & 0o111) !== 0 ? '100755' : '100644';
        entries.push({ relative, line: `${mode} ${sha}\t${relative}\0` });
      },
      () => {
        skipped += 1;
      },
      CONCURRENT_FILES,
    );
  } finally {
    await blobs.finish();
  }
  if (skipped > 0) process.stderr.write(`warning: --track: ${skipped} file name(s) that are not UTF-8 were not recorded\n`);
  await writeFile(`${cacheFile}.tmp`, JSON.stringify(next));
  await rename(`${cacheFile}.tmp`, cacheFile);
  const tree = await writeTree(gitDir, path.join(gitDir, `index-${runId}-${phase}`), entries);
  const refs = trackRefs(runId);
  const parent = phase === 'after' ? ['-p', `${refs.before}`] : [];
  const commit = (await git(gitDir, ['commit-tree', tree, ...parent, '-m', `${phase} run ${runId} in ${workdir}`])).trim();
  await git(gitDir, ['update-ref', phase === 'before' ? refs.before : refs.after, commit]);
  if (phase === 'after') await writeFile(path.join(gitDir, 'codex-sandbox-last-run'), `${runId}\n`);
  return commit;
}

/**
 * update-index and write-tree on a private, fresh index file. The order of the entries does
 * not change the tree (the index keeps itself sorted), but in path order each one is appended
 * instead of inserted (2-3 times faster for 200 000 files than in the former mode-and-id order).
 */
async function writeTree(gitDir: string, indexFile: string, entries: Array<{ relative: string; line: string }>): Promise<string> {
  entries.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
  const env = { GIT_INDEX_FILE: indexFile };
  try {
    // Our own repository, never checked out: names git would refuse for a checkout on
    // Windows/macOS (`.GIT`, `git~1`) are recorded like any other.
    const input = entries.map((entry) => entry.line).join('');
    await git(gitDir, ['-c', 'core.protectNTFS=false', '-c', 'core.protectHFS=false', 'update-index', '-z', '--add', '--index-info'], {
      input,
      env,
    });
    return (await git(gitDir, ['write-tree'], { env })).trim();
  } finally {
    await rm(indexFile, { force: true });
  }
}

/**
 * Reads a file (or a link's target) and streams it to git, its bytes held in the budget until
 * git has taken them. The read is capped at the size lstat gave, so a file that grows between
 * lstat and read cannot hold more than it reserved: it is read again, reserving the full cap.
 */
async function storeTracked(
  blobs: BlobImport,
  budget: ByteBudget,
  dir: TreeDir,
  name: Name,
  entry: SnapshotEntry,
): Promise<string | undefined> {
  if (entry.type === 'link') return storeRead(blobs, budget, PATH_MAX, () => dir.readLink(name));
  if (entry.size <= READ_LIMITS.trackedFile) {
    const sha = await storeRead(blobs, budget, entry.size + 1, () => dir.readFile(name, entry.size));
    if (sha !== 'too-large') return sha;
    const again = await storeRead(blobs, budget, READ_LIMITS.trackedFile + 1, () => dir.readFile(name, READ_LIMITS.trackedFile));
    if (again !== 'too-large') return again;
  }
  // Larger than the cap (R106): a note with its size is recorded instead.
  const size = (await dir.lstat(name))?.size ?? entry.size;
  return blobs.add(Buffer.from(`codex-sandbox: not recorded, ${size} bytes (more than ${READ_LIMITS.trackedFile} bytes)\n`));
}

/** `read` then `blobs.add` within `bytes` of the budget; undefined when it is no longer a file or link. */
async function storeRead(
  blobs: BlobImport,
  budget: ByteBudget,
  bytes: number,
  read: () => Promise<Buffer>,
): Promise<string | undefined | 'too-large'> {
  return budget.run(bytes, async () => {
    let content: Buffer;
    try {
      content = await read();
    } catch (error) {
      if (error instanceof UnsafePathError && error.reason === 'too-large') return 'too-large';
      if (error instanceof UnsafePathError || ['ENOENT', 'EINVAL', 'ELOOP'].includes(String((error as { code?: unknown }).code)))
        return undefined;
      throw error;
    }
    return blobs.add(content);
  });
}
