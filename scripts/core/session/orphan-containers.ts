import { LABELS } from '../run/container-identity.js';

/** Labels that mark a container meant to outlive its launcher (kept sessions): never reaped. */
export const KEEP_LABELS: readonly string[] = ['codex-sandbox.session', 'codex-sandbox.keep'];

/** Only containers older than this are reaped, so a launcher that just started is never raced. */
export const ORPHAN_MIN_AGE_MS = 30_000;

export interface ContainerRow {
  id: string;
  name: string;
  launcherPid: number | undefined;
  createdMs: number | undefined;
  kept: boolean;
}

/** `docker ps --format` template matching parseContainerRows (tab separated). */
export function orphanQueryFormat(): string {
  const keep = KEEP_LABELS.map((label) => `{{.Label "${label}"}}`).join('');
  return `{{.ID}}\t{{.Names}}\t{{.Label "${LABELS.launcherPid}"}}\t{{.CreatedAt}}\t${keep}`;
}

/** Docker prints CreatedAt as `2025-11-22 19:13:00 +0000 UTC`, Podman with nanoseconds (`19:13:00.123456789`). */
function parseCreatedAt(text: string): number | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.\d+)? ([+-]\d{2})(\d{2})/.exec(text.trim());
  if (match === null) return undefined;
  const ms = Date.parse(`${match[1]}T${match[2]}${match[3]}:${match[4]}`);
  return Number.isNaN(ms) ? undefined : ms;
}

export function parseContainerRows(text: string): ContainerRow[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id = '', name = '', pid = '', created = '', keep = ''] = line.split('\t');
      const launcherPid = /^[1-9][0-9]{0,9}$/.test(pid) ? Number(pid) : undefined;
      return { id, name, launcherPid, createdMs: parseCreatedAt(created), kept: keep.trim() !== '' };
    });
}

/**
 * Containers whose launcher (on this host) is gone: not kept, old enough, with a launcher
 * pid the host reported dead. Unknown pid or age: left alone (never remove by guess).
 */
export function selectOrphans(rows: readonly ContainerRow[], deadPids: ReadonlySet<number>, nowMs: number): ContainerRow[] {
  return rows.filter(
    (row) =>
      !row.kept &&
      row.launcherPid !== undefined &&
      deadPids.has(row.launcherPid) &&
      row.createdMs !== undefined &&
      nowMs - row.createdMs >= ORPHAN_MIN_AGE_MS,
  );
}
