import type { Mount } from '../run/mount-spec.js';

/** One mount as recorded in the session's label: [source, target, "ro"|"rw"]. */
export type MountEntry = [string, string, 'ro' | 'rw'];

function toEntry(mount: Mount): MountEntry {
  return [mount.origin ?? mount.source, mount.target, mount.readonly ? 'ro' : 'rw'];
}

const key = (entry: readonly string[]) => JSON.stringify(entry);

/**
 * The mounts a user asks for: workdirs and other /app paths, the Codex home and what is
 * mounted into it. Per-run state (egress logs) and CA files are policy, not compared.
 */
export function isComparedMount(mount: Mount): boolean {
  return mount.target.startsWith('/app/') || mount.target === '/codex_home' || mount.target.startsWith('/codex_home/');
}

function toEntries(mounts: readonly Mount[]): MountEntry[] {
  return mounts
    .filter(isComparedMount)
    .map(toEntry)
    .sort((a, b) => key(a).localeCompare(key(b)));
}

/** Canonical (sorted) JSON of the compared mounts: equal sets give equal strings. */
export function serializeMountSet(mounts: readonly Mount[]): string {
  return JSON.stringify(toEntries(mounts));
}

/** Parses a label written by serializeMountSet; anything else is an unknown set. */
export function parseMountSet(label: string): MountEntry[] | undefined {
  try {
    const parsed = JSON.parse(label) as unknown;
    if (!Array.isArray(parsed)) return undefined;
    const valid = parsed.every(
      (entry) =>
        Array.isArray(entry) &&
        entry.length === 3 &&
        typeof entry[0] === 'string' &&
        typeof entry[1] === 'string' &&
        (entry[2] === 'ro' || entry[2] === 'rw'),
    );
    return valid ? (parsed as MountEntry[]) : undefined;
  } catch {
    return undefined;
  }
}

export interface MountDiff {
  same: boolean;
  /** Asked for now, missing from the session. */
  missing: MountEntry[];
  /** In the session, not asked for now. */
  extra: MountEntry[];
}

/** Compares the session's recorded mounts (label text) with the ones asked for now. */
export function compareMountSets(sessionLabel: string, asked: readonly Mount[]): MountDiff {
  const wanted = toEntries(asked);
  const existing = parseMountSet(sessionLabel);
  if (existing === undefined) return { same: false, missing: wanted, extra: [] };
  const have = new Set(existing.map(key));
  const want = new Set(wanted.map(key));
  const missing = wanted.filter((entry) => !have.has(key(entry)));
  const extra = existing.filter((entry) => !want.has(key(entry)));
  return { same: missing.length === 0 && extra.length === 0, missing, extra };
}

/** One line: "not mounted: A -> /app/A; mounted but not asked for: B -> /app/B". */
export function describeMountDiff(diff: MountDiff): string {
  const show = (entries: MountEntry[]) =>
    entries.map(([source, target, mode]) => `${source} -> ${target}${mode === 'ro' ? ' (ro)' : ''}`).join(', ');
  const parts: string[] = [];
  if (diff.missing.length > 0) parts.push(`not mounted: ${show(diff.missing)}`);
  if (diff.extra.length > 0) parts.push(`mounted but not asked for: ${show(diff.extra)}`);
  return parts.join('; ');
}

/** The host Codex home a session was created with: its /codex_home mount, else the workdir's default. */
export function sessionCodexHome(record: { mounts: string; workdir: string }): string | undefined {
  const home = parseMountSet(record.mounts)?.find(([, target]) => target === '/codex_home')?.[0];
  if (home !== undefined) return home;
  return record.workdir === '' ? undefined : `${record.workdir.replace(/\/+$/, '')}/.codex/.environment`;
}

/**
 * Every host tree a session's agent can write (R101): its workdirs, its writable mounts and
 * its Codex home. What the launcher writes there afterwards is walked beneath them.
 */
export function sessionWritableTrees(record: { mounts: string; workdir: string; workdirs: readonly string[] }): string[] {
  const writable = (parseMountSet(record.mounts) ?? []).filter(([, , mode]) => mode === 'rw').map(([source]) => source);
  const home = sessionCodexHome(record);
  const trees = [record.workdir, ...record.workdirs, ...writable, ...(home === undefined ? [] : [home])];
  return [...new Set(trees.filter((tree) => tree.startsWith('/')).map((tree) => tree.replace(/(.)\/+$/, '$1')))];
}
