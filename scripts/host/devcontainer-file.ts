import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { chooseDevcontainerBase, type DevcontainerChoice } from '../core/image/devcontainer.js';
import { UsageError } from '../core/errors.js';
import { parseJsonc } from '../core/image/jsonc.js';
import { readCapped } from './tree/read-capped.js';
import { errorCode } from './error-code.js';
import { resolveExistingPath } from './tree/resolve-path.js';

/** devcontainer.json is a page of settings; a larger one is refused, never read whole (R188). */
const MAX_DEVCONTAINER_BYTES = 256 * 1024;
/** Where the spec looks, in order, relative to DIR, with the folder its paths are relative to. */
const CANDIDATES = [
  { relative: '.devcontainer/devcontainer.json', configDir: '.devcontainer' },
  { relative: '.devcontainer.json', configDir: '.' },
] as const;

export interface DevcontainerFile extends DevcontainerChoice {
  /** realpath of DIR. */
  dir: string;
  file: string;
  /** For a Dockerfile base: its absolute path and its context's, both checked to be inside DIR. */
  paths?: { dockerfile: string; context: string };
  /** Short hash of what the base build depends on (paths, args, the Dockerfile's bytes): its tag. */
  inputsHash?: string;
}

function isInside(dir: string, candidate: string): boolean {
  return candidate === dir || candidate.startsWith(`${dir}${path.sep}`);
}

/** realpath of `relative` under `dir`, refused when missing, of the wrong kind, or led outside DIR by a symlink (R188). */
async function resolveInside(dir: string, relative: string, what: string, kind: 'file' | 'directory'): Promise<string> {
  const real = await realpath(path.join(dir, relative)).catch((error: unknown) => {
    throw new UsageError(`${what} ${JSON.stringify(relative)} does not exist in ${dir} (${errorCode(error)}): fix the path`);
  });
  if (!isInside(dir, real)) throw new UsageError(`${what} ${JSON.stringify(relative)} leads outside ${dir} (a symlink): keep it inside`);
  const info = await stat(real);
  if (kind === 'file' ? !info.isFile() : !info.isDirectory()) {
    throw new UsageError(`${what} ${JSON.stringify(relative)} is not a ${kind === 'file' ? 'regular file' : 'directory'}: fix the path`);
  }
  return real;
}

/** Reads the file once: no FIFO or device, at most MAX_DEVCONTAINER_BYTES, UTF-8. */
async function readConfig(file: string): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    if (!(await handle.stat()).isFile()) throw new UsageError(`${file} is not a regular file: fix it`);
    const bytes = await readCapped(handle, MAX_DEVCONTAINER_BYTES, file).catch(() => {
      throw new UsageError(`${file} is larger than 256 KiB: a devcontainer.json is a page of settings; fix it`);
    });
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new UsageError(`${file} is not UTF-8 text: fix it`);
    }
  } finally {
    await handle.close();
  }
}

async function readDockerfile(file: string): Promise<Buffer> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    return await readCapped(handle, 1024 * 1024, file);
  } catch {
    throw new UsageError(`${file} is not a readable Dockerfile of at most 1 MiB: fix it`);
  } finally {
    await handle.close();
  }
}

async function findConfig(dir: string): Promise<{ file: string; configDir: string }> {
  for (const candidate of CANDIDATES) {
    const exists = await lstat(path.join(dir, candidate.relative)).then(
      () => true,
      () => false,
    );
    if (!exists) continue;
    const file = await resolveInside(dir, candidate.relative, 'devcontainer file', 'file');
    return { file, configDir: candidate.configDir };
  }
  throw new UsageError(`${dir} has no .devcontainer/devcontainer.json or .devcontainer.json: give the project directory that has one`);
}

/**
 * `build --from-devcontainer DIR` (R187, R188): finds and reads the file, chooses its base,
 * and for a Dockerfile checks that the Dockerfile and the context are inside DIR after every
 * symlink. Changes nothing; every problem is one UsageError.
 */
export async function readDevcontainer(input: string, cwd: string): Promise<DevcontainerFile> {
  const dir = await resolveExistingPath(input === '' ? '.' : input, cwd, '--from-devcontainer', 'directory');
  const { file, configDir } = await findConfig(dir);
  const choice = chooseDevcontainerBase(parseJsonc(await readConfig(file), file), { file, configDir });
  if (choice.base.kind === 'image') return { ...choice, dir, file };
  const dockerfile = await resolveInside(dir, choice.base.dockerfile, `${file}: build.dockerfile`, 'file');
  const context = await resolveInside(dir, choice.base.context, `${file}: build.context`, 'directory');
  const bytes = await readDockerfile(dockerfile);
  const inputsHash = createHash('sha256')
    .update(JSON.stringify({ dockerfile, context, args: choice.base.args, target: choice.base.target ?? null }))
    .update(bytes)
    .digest('hex')
    .slice(0, 12);
  return { ...choice, dir, file, paths: { dockerfile, context }, inputsHash };
}

/** The toolchain variant of a project (R190): stable per directory, so `[run] image` keeps naming it after a rebuild. */
export function toolchainVariant(dir: string): string {
  return `toolchain-${createHash('sha256').update(dir).digest('hex').slice(0, 8)}`;
}
