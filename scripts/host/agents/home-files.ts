import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../core/errors.js';
import { READ_LIMITS } from '../../core/read-limits.js';
import { errorCode } from '../error-code.js';
import { UnsafePathError } from '../tree/unsafe-path-error.js';
import { listTreeFiles } from '../tree/tree-walk.js';
import { statHostPath, withHostBase, type HostEntry } from '../tree/tree-paths.js';
import { readHostFile } from '../tree/read-host-file.js';
import { resolveInputPath } from '../tree/input-path.js';

/*
 * Reading an agent's home inputs from the host (R101-R103, R109): anything in a tree the agent
 * can write is resolved beneath that tree (a planted symlink leading out is ignored with a
 * warning, never followed), every read is capped, and the bytes to copy are read once, here.
 */

/**
 * A login file to mount (auth.json, an agent's credential): one named by a flag or variable
 * must be a readable file; otherwise the first usable, non-empty candidate (an empty one in
 * the per-project home is the mount point Docker left behind).
 */
export async function findLoginFile(
  explicit: { input: string; what: string } | undefined,
  candidates: readonly string[],
  cwd: string,
  trees: readonly string[],
  warnings: string[],
): Promise<string | undefined> {
  if (explicit !== undefined) {
    const resolved = (await resolveInputPath(explicit.input, cwd, explicit.what, 'file', trees)).physical;
    await access(resolved, constants.R_OK).catch(() => {
      throw new UsageError(`${explicit.what} ${JSON.stringify(explicit.input)} is not readable: fix its permissions`);
    });
    return resolved;
  }
  for (const candidate of candidates) {
    const entry = await findUsableEntry(candidate, trees, 'file', warnings);
    if (entry !== undefined && entry.info.size > 0) return entry.physical;
  }
  return undefined;
}

export async function firstMatch(
  candidates: readonly string[],
  test: (candidate: string) => Promise<string | undefined>,
): Promise<string | undefined> {
  for (const candidate of candidates) {
    const found = await test(candidate);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The physical path of `candidate` when it is a file (or directory) that, inside an
 * agent-writable tree, resolves beneath that tree; undefined otherwise (with a warning for
 * a link leading out).
 */
export async function findUsable(
  candidate: string,
  trees: readonly string[],
  want: 'file' | 'dir',
  warnings: string[] | undefined,
): Promise<string | undefined> {
  return (await findUsableEntry(candidate, trees, want, warnings))?.physical;
}

async function findUsableEntry(
  candidate: string,
  trees: readonly string[],
  want: 'file' | 'dir',
  warnings: string[] | undefined,
): Promise<HostEntry | undefined> {
  try {
    const entry = await statHostPath(candidate, trees);
    if (entry === undefined) return undefined;
    return (want === 'dir' ? entry.info.isDirectory() : entry.info.isFile()) ? entry : undefined;
  } catch (error) {
    if (error instanceof UnsafePathError && (error.reason === 'link-out' || error.reason === 'loop')) {
      warnings?.push(`ignoring ${candidate}: it is a link leading out of a directory the agent can write`);
      return undefined;
    }
    if (error instanceof UnsafePathError || ['ENOTDIR', 'EACCES', 'ENOENT'].includes(errorCode(error))) return undefined;
    throw error;
  }
}

/** Reads a file to copy (regular, capped); a failure names the file and says what to do. */
export async function readSource(file: string, trees: readonly string[], maxBytes: number, what: string): Promise<Buffer> {
  try {
    return (await readHostFile(file, trees, maxBytes)).bytes;
  } catch (error) {
    if (error instanceof UnsafePathError && error.reason === 'too-large') {
      throw new UsageError(`${what} ${file} is larger than ${maxBytes / 1024 / 1024} MiB: that cannot be right; check the file`);
    }
    const why = error instanceof UnsafePathError ? error.detail : `${file} cannot be read (${errorCode(error)})`;
    throw new UsageError(`${what}: ${why}: replace it with a regular file`);
  }
}

/**
 * Regular files below `dir` (symlinks and special files skipped, capped like prompts, R109),
 * read now, with whether `targetDir` has each.
 */
export async function readConfigDir(
  dir: string,
  targetDir: string,
  trees: readonly string[],
  contents: Map<string, Buffer>,
): Promise<{ dir: string; files: Array<{ relative: string; targetExists: boolean }> }> {
  const found = await listTreeFiles(dir, trees, {
    maxFiles: READ_LIMITS.promptFiles,
    maxFileBytes: READ_LIMITS.promptFile,
    maxTotalBytes: READ_LIMITS.promptBytes,
  });
  const files: Array<{ relative: string; targetExists: boolean }> = [];
  // The targets' tree is located and opened once, not once per prompt file.
  await withHostBase(targetDir, trees, async (statBelow) => {
    for (const file of found) {
      contents.set(path.join(dir, file.relative), file.bytes);
      files.push({
        relative: file.relative,
        targetExists: await existsAs(() => statBelow(file.relative.split(path.sep).join('/'), false)),
      });
    }
  });
  return { dir, files: files.sort((a, b) => a.relative.localeCompare(b.relative)) };
}

/** lstat semantics, so a dangling symlink counts as "exists" and is never written through. */
export async function exists(target: string, trees: readonly string[]): Promise<boolean> {
  return existsAs(() => statHostPath(target, trees, false));
}

async function existsAs(lstatTarget: () => Promise<HostEntry | undefined>): Promise<boolean> {
  try {
    return (await lstatTarget()) !== undefined;
  } catch (error) {
    if (error instanceof UnsafePathError || errorCode(error) === 'ENOTDIR') return true;
    throw error;
  }
}
