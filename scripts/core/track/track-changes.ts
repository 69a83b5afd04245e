import { escapeTerminalText } from '../terminal-text.js';

/** What changed in the workdir during a run, and how it is shown (`git diff --stat` style). */

export type ChangeKind = 'added' | 'modified' | 'deleted';

export interface ChangedFile {
  path: string;
  kind: ChangeKind;
  /** Line counts when known (from git); undefined for binary files or snapshot comparisons. */
  added?: number;
  removed?: number;
}

/** One entry of a workspace snapshot (path relative to the workdir, '/'-separated). */
export interface SnapshotEntry {
  size: number;
  mtimeMs: number;
  /**
   * ctime and inode from the same lstat: the agent can rewrite a file and put back its size
   * and mtime (`touch -d`), but it cannot set ctime, and a file replaced by rename has a new inode.
   */
  ctimeMs: number;
  ino: number;
  /** 'file' or 'link' (directories and special files are not listed). */
  type: string;
  /** st_mode, for the executable bit. */
  mode?: number;
}

export type Snapshot = ReadonlyMap<string, SnapshotEntry>;

/** Paths never tracked or listed: git's own data and the launcher's (Codex home, reports). */
export const UNTRACKED_TOP_LEVEL: readonly string[] = ['.git', '.codex'];

/** True when a workdir-relative path lies in a directory that is never tracked. */
export function isExcludedPath(relative: string, extra: readonly string[] = []): boolean {
  const parts = relative.split('/');
  // Any case: git refuses `.GIT` too (and it is `.git` on a case-insensitive file system).
  if (parts.some((part) => part.toLowerCase() === '.git')) return true;
  if (parts[0] !== undefined && UNTRACKED_TOP_LEVEL.includes(parts[0])) return true;
  return extra.some((prefix) => relative === prefix || relative.startsWith(`${prefix}/`));
}

/** Files added, deleted or changed (size, mtime, ctime, inode or type) between two snapshots, sorted by path. */
export function compareSnapshots(before: Snapshot, after: Snapshot): ChangedFile[] {
  const changes: ChangedFile[] = [];
  for (const [file, entry] of after) {
    const old = before.get(file);
    if (old === undefined) changes.push({ path: file, kind: 'added' });
    else if (
      old.size !== entry.size ||
      old.mtimeMs !== entry.mtimeMs ||
      old.ctimeMs !== entry.ctimeMs ||
      old.ino !== entry.ino ||
      old.type !== entry.type
    ) {
      changes.push({ path: file, kind: 'modified' });
    }
  }
  for (const file of before.keys()) if (!after.has(file)) changes.push({ path: file, kind: 'deleted' });
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Parses `git diff --numstat -z --no-renames A B` joined with `--name-status -z`:
 * numstat gives the counts ("-" for binary), name-status the kind.
 */
export function parseGitChanges(numstatZ: string, nameStatusZ: string): ChangedFile[] {
  const kinds = new Map<string, ChangeKind>();
  const status = nameStatusZ.split('\0');
  for (let index = 0; index + 1 < status.length; index += 2) {
    const code = status[index] ?? '';
    const file = status[index + 1] ?? '';
    kinds.set(file, code.startsWith('A') ? 'added' : code.startsWith('D') ? 'deleted' : 'modified');
  }
  const changes: ChangedFile[] = [];
  for (const record of numstatZ.split('\0')) {
    const match = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(record);
    if (match === null) continue;
    const file = match[3] ?? '';
    changes.push({
      path: file,
      kind: kinds.get(file) ?? 'modified',
      ...(match[1] === '-' ? {} : { added: Number(match[1]), removed: Number(match[2]) }),
    });
  }
  return changes;
}

/** Escapes control characters so a file name cannot forge lines in a report or terminal (R100). */
export const printablePath = escapeTerminalText;

/**
 * ` path | +3 -1` lines plus a total, like `git diff --stat`; the kind is named when there
 * are no line counts (binary files, or a snapshot comparison).
 */
export function formatChangeList(changes: readonly ChangedFile[]): string[] {
  if (changes.length === 0) return ['(no files changed)'];
  const names = changes.map((change) => printablePath(change.path));
  const width = Math.min(60, Math.max(...names.map((name) => name.length)));
  const lines = changes.map((change, index) => {
    const counts =
      change.added === undefined
        ? change.kind
        : `${change.kind === 'modified' ? '' : `${change.kind} `}+${change.added} -${change.removed ?? 0}`;
    return ` ${(names[index] ?? '').padEnd(width)} | ${counts}`;
  });
  const added = changes.reduce((sum, change) => sum + (change.added ?? 0), 0);
  const removed = changes.reduce((sum, change) => sum + (change.removed ?? 0), 0);
  const known = changes.some((change) => change.added !== undefined);
  const noun = changes.length === 1 ? 'file' : 'files';
  lines.push(` ${changes.length} ${noun} changed${known ? `, ${added} insertions(+), ${removed} deletions(-)` : ''}`);
  return lines;
}

/** Name of the tracking git directory of a workdir: 16 hex of sha256(realpath). */
export function trackDirName(workdirHash: string): string {
  return `${workdirHash.slice(0, 16)}.git`;
}

/** Ref names of one tracked run in the tracking repository. */
export function trackRefs(runId: string): { before: string; after: string } {
  return { before: `refs/codex-runs/${runId}/before`, after: `refs/codex-runs/${runId}/after` };
}

const RUN_ID = /^[0-9a-f]{8}$/;

/** A run id as the launcher makes them (8 hex). */
export function isRunId(text: string): boolean {
  return RUN_ID.test(text);
}
