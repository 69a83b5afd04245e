import path from 'node:path';
import { UsageError } from '../../core/errors.js';
import { planProtectedGit, parseGitFile } from '../../core/track/protect-git-plan.js';
import { READ_LIMITS } from '../../core/read-limits.js';
import { escapeTerminalText } from '../../core/terminal-text.js';
import { isSameOrInside } from '../../core/run/path-rules.js';
import { TreeDir } from '../tree/safe-tree.js';
import { UnsafePathError } from '../tree/unsafe-path-error.js';
import { probeHostDir } from '../tree/tree-paths.js';
import { walkTree } from '../tree/tree-walk.js';

export interface ProtectedGit {
  /** `.git` entries and the git directories `.git` files point to: mounted read-only in place. */
  paths: string[];
  /** Directories between a workdir and a nested one: bound onto themselves so they cannot be renamed away. */
  pinned: string[];
  warnings: string[];
}

/**
 * `--protect-git` (R105): every `.git` in every workdir — the workdir's own, nested
 * repositories, submodules and worktrees inside it — and every git directory a `.git` file
 * points to inside a workdir. Found by walking each workdir through directory descriptors
 * (no symlink followed, at most READ_LIMITS.gitSearchEntries entries). A workdir without a
 * `.git` only gets a warning; a symlinked or special `.git` is refused (a mount there would
 * land wherever the link points, or could not be made).
 */
export async function resolveProtectedGit(workdirs: readonly string[]): Promise<ProtectedGit> {
  const entries: string[] = [];
  const gitdirs: string[] = [];
  const warnings: string[] = [];
  for (const workdir of workdirs) await findGitEntries(workdir, entries, gitdirs, warnings);
  // A git directory named by a `.git` file must be a real directory reached without links.
  const existing: string[] = [];
  for (const gitdir of gitdirs) {
    if (!workdirs.some((dir) => isSameOrInside(dir, gitdir))) continue;
    try {
      if ((await probeHostDir(gitdir, workdirs)).exists) existing.push(gitdir);
    } catch (error) {
      if (!(error instanceof UnsafePathError)) throw error;
      throw new UsageError(
        `--protect-git: the git directory ${escapeTerminalText(gitdir)} is reached through a symlink ` +
          'and cannot be protected in place: fix it or drop --protect-git',
      );
    }
  }
  const plan = planProtectedGit(workdirs, entries, existing);
  return { paths: plan.readOnly, pinned: plan.pinned, warnings };
}

const GIT_NAME = Buffer.from('.git');

/** Adds each `.git` of one workdir to `entries` and the targets of `.git` files to `gitdirs`. */
async function findGitEntries(workdir: string, entries: string[], gitdirs: string[], warnings: string[]): Promise<void> {
  const root = await TreeDir.openRoot(workdir);
  try {
    const top = await root.lstat('.git');
    if (top === undefined) warnings.push(`--protect-git: ${workdir} has no .git, nothing to protect there`);
    await walkTree(root, {
      maxEntries: READ_LIMITS.gitSearchEntries,
      // Every directory is searched, whatever its name: a .git below one is never missed.
      visitUndecodable: true,
      async visit({ relative, exact, dir, name, dirent }) {
        if (!name.equals(GIT_NAME)) return;
        const full = path.join(workdir, relative);
        if (!exact) {
          throw new UsageError(
            `--protect-git: ${escapeTerminalText(full)} lies below a name that is not UTF-8 and cannot be protected in place: ` +
              'rename that directory or drop --protect-git',
          );
        }
        if (dirent.isSymbolicLink()) {
          throw new UsageError(
            `--protect-git: ${escapeTerminalText(full)} is a symlink and cannot be protected in place: ` +
              'replace it with the directory or drop --protect-git',
          );
        }
        if (dirent.isDirectory()) {
          entries.push(full);
          return 'skip'; // its inside is protected as a whole
        }
        if (!dirent.isFile()) {
          throw new UsageError(
            `--protect-git: ${escapeTerminalText(full)} is neither a directory nor a file: remove it or drop --protect-git`,
          );
        }
        entries.push(full);
        const target = parseGitFile((await dir.readFile(name, READ_LIMITS.gitFile)).toString('utf8'));
        if (target !== undefined) gitdirs.push(path.resolve(path.dirname(full), target));
        return undefined;
      },
    });
  } catch (error) {
    if (error instanceof UnsafePathError && error.reason === 'too-large') {
      throw new UsageError(
        `--protect-git: ${workdir} holds more than ${READ_LIMITS.gitSearchEntries} entries to search for nested repositories: ` +
          'drop --protect-git or narrow the workdir',
      );
    }
    throw error;
  } finally {
    await root.close();
  }
}
