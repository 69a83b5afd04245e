import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stateDirOf, type HostContext } from '../host-context.js';
import { pipeline } from 'node:stream/promises';
import { UsageError } from '../../core/errors.js';
import { buildCopyOutArgs } from '../../core/session/session-docker-args.js';
import { planPull, type EntryKind, type PullAction, type PulledEntry } from '../../core/session/session-pull-plan.js';
import { escapeTerminalText } from '../../core/terminal-text.js';
import { probeDocker } from '../engine/docker.js';
import { errorCode } from '../error-code.js';
import { resolveWritableDir } from '../tree/input-path.js';
import { TreeDir } from '../tree/safe-tree.js';
import { UnsafePathError } from '../tree/unsafe-path-error.js';
import { openHostDir, walkBeneath } from '../tree/tree-paths.js';
import { walkTree } from '../tree/tree-walk.js';

const COPY_TIMEOUT_MS = 30 * 60 * 1000;

/** Where pulls are extracted first: under the user's state directory (0700), outside every tree the agent can write. */
export function pullScratchParent(ctx: Pick<HostContext, 'env' | 'home'>): string {
  const state = stateDirOf(ctx);
  return state === undefined ? os.tmpdir() : path.join(state, 'pull');
}

const isErrno = (error: unknown, code: string) => errorCode(error) === code;

/**
 * DEST_DIR as a directory the launcher writes (R101, R107): the session's workdirs are trees
 * the agent writes, so no link inside them is followed (a ./dist swapped for a link to
 * ~/.local/bin is refused, never the destination); the user's own links outside are resolved.
 */
export async function resolvePullDest(input: string, cwd: string, workdirs: readonly string[]): Promise<string> {
  const found = await resolveWritableDir(input, cwd, workdirs, (error) =>
    error.reason === 'not-dir'
      ? `pull: DEST_DIR ${JSON.stringify(input)} is not a directory: give a directory`
      : `pull: DEST_DIR ${JSON.stringify(input)} cannot be used: ${error.detail}: give the real path`,
  );
  if (!found.exists) throw new UsageError(`pull: DEST_DIR ${JSON.stringify(input)} does not exist (ENOENT): check the path`);
  return found.physical;
}

/**
 * `pull` (R107): copies CONTAINER_PATH out of the session into DEST_DIR. docker cp
 * extracts into a fresh 0700 directory outside every agent-writable tree (DEST_DIR may be
 * the session's own workdir, where the agent could swap anything while we work); every entry
 * is checked against DEST_DIR, then moved in through directory descriptors: no symlink in
 * DEST_DIR is ever followed, nothing is overwritten without --force (a file appearing
 * meanwhile stops the pull), set-uid/set-gid bits are dropped, devices and FIFOs skipped.
 */
export async function pullPath(
  container: string,
  containerPath: string,
  destination: { dest: string; trees: readonly string[] },
  force: boolean,
  scratchParent: string,
): Promise<string[]> {
  const { dest, trees } = destination;
  await mkdir(scratchParent, { recursive: true, mode: 0o700 });
  const scratch = await mkdtemp(path.join(scratchParent, 'pull-'));
  try {
    const copy = await probeDocker(buildCopyOutArgs(container, containerPath, scratch), COPY_TIMEOUT_MS);
    if (copy.exitCode !== 0) {
      if (/No such container:path|Could not find the file/i.test(copy.stderr)) {
        throw new UsageError(`pull: ${containerPath} does not exist in the session: check the path (relative paths start at the workdir)`);
      }
      throw new UsageError(`pull: docker cp failed: ${copy.stderr.trim().split('\n').pop() ?? 'unknown error'}`);
    }
    const source = await TreeDir.openRoot(scratch);
    const { dir: target } = await openHostDir(dest, [...trees, dest]);
    try {
      const entries = await listEntries(source);
      const facts = new Map<string, EntryKind>();
      for (const entry of entries) facts.set(entry.relative, await kindAt(target, entry.relative));
      const plan = planPull(entries, facts, force);
      for (const skipped of plan.skipped)
        process.stderr.write(`warning: pull: skipped ${escapeTerminalText(skipped)} (not a file, directory or link)\n`);
      if (plan.refused.length > 0) {
        throw new UsageError(
          `pull: ${path.join(dest, plan.refused[0] ?? '')} is a directory and would be replaced by a file: move it away first`,
        );
      }
      if (plan.conflicts.length > 0 && !force) {
        const shown = plan.conflicts
          .slice(0, 3)
          .map((relative) => path.join(dest, relative))
          .join(', ');
        const more = plan.conflicts.length > 3 ? ` and ${plan.conflicts.length - 3} more` : '';
        throw new UsageError(`pull: would overwrite ${shown}${more}: rerun with --force to overwrite (nothing was copied)`);
      }
      for (const action of plan.actions) await applyAction(source, target, action, dest);
      return entries.filter((entry) => !entry.relative.includes('/')).map((entry) => path.join(dest, entry.relative));
    } finally {
      await Promise.all([source.close(), target.close()]);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Every entry of the extraction, parents first ('/'-separated), never following links. */
async function listEntries(root: TreeDir): Promise<PulledEntry[]> {
  const entries: PulledEntry[] = [];
  await walkTree(root, {
    async visit({ relative, dirent }) {
      const kind: PulledEntry['kind'] = dirent.isSymbolicLink()
        ? 'link'
        : dirent.isDirectory()
          ? 'dir'
          : dirent.isFile()
            ? 'file'
            : 'other';
      entries.push({ relative, kind });
    },
    onSkipped: (relative) => process.stderr.write(`warning: pull: skipped ${escapeTerminalText(relative)} (its name is not UTF-8)\n`),
  });
  return entries;
}

/** What DEST_DIR holds at `relative`, reached with no link followed ('missing' below anything else). */
async function kindAt(root: TreeDir, relative: string): Promise<EntryKind> {
  try {
    const found = await walkBeneath(root, relative.split('/'), { followFinal: false, noLinks: true });
    try {
      const info = found.name === undefined ? await found.parent.stat() : await found.parent.lstat(found.name);
      if (info === undefined) return 'missing';
      return info.isSymbolicLink() ? 'link' : info.isDirectory() ? 'dir' : info.isFile() ? 'file' : 'other';
    } finally {
      if (found.parent !== root) await found.parent.close();
    }
  } catch (error) {
    if (error instanceof UnsafePathError || isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return 'missing';
    throw error;
  }
}

/** The directories holding `relative` in the extraction and in DEST_DIR (no link followed in either). */
async function openParents(source: TreeDir, target: TreeDir, relative: string) {
  const parts = relative.split('/');
  const from = await walkBeneath(source, parts, { followFinal: false, noLinks: true });
  try {
    const to = await walkBeneath(target, parts, { followFinal: false, noLinks: true });
    return { from: from.parent, to: to.parent, name: parts[parts.length - 1] ?? '' };
  } catch (error) {
    if (from.parent !== source) await from.parent.close();
    throw error;
  }
}

async function applyAction(source: TreeDir, target: TreeDir, action: PullAction, dest: string): Promise<void> {
  const { from, to, name } = await openParents(source, target, action.relative).catch((error: unknown) => {
    if (error instanceof UnsafePathError || isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) {
      throw new UsageError(
        `pull: ${path.join(dest, action.relative)} changed during the pull (a directory on the way was replaced): stopped`,
      );
    }
    throw error;
  });
  try {
    const info = await from.lstat(name);
    if (info === undefined) return;
    if (action.kind === 'replace' && action.dir) await to.unlink(name);
    if (action.kind === 'mkdir' || (action.kind === 'replace' && action.dir)) {
      await to.mkdir(name, info.mode & 0o777).catch(async (error: unknown) => {
        if (!isErrno(error, 'EEXIST') || (await to.lstat(name))?.isDirectory() !== true) throw error;
      });
      return;
    }
    await moveEntry(from, to, name, info.isFile() ? info.mode & 0o777 : undefined, action.kind === 'replace').catch((error: unknown) => {
      if (isErrno(error, 'EEXIST'))
        throw new UsageError(
          `pull: ${path.join(dest, action.relative)} appeared during the pull: stopped (rerun with --force to overwrite)`,
        );
      throw error;
    });
  } finally {
    if (from !== source) await from.close();
    if (to !== target) await to.close();
  }
}

/**
 * A file (mode without set-uid/set-gid) or symlink from the extraction into DEST_DIR:
 * hard-linked (same file system) or copied into a temporary name there, then linked (never
 * replaces: EEXIST) or renamed over the name (`replace`: a symlink there is replaced, not
 * followed).
 */
async function moveEntry(from: TreeDir, to: TreeDir, name: string, mode: number | undefined, replace: boolean): Promise<void> {
  if (mode !== undefined) await from.chmod(name, mode);
  // Unguessable: DEST_DIR may be a workdir, where the agent could pre-create a predictable name.
  const temporary = `.codex-pull-${randomBytes(6).toString('hex')}-${name.slice(0, 40)}`;
  try {
    await from.link(name, to, temporary);
  } catch (error) {
    if (!isErrno(error, 'EXDEV')) throw error;
    await copyAcross(from, to, name, temporary, mode);
  }
  try {
    if (replace) await to.rename(temporary, to, name);
    else await to.link(temporary, to, name);
  } finally {
    await to.unlink(temporary).catch(() => undefined);
  }
}

async function copyAcross(from: TreeDir, to: TreeDir, name: string, temporary: string, mode: number | undefined): Promise<void> {
  if (mode === undefined) {
    await to.symlink(temporary, await from.readLink(name));
    return;
  }
  const input = await from.openFile(name);
  try {
    const output = await to.createFile(temporary, mode);
    try {
      await pipeline(input.createReadStream({ autoClose: false }), output.createWriteStream({ autoClose: false }));
      await output.chmod(mode);
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
}
