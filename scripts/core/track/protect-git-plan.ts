import path from 'node:path';
import { isSameOrInside, isStrictlyInside } from '../run/path-rules.js';

/** The git directory a `.git` file (worktree, submodule) names: `gitdir: PATH` on its first line. */
export function parseGitFile(text: string): string | undefined {
  const match = /^gitdir: (.+)$/m.exec(text.split('\n')[0] ?? '');
  const target = match?.[1]?.replace(/\r$/, '');
  return target === undefined || target === '' || target.includes('\0') ? undefined : target;
}

/**
 * What `--protect-git` mounts (R105), from every `.git` found in the workdirs and every git
 * directory a `.git` file points to: read-only, each of them (a git directory outside every
 * workdir is not visible in the sandbox; one inside a protected `.git` is covered by it).
 * `pinned`: every directory between a workdir and a protected path, bound onto itself
 * (writable): a mount point cannot be renamed, so the agent cannot move a nested repository
 * away and put a repository of its own (with a hook or `core.fsmonitor` that the user's next
 * `git status` would run) at the same place.
 */
export function planProtectedGit(
  workdirs: readonly string[],
  entries: readonly string[],
  gitdirs: readonly string[],
): { readOnly: string[]; pinned: string[] } {
  const inWorkdir = (candidate: string) => workdirs.find((dir) => isStrictlyInside(dir, candidate));
  const readOnly = [...new Set(entries)];
  for (const gitdir of gitdirs) {
    if (inWorkdir(gitdir) === undefined) continue;
    if (readOnly.some((entry) => isSameOrInside(entry, gitdir))) continue;
    readOnly.push(gitdir);
  }
  const covered = (dir: string) => readOnly.some((entry) => isSameOrInside(entry, dir));
  const pinned = new Set<string>();
  for (const entry of readOnly) {
    const workdir = inWorkdir(entry);
    if (workdir === undefined) continue;
    for (let dir = path.dirname(entry); dir !== workdir && isStrictlyInside(workdir, dir); dir = path.dirname(dir)) {
      if (!covered(dir)) pinned.add(dir);
    }
  }
  const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    readOnly: readOnly.filter((entry) => !readOnly.some((other) => other !== entry && isStrictlyInside(other, entry))).sort(byPath),
    pinned: [...pinned].sort(byPath),
  };
}
