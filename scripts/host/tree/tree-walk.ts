import type { Dirent } from 'node:fs';
import path from 'node:path';
import { type TreeDir } from './safe-tree.js';
import { UnsafePathError } from './unsafe-path-error.js';
import { openHostDir } from './tree-paths.js';

/**
 * Walks a directory through descriptors (R101): every subdirectory is opened with
 * O_NOFOLLOW|O_DIRECTORY inside its parent, so a symlink is never entered and a directory
 * swapped during the walk is not followed. Names are bytes; a name that is not UTF-8 is
 * reported to `onSkipped` (it could not be shown or handed on faithfully), unless the
 * visitor asks to see every entry (`visitUndecodable`). Every entry counts toward
 * `maxEntries`, whatever its name.
 */
export interface WalkEntry {
  /** '/'-separated path relative to the walk's root (lossy where `exact` is false: for messages). */
  relative: string;
  /** False when a name on the way (this one included) is not UTF-8. */
  exact: boolean;
  /** The directory holding it (open only during the visit). */
  dir: TreeDir;
  name: Buffer;
  dirent: Dirent<Buffer>;
}

export interface WalkVisitor {
  /** Return 'skip' to stay out of a directory; called for every entry, parents first. */
  visit(entry: WalkEntry): Promise<'skip' | void>;
  onSkipped?(relative: string, why: string): void;
  /** Visit (and enter) entries whose names are not UTF-8 too: a search that must miss nothing (--protect-git). */
  visitUndecodable?: boolean;
  /** Stop (throw) after this many entries. */
  maxEntries?: number;
  /** Visit up to this many entries of one directory at once (directories are entered one by one); default 1. */
  concurrency?: number;
}

function decodeName(name: Buffer): string | undefined {
  const text = name.toString('utf8');
  return Buffer.from(text, 'utf8').equals(name) ? text : undefined;
}

export async function walkTree(root: TreeDir, visitor: WalkVisitor): Promise<void> {
  let seen = 0;
  const walk = async (dir: TreeDir, prefix: string, exact: boolean): Promise<void> => {
    // Read no further than the cap allows (the rest of a huge directory is never loaded).
    const entries = await dir.readdir(visitor.maxEntries === undefined ? undefined : visitor.maxEntries - seen);
    entries.sort((a, b) => Buffer.compare(a.name, b.name));
    const visits: WalkEntry[] = [];
    for (const dirent of entries) {
      // Counted before the name is looked at: millions of odd names must not pass the cap.
      if (visitor.maxEntries !== undefined && (seen += 1) > visitor.maxEntries) {
        throw new UnsafePathError(dir.path, 'too-large');
      }
      const text = decodeName(dirent.name);
      const shown = text ?? dirent.name.toString('utf8');
      const relative = prefix === '' ? shown : `${prefix}/${shown}`;
      if (text === undefined && visitor.visitUndecodable !== true) {
        visitor.onSkipped?.(relative, 'its name is not UTF-8');
        continue;
      }
      visits.push({ relative, exact: exact && text !== undefined, dir, name: dirent.name, dirent });
    }
    const width = Math.max(1, visitor.concurrency ?? 1);
    const enter: WalkEntry[] = [];
    for (let start = 0; start < visits.length; start += width) {
      const batch = visits.slice(start, start + width);
      const decisions = await Promise.all(batch.map((entry) => visitor.visit(entry)));
      batch.forEach((entry, index) => {
        if (decisions[index] !== 'skip' && entry.dirent.isDirectory()) enter.push(entry);
      });
    }
    for (const entry of enter) {
      let child: TreeDir;
      try {
        child = await dir.openDir(entry.name);
      } catch (error) {
        // Swapped for a link or removed since readdir: not entered.
        if (error instanceof UnsafePathError || (error as { code?: string }).code === 'ENOENT') continue;
        throw error;
      }
      try {
        await walk(child, entry.relative, entry.exact);
      } finally {
        await child.close();
      }
    }
  };
  await walk(root, '', true);
}

/** Regular files below `dir` (a host path; symlinks and special files skipped), read with caps. */
export async function listTreeFiles(
  dir: string,
  trees: readonly string[],
  caps: { maxFiles: number; maxFileBytes: number; maxTotalBytes: number },
): Promise<Array<{ relative: string; bytes: Buffer }>> {
  const files: Array<{ relative: string; bytes: Buffer }> = [];
  let total = 0;
  const { dir: root } = await openHostDir(dir, trees);
  try {
    await walkTree(root, {
      maxEntries: caps.maxFiles * 10,
      async visit({ relative, dir: parent, name, dirent }) {
        if (!dirent.isFile()) return;
        if (files.length >= caps.maxFiles) throw new UnsafePathError(path.join(dir, relative), 'too-large');
        const bytes = await parent.readFile(name, caps.maxFileBytes).catch((error: unknown) => {
          if (error instanceof UnsafePathError && error.reason !== 'too-large') return undefined; // swapped since readdir
          throw error;
        });
        if (bytes === undefined) return;
        total += bytes.length;
        if (total > caps.maxTotalBytes) throw new UnsafePathError(dir, 'too-large');
        files.push({ relative: relative.split('/').join(path.sep), bytes });
      },
    });
  } finally {
    await root.close();
  }
  return files;
}
