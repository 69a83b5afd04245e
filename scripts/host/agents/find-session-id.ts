import path from 'node:path';
import type { ResumeSpec } from '../../core/agents/agent-spec.js';
import { isSessionDatePart, readSessionId } from '../../core/agents/resume-hint.js';
import type { TreeDir } from '../tree/safe-tree.js';
import { openHostDir } from '../tree/tree-paths.js';

/** Names read from one directory of the sessions tree: more is refused, nothing found (R101). */
const MAX_ENTRIES = 4096;
/** Date directories entered per level, newest first: a run that crossed midnight wrote in its first day's. */
const NEWEST_DIRS = 2;

const decode = (name: Buffer): string | undefined => {
  const text = name.toString('utf8');
  return Buffer.from(text, 'utf8').equals(name) ? text : undefined;
};

interface Found {
  id: string;
  mtimeMs: number;
}

/** The newest matching regular file (no symlink) in `dir` modified at or after `since`. */
async function findInDir(dir: TreeDir, resume: ResumeSpec, since: number): Promise<Found | undefined> {
  let best: Found | undefined;
  for (const entry of await dir.readdir(MAX_ENTRIES)) {
    const name = decode(entry.name);
    const id = name === undefined || !entry.isFile() ? undefined : readSessionId(name, resume);
    if (id === undefined) continue;
    const info = await dir.lstat(entry.name);
    if (info === undefined || !info.isFile() || info.mtimeMs < since) continue;
    if (best === undefined || info.mtimeMs > best.mtimeMs) best = { id, mtimeMs: info.mtimeMs };
  }
  return best;
}

async function searchLevel(dir: TreeDir, resume: ResumeSpec, since: number, depth: number): Promise<Found | undefined> {
  if (depth === 0) return findInDir(dir, resume, since);
  const parts = (await dir.readdir(MAX_ENTRIES))
    .filter((entry) => entry.isDirectory())
    .map((entry) => decode(entry.name))
    .filter((name): name is string => name !== undefined && isSessionDatePart(name))
    .sort((a, b) => Number(b) - Number(a))
    .slice(0, NEWEST_DIRS);
  let best: Found | undefined;
  for (const part of parts) {
    const child = await dir.openDir(part).catch(() => undefined); // a link or gone since: not entered
    if (child === undefined) continue;
    try {
      const found = await searchLevel(child, resume, since, depth - 1);
      if (found !== undefined && (best === undefined || found.mtimeMs > best.mtimeMs)) best = found;
    } finally {
      await child.close();
    }
  }
  return best;
}

/**
 * The id of the conversation an interactive run left (ResumeSpec): the newest session file
 * written since `since` (epoch ms) in `sessionsDir`, an agent-writable tree — read by name and
 * lstat only, through descriptors, never following a link, a bounded number of names per
 * directory (R101). Undefined when there is none, or on any doubt.
 */
export async function findSessionId(
  sessionsDir: string,
  trees: readonly string[],
  resume: ResumeSpec,
  since: number,
): Promise<string | undefined> {
  let root: TreeDir;
  try {
    root = (await openHostDir(path.resolve(sessionsDir), trees)).dir;
  } catch {
    return undefined;
  }
  try {
    return (await searchLevel(root, resume, since, resume.depth))?.id;
  } catch {
    return undefined;
  } finally {
    await root.close();
  }
}
