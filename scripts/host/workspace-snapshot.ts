import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { isExcludedPath, type Snapshot, type SnapshotEntry } from '../core/track-changes.js';

/**
 * Every file and symlink below `root` (symlinks are never followed), with size and mtime,
 * keyed by '/'-separated relative path; `.git` anywhere, top-level `.codex` and `exclude`
 * (relative prefixes, e.g. a report directory inside the workdir) are left out.
 */
export async function snapshotWorkspace(root: string, exclude: readonly string[] = []): Promise<Snapshot> {
  const entries = new Map<string, SnapshotEntry>();
  const walk = async (relativeDir: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(path.join(root, relativeDir));
    } catch {
      return; // unreadable or vanished directory: nothing to record
    }
    for (const name of names.sort()) {
      const relative = relativeDir === '' ? name : `${relativeDir}/${name}`;
      if (isExcludedPath(relative, exclude)) continue;
      let info;
      try {
        info = await lstat(path.join(root, relative));
      } catch {
        continue;
      }
      if (info.isDirectory()) await walk(relative);
      else {
        const type = info.isFile() ? 'file' : info.isSymbolicLink() ? 'link' : 'other';
        if (type === 'other') continue;
        entries.set(relative, { size: info.size, mtimeMs: info.mtimeMs, type, mode: info.mode });
      }
    }
  };
  await walk('');
  return entries;
}
