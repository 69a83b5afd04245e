import path from 'node:path';
import { UsageError } from '../../core/errors.js';
import { errorCode } from '../error-code.js';
import { UnsafePathError } from './unsafe-path-error.js';
import { probeHostDir, statHostPath } from './tree-paths.js';
import { readHostFile } from './read-host-file.js';

export type InputKind = 'directory' | 'file' | 'any';

/**
 * A path the user typed (a flag, a variable, a settings entry), resolved like
 * resolveExistingPath but immune to what the agent planted (R102): where it enters a tree
 * the agent can write, symlinks are followed only beneath that tree. Returns the physical,
 * symlink-free path (the one handed to docker or read).
 */
export async function resolveInputPath(
  input: string,
  cwd: string,
  what: string,
  kind: InputKind,
  trees: readonly string[],
): Promise<{ physical: string; isDirectory: boolean; inTree: boolean }> {
  if (input.trim() === '') throw new UsageError(`${what} is empty: give a path`);
  let entry;
  try {
    entry = await statHostPath(path.resolve(cwd, input), trees);
  } catch (error) {
    if (error instanceof UnsafePathError) {
      throw new UsageError(`${what} ${JSON.stringify(input)} cannot be used: ${error.detail}: give the real path`);
    }
    throw new UsageError(`${what} ${JSON.stringify(input)} does not exist (${errorCode(error)}): check the path`);
  }
  if (entry === undefined) throw new UsageError(`${what} ${JSON.stringify(input)} does not exist (ENOENT): check the path`);
  const isDirectory = entry.info.isDirectory();
  if (kind === 'directory' && !isDirectory) throw new UsageError(`${what} ${JSON.stringify(input)} is not a directory: give a directory`);
  if (kind === 'file' && !entry.info.isFile()) throw new UsageError(`${what} ${JSON.stringify(input)} is not a regular file: give a file`);
  return { physical: entry.physical, isDirectory, inTree: entry.inTree };
}

/**
 * A file the user named, read once (R102, R109): resolved like resolveInputPath, a regular
 * file of at most `maxBytes` (a FIFO or device is refused without blocking). What was
 * checked is what was read: its physical path and bytes.
 */
export async function readInputFile(
  input: string,
  cwd: string,
  what: string,
  trees: readonly string[],
  maxBytes: number,
): Promise<{ physical: string; bytes: Buffer }> {
  if (input.trim() === '') throw new UsageError(`${what} is empty: give a path`);
  const named = `${what} ${JSON.stringify(input)}`;
  try {
    return await readHostFile(path.resolve(cwd, input), trees, maxBytes);
  } catch (error) {
    if (!(error instanceof UnsafePathError)) {
      const code = errorCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new UsageError(`${named} does not exist (${code}): check the path`);
      throw new UsageError(`${named} cannot be read (${code}): fix its permissions`);
    }
    if (error.reason === 'not-file') throw new UsageError(`${named} is not a regular file: give a file`);
    if (error.reason === 'too-large')
      throw new UsageError(`${named} is larger than ${describeSize(maxBytes)}: that cannot be right; check the file`);
    throw new UsageError(`${named} cannot be used: ${error.detail}: give the real path`);
  }
}

function describeSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / 1024 / 1024} MiB` : `${bytes / 1024} KiB`;
}

/**
 * A directory the launcher creates or writes (the Codex home, the sessions directory, a
 * report directory; R101): the user's own links outside the trees are resolved, but inside
 * a tree the agent can write no symlink may lead there at all. Returns the physical path;
 * `describe` words the refusal.
 */
export async function resolveWritableDir(
  input: string,
  cwd: string,
  trees: readonly string[],
  describe: (error: UnsafePathError) => string,
): Promise<{ physical: string; exists: boolean }> {
  // Never realpath here: the user's own links are resolved by locateHostPath only up to the
  // tree boundary, so a link the agent planted inside a tree is refused, not followed.
  try {
    return await probeHostDir(path.resolve(cwd, input), trees);
  } catch (error) {
    if (error instanceof UnsafePathError) throw new UsageError(describe(error));
    throw error;
  }
}
