import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { readCapped } from './read-capped.js';
import { TreeDir } from './safe-tree.js';
import { locateHostPath, walkBeneath } from './tree-paths.js';
import { UnsafePathError } from './unsafe-path-error.js';

/**
 * The content of a regular file of at most `maxBytes` given as a host path: inside a tree
 * read beneath it; outside with O_NONBLOCK and a type check (a FIFO or device is refused).
 */
export async function readHostFile(
  absolute: string,
  trees: readonly string[],
  maxBytes: number,
): Promise<{ bytes: Buffer; physical: string }> {
  const located = await locateHostPath(absolute, trees);
  if (located.kind === 'outside') {
    const handle = await open(located.path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    try {
      if (!(await handle.stat()).isFile()) throw new UnsafePathError(located.path, 'not-file');
      return { bytes: await readCapped(handle, maxBytes, located.path), physical: located.path };
    } finally {
      await handle.close();
    }
  }
  const rootDir = await TreeDir.openRoot(located.root);
  try {
    const found = await walkBeneath(rootDir, located.rest, { followFinal: true });
    try {
      if (found.name === undefined) throw new UnsafePathError(found.physical, 'not-file');
      return { bytes: await found.parent.readFile(found.name, maxBytes), physical: found.physical };
    } finally {
      if (found.parent !== rootDir) await found.parent.close();
    }
  } finally {
    await rootDir.close();
  }
}

/**
 * A regular file of at most `maxBytes` at `relative` ('/'-separated) below the open `root`,
 * reached with no symlink at any component (the file itself included). `cut`: a larger file
 * is cut at `maxBytes` instead of refused.
 */
export async function readFileBeneath(root: TreeDir, relative: string, maxBytes: number, cut = false): Promise<Buffer> {
  const found = await walkBeneath(root, relative.split('/'), { followFinal: false, noLinks: true });
  try {
    if (found.name === undefined) throw new UnsafePathError(found.physical, 'not-file');
    if (!cut) return await found.parent.readFile(found.name, maxBytes);
    const handle = await found.parent.openFile(found.name);
    try {
      const buffer = Buffer.alloc(maxBytes);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } finally {
    if (found.parent !== root) await found.parent.close();
  }
}
