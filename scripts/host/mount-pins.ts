import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError } from '../core/errors.js';
import type { MountIdentity } from '../core/run/mount-ids.js';
import type { Mount } from '../core/run/mount-spec.js';
import { isSameOrInside } from '../core/run/path-rules.js';
import { SWAP_IMMUNE, TreeDir } from './tree/safe-tree.js';
import { UnsafePathError } from './tree/unsafe-path-error.js';
import { walkBeneath } from './tree/tree-paths.js';

/**
 * The identity of every mount source, taken right before `docker run` (R103). A source in a
 * tree the agent can write is opened from `/` with no symlink followed anywhere (the path
 * was resolved symlink-free while planning: a link there now was planted since); a source
 * elsewhere is the user's own and opened as is. `allowMissing` (dry runs) leaves out sources
 * the run would create. Off Linux the identities are not sent (R111): Docker Desktop shares
 * files through a VM, whose inode numbers are not the host's.
 */
export async function pinMountSources(
  mounts: readonly Mount[],
  trees: readonly string[],
  options: { allowMissing: boolean },
): Promise<Map<string, MountIdentity> | undefined> {
  if (!SWAP_IMMUNE) return undefined;
  const ids = new Map<string, MountIdentity>();
  for (const mount of mounts) {
    try {
      const id = await identify(
        mount.source,
        trees.some((tree) => isSameOrInside(tree, mount.source)),
      );
      ids.set(mount.target, id);
    } catch (error) {
      if (options.allowMissing && (error as { code?: string }).code === 'ENOENT') continue;
      const why = error instanceof UnsafePathError ? error.detail : String((error as { code?: string }).code ?? error);
      throw new EnvironmentError(`mount source ${mount.source} changed since it was checked (${why}): nothing was started; run again`);
    }
  }
  return ids;
}

async function identify(source: string, inTree: boolean): Promise<MountIdentity> {
  let handle: FileHandle;
  if (inTree) {
    const root = await TreeDir.openRoot('/');
    try {
      const found = await walkBeneath(
        root,
        source.split('/').filter((part) => part !== ''),
        { followFinal: false, noLinks: true },
      );
      try {
        if (found.name === undefined) throw new UnsafePathError(source, 'not-file');
        const info = await found.parent.lstat(found.name);
        if (info === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
        if (info.isDirectory()) {
          const dir = await found.parent.openDir(found.name);
          try {
            return await statIdentity(dir);
          } finally {
            await dir.close();
          }
        }
        handle = await found.parent.openFile(found.name);
      } finally {
        if (found.parent !== root) await found.parent.close();
      }
    } finally {
      await root.close();
    }
  } else {
    handle = await open(path.resolve(source), constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  }
  return statIdentity(handle);
}

/** dev/ino of an open file or directory (closed afterwards); anything else is refused. */
async function statIdentity(handle: FileHandle | TreeDir): Promise<MountIdentity> {
  try {
    const info = await (handle instanceof TreeDir ? handle.statBig() : handle.stat({ bigint: true }));
    if (!info.isFile() && !info.isDirectory()) throw new UnsafePathError('mount source', 'not-file');
    return { dev: info.dev.toString(), ino: info.ino.toString(), kind: info.isDirectory() ? 'dir' : 'file' };
  } finally {
    if (!(handle instanceof TreeDir)) await handle.close();
  }
}
