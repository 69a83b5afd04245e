import type { Stats } from 'node:fs';
import { lstat, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { isSameOrInside } from '../../core/run/path-rules.js';
import { TreeDir } from './safe-tree.js';
import { UnsafePathError } from './unsafe-path-error.js';

/**
 * Host paths that may lead into a tree the agent can write (R102). Such a path is resolved
 * once: the part outside every tree as the user's own path (their symlinks are theirs), and
 * from the point where it enters a tree "beneath" that tree's root: component by component
 * through directory descriptors, where a symlink may only lead to another place inside the
 * same tree (expanded by us, never by the kernel) and `..` never climbs above the root.
 */

const MAX_LINKS = 40;

/** Where an absolute host path lies: inside an agent tree (its root + the rest), or outside. */
export type Located = { kind: 'tree'; root: string; rest: string[] } | { kind: 'outside'; path: string };

const split = (text: string) => text.split('/').filter((part) => part !== '' && part !== '.');

/** Outermost tree (shortest root) that contains `candidate`. */
function treeOf(candidate: string, trees: readonly string[]): string | undefined {
  return [...trees].sort((a, b) => a.length - b.length).find((root) => isSameOrInside(root, candidate));
}

/**
 * Walks `absolute` from `/` the way the kernel would, but stops at the first component that
 * lies in one of `trees` (absolute, symlink-free roots): the rest is returned unresolved
 * for walkBeneath. A missing component ends the walk (the rest is appended as written).
 */
export async function locateHostPath(absolute: string, trees: readonly string[]): Promise<Located> {
  const queue = split(path.resolve(absolute));
  let current = '/';
  let links = 0;
  if (treeOf('/', trees) !== undefined) return { kind: 'tree', root: '/', rest: queue };
  while (queue.length > 0) {
    const part = queue.shift() ?? '';
    if (part === '..') {
      current = path.dirname(current);
      continue;
    }
    const next = path.join(current, part);
    if (treeOf(next, trees) !== undefined) return { kind: 'tree', root: next, rest: queue };
    const info = await lstat(next).catch(() => undefined);
    if (info === undefined) return { kind: 'outside', path: path.join(next, ...queue) };
    if (!info.isSymbolicLink()) {
      current = next;
      continue;
    }
    if ((links += 1) > MAX_LINKS) throw new UnsafePathError(absolute, 'loop');
    const target = await readlink(next);
    queue.unshift(...split(target));
    if (path.isAbsolute(target)) current = '/';
  }
  return { kind: 'outside', path: current };
}

export interface WalkOptions {
  /** Follow a final symlink (beneath the root); false returns the link itself. */
  followFinal: boolean;
  /** Refuse every symlink on the way (places the launcher writes to or creates). */
  noLinks?: boolean;
  /** Create missing directories with this mode (and owner, for the root launcher). */
  createDirs?: { mode: number; owner?: { uid: number; gid: number } };
  /** The final component is a directory to open (created too with createDirs). */
  finalDir?: boolean;
}

export interface BeneathResult {
  /** The directory holding the final component (the root itself when `name` is undefined). */
  parent: TreeDir;
  name?: string;
  /** Physical, symlink-free host path of the result. */
  physical: string;
}

/**
 * Resolves `rest` beneath the open `root` (see the module comment). `followFinal: false`
 * returns a final symlink itself. `createDirs` makes missing intermediate directories (and
 * the final one when `finalDir`). The caller owns (and closes) the returned parent.
 */
export async function walkBeneath(
  root: TreeDir,
  rest: readonly string[],
  options: WalkOptions = { followFinal: true },
): Promise<BeneathResult> {
  const queue = [...rest];
  const stack: TreeDir[] = [];
  const names: string[] = [];
  const current = () => stack[stack.length - 1] ?? root;
  const popAll = async () => {
    for (const dir of stack.splice(0)) await dir.close();
    names.splice(0);
  };
  let links = 0;
  try {
    while (queue.length > 0) {
      const part = queue.shift() ?? '';
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (names.length === 0) throw new UnsafePathError(root.path, 'link-out');
        await stack.pop()?.close();
        names.pop();
        continue;
      }
      const dir = current();
      const last = queue.length === 0;
      const info = await dir.lstat(part);
      if (info?.isSymbolicLink() === true && (!last || options.followFinal)) {
        if (options.noLinks === true) throw new UnsafePathError(dir.child(part), 'link');
        if ((links += 1) > MAX_LINKS) throw new UnsafePathError(dir.child(part), 'loop');
        const target = (await dir.readLink(part)).toString('utf8');
        if (path.isAbsolute(target)) {
          if (!isSameOrInside(root.path, target)) throw new UnsafePathError(dir.child(part), 'link-out');
          await popAll();
          queue.unshift(...split(path.relative(root.path, target)));
        } else {
          queue.unshift(...target.split('/'));
        }
        continue;
      }
      if (last && !(options.finalDir === true && (info === undefined || info.isDirectory()))) {
        return { parent: await takeCurrent(stack, root), name: part, physical: path.join(root.path, ...names, part) };
      }
      const create = options.createDirs === undefined ? undefined : { mode: options.createDirs.mode };
      const created = info === undefined && create !== undefined;
      const next = await dir.openDir(part, create);
      if (created && options.createDirs?.owner !== undefined) await next.chown(options.createDirs.owner.uid, options.createDirs.owner.gid);
      stack.push(next);
      names.push(part);
    }
    return { parent: await takeCurrent(stack, root), physical: path.join(root.path, ...names) };
  } catch (error) {
    await popAll();
    throw error;
  }
}

/** The deepest open directory, handed to the caller; the intermediate ones are closed. */
async function takeCurrent(stack: TreeDir[], root: TreeDir): Promise<TreeDir> {
  const last = stack.pop();
  for (const dir of stack.splice(0)) await dir.close();
  return last ?? root;
}

/**
 * Opens a directory given as a host path, creating missing components when asked. No
 * symlink is followed anywhere on the way (the launcher writes there): the user's own links
 * outside the trees are resolved first (locateHostPath), then the physical path is walked
 * from `/` component by component.
 */
export async function openHostDir(
  absolute: string,
  trees: readonly string[],
  create?: { mode: number; owner?: { uid: number; gid: number } },
): Promise<{ dir: TreeDir; physical: string }> {
  return openPhysicalDir(await physicalOf(absolute, trees), create);
}

/** The symlink-free path `absolute` names: the user's links outside the trees resolved, the rest as written. */
async function physicalOf(absolute: string, trees: readonly string[]): Promise<string> {
  const located = await locateHostPath(absolute, trees);
  return located.kind === 'outside' ? located.path : path.join(located.root, ...located.rest);
}

/** Opens (creates) a directory given as a physical path from `/`, refusing a symlink anywhere. */
async function openPhysicalDir(
  physical: string,
  create?: { mode: number; owner?: { uid: number; gid: number } },
): Promise<{ dir: TreeDir; physical: string }> {
  const rootDir = await TreeDir.openRoot('/');
  try {
    const found = await walkBeneath(rootDir, split(physical), { followFinal: true, noLinks: true, createDirs: create, finalDir: true });
    if (found.name !== undefined) {
      if (found.parent !== rootDir) await found.parent.close();
      throw new UnsafePathError(found.physical, 'not-dir');
    }
    if (found.parent !== rootDir) await rootDir.close();
    return { dir: found.parent, physical: found.physical };
  } catch (error) {
    await rootDir.close();
    throw error;
  }
}

/** What a host path is, resolved as above (missing: undefined); the stat is of the opened object. */
export interface HostEntry {
  physical: string;
  info: Stats;
  inTree: boolean;
}

/** lstat of the resolved host path (`followFinal`: a final symlink in a tree is followed beneath it). */
export async function statHostPath(absolute: string, trees: readonly string[], followFinal = true): Promise<HostEntry | undefined> {
  return withHostBase(absolute, trees, (statBelow) => statBelow('', followFinal));
}

/** statHostPath of `relative` ('/'-separated, '' for the base itself) below a base located once. */
export type StatBelow = (relative: string, followFinal?: boolean) => Promise<HostEntry | undefined>;

/**
 * Locates `base` once and opens its tree's root once for every statHostPath below it (the
 * prompts: up to READ_LIMITS.promptFiles files), with exactly statHostPath's answers.
 */
export async function withHostBase<T>(base: string, trees: readonly string[], use: (statBelow: StatBelow) => Promise<T>): Promise<T> {
  const located = await locateHostPath(base, trees);
  if (located.kind === 'outside') {
    return use(async (relative, followFinal = true) => {
      if (relative !== '') return statHostPath(path.join(located.path, relative), trees, followFinal);
      const info = await (followFinal ? stat : lstat)(located.path).catch(() => undefined);
      return info === undefined ? undefined : { physical: located.path, info, inTree: false };
    });
  }
  let rootDir: TreeDir;
  try {
    rootDir = await TreeDir.openRoot(located.root);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return use(async () => undefined);
    throw error;
  }
  try {
    return await use((relative, followFinal = true) => statBeneath(rootDir, [...located.rest, ...split(relative)], followFinal));
  } finally {
    await rootDir.close();
  }
}

async function statBeneath(rootDir: TreeDir, rest: readonly string[], followFinal: boolean): Promise<HostEntry | undefined> {
  try {
    const found = await walkBeneath(rootDir, rest, { followFinal });
    try {
      const info = found.name === undefined ? await found.parent.stat() : await found.parent.lstat(found.name);
      return info === undefined ? undefined : { physical: found.physical, info, inTree: true };
    } finally {
      if (found.parent !== rootDir) await found.parent.close();
    }
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * A directory the launcher will create or write to (the Codex home, the sessions directory,
 * a report directory), checked now without creating anything: the existing part must be
 * real directories (no symlink anywhere on the way, R101). Returns its physical path.
 */
export async function probeHostDir(absolute: string, trees: readonly string[]): Promise<{ physical: string; exists: boolean }> {
  const physical = await physicalOf(absolute, trees);
  try {
    const { dir } = await openPhysicalDir(physical);
    await dir.close();
    return { physical, exists: true };
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return { physical, exists: false };
    throw error;
  }
}

/**
 * Writes `name` in the directory `dir` (a host path, created when missing) without following
 * a link anywhere on the way, through a temporary file renamed into place (R101): for files
 * the launcher writes into a tree the agent can write after the agent ran.
 */
export async function writeHostFile(
  dir: string,
  name: string,
  data: string | Uint8Array,
  trees: readonly string[],
  mode = 0o644,
): Promise<void> {
  const { dir: target } = await openHostDir(dir, trees, { mode: 0o755 });
  try {
    await target.writeFile(name, data, { replace: true, mode });
  } finally {
    await target.close();
  }
}
