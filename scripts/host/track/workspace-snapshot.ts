import { isExcludedPath, type Snapshot, type SnapshotEntry } from '../../core/track/track-changes.js';
import { TreeDir, type Name } from '../tree/safe-tree.js';
import { walkTree } from '../tree/tree-walk.js';

/** One file or symlink met by walkWorkspace, with the directory that holds it (open during the visit). */
export interface WorkspaceFile {
  relative: string;
  entry: SnapshotEntry;
  dir: TreeDir;
  name: Name;
}

/**
 * Every file and symlink below `root` through directory descriptors (R101): symlinks are
 * never followed (nor entered), special files are left out, `.git` anywhere, top-level
 * `.codex` and `exclude` (relative prefixes, e.g. a report directory inside the workdir)
 * are skipped. `onFile` runs while the entry's directory is open (to read it safely);
 * names that are not UTF-8 go to `onSkipped`.
 */
export async function walkWorkspace(
  root: string,
  exclude: readonly string[],
  onFile: (file: WorkspaceFile) => Promise<void>,
  onSkipped?: (relative: string, why: string) => void,
  concurrency = 1,
): Promise<void> {
  const rootDir = await TreeDir.openRoot(root);
  try {
    await walkTree(rootDir, {
      onSkipped,
      concurrency,
      async visit({ relative, dir, name, dirent }) {
        if (isExcludedPath(relative, exclude)) return 'skip';
        if (dirent.isDirectory()) return undefined;
        if (!dirent.isFile() && !dirent.isSymbolicLink()) return 'skip';
        const info = await dir.lstat(name);
        if (info === undefined || (!info.isFile() && !info.isSymbolicLink())) return 'skip';
        const type = info.isFile() ? 'file' : 'link';
        await onFile({
          relative,
          dir,
          name,
          entry: { size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, ino: info.ino, type, mode: info.mode },
        });
        return undefined;
      },
    });
  } finally {
    await rootDir.close();
  }
}

/** Size, mtime, ctime, inode, type and mode of every file and symlink (see walkWorkspace), keyed by '/'-separated relative path. */
export async function snapshotWorkspace(root: string, exclude: readonly string[] = []): Promise<Snapshot> {
  const entries = new Map<string, SnapshotEntry>();
  await walkWorkspace(
    root,
    exclude,
    async (file) => {
      entries.set(file.relative, file.entry);
    },
    undefined,
    16,
  );
  return new Map([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
