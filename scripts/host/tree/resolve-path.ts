import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../core/errors.js';

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

/**
 * Resolves a path that may not exist yet: the deepest existing ancestor is resolved
 * (symlinks followed) and the missing rest appended, so later checks see the real place.
 */
export async function resolveFuturePath(input: string, cwd: string, what: string): Promise<string> {
  if (input.trim() === '') throw new UsageError(`${what} is empty: give a path`);
  const missing: string[] = [];
  let current = path.resolve(cwd, input);
  for (;;) {
    let real: string;
    try {
      real = await realpath(current);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT' || current === path.dirname(current)) {
        throw new UsageError(`${what} ${JSON.stringify(input)} cannot be used (${errorCode(error)}): check the path`);
      }
      missing.unshift(path.basename(current));
      current = path.dirname(current);
      continue;
    }
    const info = await stat(real);
    if (!info.isDirectory()) {
      throw new UsageError(`${what} ${JSON.stringify(input)} is not a directory: give a directory`);
    }
    return path.join(real, ...missing);
  }
}

/** The errno code of a Node fs error, for messages. */
export function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : String(error);
}
