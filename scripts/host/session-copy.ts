import { chmod, lstat, mkdir, mkdtemp, readdir, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../core/errors.js';
import { containerPathFor } from '../core/mount-spec.js';
import { buildChownArgs, buildCopyInArgs, buildCopyOutArgs } from '../core/session-docker-args.js';
import { planPull, type EntryKind, type PulledEntry } from '../core/session-pull-plan.js';
import { probeDocker, queryDocker } from './docker.js';
import { errorCode } from './resolve-path.js';
import { readAgentIds } from './sessions.js';

const COPY_TIMEOUT_MS = 30 * 60 * 1000;

async function kindOf(target: string): Promise<EntryKind> {
  try {
    const info = await lstat(target);
    if (info.isSymbolicLink()) return 'link';
    if (info.isDirectory()) return 'dir';
    return info.isFile() ? 'file' : 'other';
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return 'missing';
    throw error;
  }
}

/** push's PATH arguments, checked before docker is asked anything: absolute, existing, distinct names. */
export async function checkPushSources(inputs: readonly string[], cwd: string): Promise<string[]> {
  const sources: string[] = [];
  for (const input of inputs) {
    if (input.trim() === '') throw new UsageError('push: PATH is empty: give a file or directory');
    const source = path.resolve(cwd, input);
    if (source === '/') throw new UsageError('push: refusing to copy / into the session: give a narrower path');
    if ((await kindOf(source)) === 'missing') throw new UsageError(`push: ${JSON.stringify(input)} does not exist: check the path`);
    const name = path.basename(source);
    if (sources.some((other) => path.basename(other) === name)) {
      throw new UsageError(`push: two paths are named ${JSON.stringify(name)}: push them one at a time`);
    }
    sources.push(source);
  }
  return sources;
}

/**
 * `push`: copies host paths (checked by checkPushSources) into the session's workdir (a bind
 * mount of `workdir`), then hands exactly those paths to the agent's uid/gid. Symlinks are
 * copied as links, never followed; an existing target is refused without --force.
 * Returns the container paths.
 */
export async function pushPaths(container: string, workdir: string, sources: readonly string[], force: boolean): Promise<string[]> {
  for (const source of sources) {
    const name = path.basename(source);
    if (!force && (await kindOf(path.join(workdir, name))) !== 'missing') {
      throw new UsageError(`push: ${path.join(workdir, name)} already exists in the session's workdir: rerun with --force to overwrite it`);
    }
  }
  const { uid, gid } = await readAgentIds(container);
  const targetDir = containerPathFor(workdir);
  const copied: string[] = [];
  for (const source of sources) {
    await queryDocker(buildCopyInArgs(source, container, targetDir).slice(1), COPY_TIMEOUT_MS);
    copied.push(path.posix.join(targetDir, path.basename(source)));
  }
  await queryDocker(buildChownArgs(container, uid, gid, copied).slice(1), COPY_TIMEOUT_MS);
  return copied;
}

/** Every entry below `root`, parents first, never following symlinks. */
async function walk(root: string, relative = ''): Promise<PulledEntry[]> {
  const entries: PulledEntry[] = [];
  for (const dirent of await readdir(path.join(root, relative), { withFileTypes: true })) {
    const child = relative === '' ? dirent.name : path.join(relative, dirent.name);
    const kind: PulledEntry['kind'] = dirent.isSymbolicLink() ? 'link' : dirent.isDirectory() ? 'dir' : dirent.isFile() ? 'file' : 'other';
    entries.push({ relative: child, kind });
    if (kind === 'dir') entries.push(...(await walk(root, child)));
  }
  return entries;
}

/**
 * `pull`: copies CONTAINER_PATH out into DEST_DIR. docker cp extracts into a temporary
 * directory inside DEST_DIR first (same file system), every file it would create is
 * checked, then entries are renamed into place: nothing is half-written and nothing is
 * overwritten without --force. Set-uid/set-gid bits are dropped (the agent chose them).
 */
export async function pullPath(container: string, containerPath: string, dest: string, force: boolean): Promise<string[]> {
  const scratch = await mkdtemp(path.join(dest, '.codex-pull-'));
  try {
    const copy = await probeDocker(buildCopyOutArgs(container, containerPath, scratch).slice(1), COPY_TIMEOUT_MS);
    if (copy.exitCode !== 0) {
      if (/No such container:path|Could not find the file/i.test(copy.stderr)) {
        throw new UsageError(`pull: ${containerPath} does not exist in the session: check the path (relative paths start at the workdir)`);
      }
      throw new UsageError(`pull: docker cp failed: ${copy.stderr.trim().split('\n').pop() ?? 'unknown error'}`);
    }
    const entries = await walk(scratch);
    const facts = new Map<string, EntryKind>();
    for (const entry of entries) facts.set(entry.relative, await kindOf(path.join(dest, entry.relative)));
    const plan = planPull(entries, facts, force);
    for (const skipped of plan.skipped) process.stderr.write(`warning: pull: skipped ${skipped} (not a file, directory or link)\n`);
    if (plan.refused.length > 0) {
      throw new UsageError(`pull: ${path.join(dest, plan.refused[0]!)} is a directory and would be replaced by a file: move it away first`);
    }
    if (plan.conflicts.length > 0 && !force) {
      const shown = plan.conflicts.slice(0, 3).map((relative) => path.join(dest, relative)).join(', ');
      const more = plan.conflicts.length > 3 ? ` and ${plan.conflicts.length - 3} more` : '';
      throw new UsageError(`pull: would overwrite ${shown}${more}: rerun with --force to overwrite (nothing was copied)`);
    }
    for (const action of plan.actions) {
      const from = path.join(scratch, action.relative);
      const to = path.join(dest, action.relative);
      if (action.kind === 'replace' && action.dir) await unlink(to);
      if (action.kind === 'mkdir' || (action.kind === 'replace' && action.dir)) {
        await mkdir(to, { mode: (await lstat(from)).mode & 0o777 });
        continue;
      }
      const info = await lstat(from);
      if (info.isFile()) await chmod(from, info.mode & 0o777);
      await rename(from, to);
    }
    return entries.filter((entry) => !entry.relative.includes(path.sep)).map((entry) => path.join(dest, entry.relative));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
