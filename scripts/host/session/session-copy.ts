import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../core/errors.js';
import { containerPathFor } from '../../core/run/mount-spec.js';
import { buildChownArgs, buildCopyInArgs } from '../../core/session/session-docker-args.js';
import type { EntryKind } from '../../core/session/session-pull-plan.js';
import { queryDocker } from '../engine/docker.js';
import { errorCode } from '../error-code.js';
import { readAgentIds } from './sessions.js';
import { statHostPath } from '../tree/tree-paths.js';

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
    // The workdir is the agent's: looked up without following a link there (R101).
    if (!force && (await statHostPath(path.join(workdir, name), [workdir], false)) !== undefined) {
      throw new UsageError(`push: ${path.join(workdir, name)} already exists in the session's workdir: rerun with --force to overwrite it`);
    }
  }
  const { uid, gid } = await readAgentIds(container);
  const targetDir = containerPathFor(workdir);
  const copied: string[] = [];
  for (const source of sources) {
    await queryDocker(buildCopyInArgs(source, container, targetDir), COPY_TIMEOUT_MS);
    copied.push(path.posix.join(targetDir, path.basename(source)));
  }
  await queryDocker(buildChownArgs(container, uid, gid, copied), COPY_TIMEOUT_MS);
  return copied;
}
