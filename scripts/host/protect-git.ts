import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../core/errors.js';

/**
 * `--protect-git`: the `.git` (directory, or the file of a worktree/submodule) of each
 * workdir, to be mounted read-only in place. A workdir without one only gets a warning;
 * a symlinked `.git` is refused (the mount would land wherever the link points).
 */
export async function resolveProtectedGit(workdirs: readonly string[]): Promise<{ paths: string[]; warnings: string[] }> {
  const paths: string[] = [];
  const warnings: string[] = [];
  for (const workdir of workdirs) {
    const gitEntry = path.join(workdir, '.git');
    const info = await lstat(gitEntry).catch(() => undefined);
    if (info === undefined) {
      warnings.push(`--protect-git: ${workdir} has no .git, nothing to protect there`);
    } else if (info.isSymbolicLink()) {
      throw new UsageError(`--protect-git: ${gitEntry} is a symlink and cannot be protected in place: replace it with the directory or drop --protect-git`);
    } else if (info.isDirectory() || info.isFile()) {
      paths.push(gitEntry);
    } else {
      throw new UsageError(`--protect-git: ${gitEntry} is neither a directory nor a file: remove it or drop --protect-git`);
    }
  }
  return { paths, warnings };
}
