import path from 'node:path';

/** What lstat says about a path (never following a final symlink). */
export type EntryKind = 'dir' | 'file' | 'link' | 'other' | 'missing';

export interface PulledEntry {
  /** Relative to the temporary extraction directory; parents come before children. */
  relative: string;
  kind: Exclude<EntryKind, 'missing'>;
}

export type PullAction =
  | { kind: 'mkdir'; relative: string }
  | { kind: 'move'; relative: string }
  /** --force: remove the file or link in the way first (never a directory). */
  | { kind: 'replace'; relative: string; dir: boolean };

export interface PullPlan {
  actions: PullAction[];
  /** Host paths (relative to DEST_DIR) that already exist and would be overwritten. */
  conflicts: string[];
  /** Never done, even with --force: a file would replace a whole directory. */
  refused: string[];
  /** Devices, fifos, sockets: left out. */
  skipped: string[];
}

/**
 * Merges the extracted tree into DEST_DIR. `dest` holds lstat kinds of DEST_DIR/<relative>;
 * below a path that is not a real directory on the host, the host's facts are ignored
 * (lstat there would have looked through a symlink): those paths are created fresh.
 */
export function planPull(entries: readonly PulledEntry[], dest: ReadonlyMap<string, EntryKind>, force: boolean): PullPlan {
  const plan: PullPlan = { actions: [], conflicts: [], refused: [], skipped: [] };
  const fresh = new Set<string>();
  for (const entry of entries) {
    const parent = path.dirname(entry.relative);
    const existing: EntryKind = fresh.has(parent) ? 'missing' : (dest.get(entry.relative) ?? 'missing');
    if (entry.kind === 'other') {
      plan.skipped.push(entry.relative);
      continue;
    }
    if (entry.kind === 'dir') {
      if (existing === 'dir') continue;
      fresh.add(entry.relative);
      if (existing === 'missing') {
        plan.actions.push({ kind: 'mkdir', relative: entry.relative });
        continue;
      }
      plan.conflicts.push(entry.relative);
      plan.actions.push({ kind: 'replace', relative: entry.relative, dir: true });
      continue;
    }
    if (existing === 'missing') {
      plan.actions.push({ kind: 'move', relative: entry.relative });
    } else if (existing === 'dir') {
      plan.refused.push(entry.relative);
    } else {
      plan.conflicts.push(entry.relative);
      plan.actions.push({ kind: 'replace', relative: entry.relative, dir: false });
    }
  }
  if (!force && plan.conflicts.length > 0) plan.actions = [];
  return plan;
}
