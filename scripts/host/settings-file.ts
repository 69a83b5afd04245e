import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../core/errors.js';
import { READ_LIMITS } from '../core/read-limits.js';
import { decodeSettingsBytes, parseSettingsText, type SettingsLayer } from '../core/settings.js';
import type { HostContext } from './host-context.js';
import { resolveInputPath } from './tree/input-path.js';
import { errorCode } from './error-code.js';
import { readCapped } from './tree/read-capped.js';
import { TreeDir } from './tree/safe-tree.js';
import { UnsafePathError } from './tree/unsafe-path-error.js';
import { readFileBeneath } from './tree/read-host-file.js';

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
  /** The text parsed (what `--save` of a live change adds to, R167). */
  text: string;
}

export function userSettingsPath(ctx: HostContext): string | undefined {
  return ctx.home === undefined ? undefined : path.join(ctx.home, '.config', 'codex-sandbox', 'config.ini');
}

/** Reads the bytes once (no FIFOs, devices or huge files), then hashes and parses those. */
async function readSettingsBytes(file: string): Promise<Buffer> {
  // O_NONBLOCK: a FIFO must not hang the launcher.
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    if (!(await handle.stat()).isFile()) throw new UsageError(`${file} is not a regular file: replace it with a text file or delete it`);
    return await readCapped(handle, READ_LIMITS.settings, file).catch(() => {
      throw new UsageError(`${file} is larger than 64 KiB: a settings file is a few lines of text; fix or delete it`);
    });
  } finally {
    await handle.close();
  }
}

/**
 * `WORKDIR/.codex/sandbox.ini`, or undefined when there is none. The agent can write the
 * workdir, so it is read through directory descriptors with no symlink followed (R101): a
 * symlinked file or `.codex` could make another project's approved file (trusted by its
 * path) apply here; a FIFO, device or huge file is refused without blocking.
 */
export async function readProjectSettings(workdir: string): Promise<SettingsFile | undefined> {
  const file = path.join(workdir, PROJECT_SETTINGS_RELATIVE);
  const root = await TreeDir.openRoot(workdir);
  try {
    return parseSettings(
      await readFileBeneath(root, PROJECT_SETTINGS_RELATIVE.split(path.sep).join('/'), READ_LIMITS.settings),
      file,
      workdir,
    );
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    if (error instanceof UnsafePathError) {
      if (error.reason === 'too-large')
        throw new UsageError(`${file} is larger than 64 KiB: a settings file is a few lines of text; fix or delete it`);
      if (error.reason === 'not-file') throw new UsageError(`${file} is not a regular file: replace it with a text file or delete it`);
      if (error.reason === 'link' && error.path === file)
        throw new UsageError(`${file} is a symlink: settings must be a regular file in the workdir; replace or delete it`);
      throw new UsageError(`${file} leads outside the workdir (a symlinked .codex?): remove the link and run again`);
    }
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${file} cannot be read (${errorCode(error)}): fix its permissions or delete it`);
  } finally {
    await root.close();
  }
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
  return parseSettings(bytes, file, baseDir);
}

function parseSettings(bytes: Buffer, file: string, baseDir: string): SettingsFile {
  const text = decodeSettingsBytes(bytes, file);
  const layer = parseSettingsText(text, file);
  return { path: file, sha256: createHash('sha256').update(bytes).digest('hex'), layer, baseDir, text };
}

/**
 * Replaces `WORKDIR/.codex/sandbox.ini` with `text` (R167 `--save`): through directory
 * descriptors, a new temporary file renamed over the name, no link followed (R101). Under
 * root it belongs to the owner of `.codex` (the workdir's user). Returns the sha256 written.
 */
export async function writeProjectSettings(workdir: string, text: string): Promise<string> {
  const root = await TreeDir.openRoot(workdir);
  try {
    const dir = await root.openDir('.codex', { mode: 0o755 });
    try {
      const info = await dir.stat();
      const owner = process.getuid?.() === 0 ? { uid: info.uid, gid: info.gid } : undefined;
      await dir.writeFile('sandbox.ini', text, { replace: true, mode: 0o644, ...(owner === undefined ? {} : { owner }) });
    } finally {
      await dir.close();
    }
  } catch (error) {
    if (error instanceof UnsafePathError)
      throw new UsageError(`${path.join(workdir, '.codex')} is not a plain directory (a link?): remove it and save again`);
    throw error;
  } finally {
    await root.close();
  }
  return createHash('sha256').update(text).digest('hex');
}

/**
 * What each path of the project file resolves to now (R104), one line per path, recorded
 * with the approval: inside a tree the agent can write a path may only lead to another
 * place inside it (a link leading out is refused here), and a path whose resolution changed
 * since the approval needs approval again (trustStateOf).
 */
export async function resolveProjectPaths(
  file: SettingsFile,
  home: string | undefined,
  cwd: string,
  trees: readonly string[],
): Promise<string[]> {
  const resolved = resolveSettingsPaths(file, home);
  const lines: string[] = [];
  const what = (key: string) => `${file.path} ${key}`;
  for (const [index, entry] of (file.layer.readOnly ?? []).entries()) {
    const physical = (await resolveInputPath(resolved?.readOnly?.[index] ?? entry, cwd, what('[mounts] read_only'), 'any', trees)).physical;
    lines.push(`mounts read_only ${entry} -> ${physical}`);
  }
  if (file.layer.initScript !== undefined) {
    const physical = (await resolveInputPath(resolved?.initScript ?? file.layer.initScript, cwd, what('[run] init_script'), 'file', trees))
      .physical;
    lines.push(`run init_script ${file.layer.initScript} -> ${physical}`);
  }
  return lines;
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
