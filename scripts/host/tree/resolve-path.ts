import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../core/errors.js';
import { errorCode } from '../error-code.js';

export type PathKind = 'directory' | 'file' | 'any';

/**
 * Resolves `input` (relative to `cwd`, symlinks followed) to an existing path of `kind`.
 * `what` names the input in the error, e.g. "--work_dir".
 */
export async function resolveExistingPath(input: string, cwd: string, what: string, kind: PathKind): Promise<string> {
  if (input.trim() === '') throw new UsageError(`${what} is empty: give a path`);
  let resolved: string;
  try {
    resolved = await realpath(path.resolve(cwd, input));
  } catch (error) {
    throw new UsageError(`${what} ${JSON.stringify(input)} does not exist (${errorCode(error)}): check the path`);
  }
  const info = await stat(resolved);
  if (kind === 'directory' && !info.isDirectory()) {
    throw new UsageError(`${what} ${JSON.stringify(input)} is not a directory: give a directory`);
  }
  if (kind === 'file' && !info.isFile()) {
    throw new UsageError(`${what} ${JSON.stringify(input)} is not a regular file: give a file`);
  }
  return resolved;
}
