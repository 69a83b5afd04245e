import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../core/errors.js';
import { isSameOrInside } from '../core/path-rules.js';
import { decodeSettingsBytes, parseSettingsText, type SettingsLayer } from '../core/settings.js';
import type { HostContext } from './host-context.js';
import { errorCode } from './resolve-path.js';

/** Where the per-project file lives in the (first) workdir. */
export const PROJECT_SETTINGS_RELATIVE = path.join('.codex', 'sandbox.ini');

export interface SettingsFile {
  /** realpath of the file (the trust store's key). */
  path: string;
  /** Hex sha256 of exactly the bytes parsed. */
  sha256: string;
  layer: SettingsLayer;
  /** Relative paths in it are resolved against this directory (workdir, or home). */
  baseDir: string;
}

export function userSettingsPath(ctx: HostContext): string | undefined {
  return ctx.home === undefined ? undefined : path.join(ctx.home, '.config', 'codex-sandbox', 'config.ini');
}

/** Reads the bytes once (no FIFOs, devices or huge files), then hashes and parses those. */
async function readSettingsBytes(file: string): Promise<Buffer> {
  // O_NONBLOCK: a FIFO planted in the workdir must not hang the launcher.
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new UsageError(`${file} is not a regular file: replace it with a text file or delete it`);
    if (info.size > 64 * 1024) throw new UsageError(`${file} is larger than 64 KiB: a settings file is a few lines of text; fix or delete it`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * `WORKDIR/.codex/sandbox.ini`, or undefined when there is none. The agent can write the
 * workdir, so the file must be a regular file really inside it: a symlink could make
 * another project's approved file (trusted by its realpath) apply here.
 */
export async function readProjectSettings(workdir: string): Promise<SettingsFile | undefined> {
  const file = path.join(workdir, PROJECT_SETTINGS_RELATIVE);
  let info;
  try {
    info = await lstat(file);
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return undefined;
    throw new UsageError(`${file} cannot be read (${errorCode(error)}): fix its permissions or delete it`);
  }
  if (info.isSymbolicLink()) throw new UsageError(`${file} is a symlink: settings must be a regular file in the workdir; replace or delete it`);
  const real = await realpath(file);
  if (!isSameOrInside(workdir, real)) {
    throw new UsageError(`${file} leads outside the workdir (a symlinked .codex?): remove the link and run again`);
  }
  return readSettingsAt(real, workdir);
}

/** `~/.config/codex-sandbox/config.ini` (always trusted: the agent cannot reach it), or undefined. */
export async function readUserSettings(ctx: HostContext): Promise<SettingsFile | undefined> {
  const file = userSettingsPath(ctx);
  if (file === undefined) return undefined;
  const real = await realpath(file).catch((error: unknown) => {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return undefined;
    throw new UsageError(`${file} cannot be read (${errorCode(error)}): fix its permissions or delete it`);
  });
  return real === undefined ? undefined : readSettingsAt(real, ctx.home ?? '/');
}

async function readSettingsAt(file: string, baseDir: string): Promise<SettingsFile> {
  const bytes = await readSettingsBytes(file).catch((error: unknown) => {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${file} cannot be read (${errorCode(error)}): fix its permissions or delete it`);
  });
  const layer = parseSettingsText(decodeSettingsBytes(bytes, file), file);
  return { path: file, sha256: createHash('sha256').update(bytes).digest('hex'), layer, baseDir };
}

/** Resolves the file's paths (read_only, init_script): `~/` is the home, relative is the base directory. */
export function resolveSettingsPaths(file: SettingsFile | undefined, home: string | undefined): SettingsLayer | undefined {
  if (file === undefined) return undefined;
  const resolve = (entry: string) =>
    home !== undefined && (entry === '~' || entry.startsWith('~/')) ? path.join(home, entry.slice(1)) : path.resolve(file.baseDir, entry);
  const layer = { ...file.layer };
  if (layer.readOnly !== undefined) layer.readOnly = layer.readOnly.map(resolve);
  if (layer.initScript !== undefined) layer.initScript = resolve(layer.initScript);
  return layer;
}
