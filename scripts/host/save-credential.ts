import { chmod, lstat, mkdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AgentId } from '../core/agents.js';
import { EnvironmentError, UsageError } from '../core/errors.js';
import { credentialStoreDir } from './credential-store.js';
import type { HostContext } from './host-context.js';
import { TreeDir } from './safe-tree.js';

/** Where a login's result goes: the credential store (default) or `--save-to DIR` (R136). */
export type SaveTarget = { kind: 'store'; dir: string } | { kind: 'dir'; dir: string; force: boolean };

/** `~/.config/codex-sandbox/credentials`: the store's root (login directories live there too). */
export function credentialStoreRoot(ctx: Pick<HostContext, 'home'>): string {
  const dir = credentialStoreDir(ctx, 'codex');
  if (dir === undefined) throw new EnvironmentError('HOME is not set: the credential store lives below it; set HOME and run again');
  return path.dirname(dir);
}

/** The store's directory of `agent`, as a save target. */
export function storeTarget(ctx: Pick<HostContext, 'home'>, agent: AgentId): SaveTarget {
  return { kind: 'store', dir: path.join(credentialStoreRoot(ctx), agent) };
}

/**
 * `--save-to DIR` checked before anything starts (R137): DIR may be missing (created 0700
 * when saving) but not something else than a directory, and `DIR/<name>` must not exist
 * unless `--force`.
 */
export async function checkSaveTo(input: string, cwd: string, name: string, force: boolean): Promise<SaveTarget> {
  if (input.trim() === '') throw new UsageError('--save-to is empty: give a directory');
  const dir = path.resolve(cwd, input);
  const info = await stat(dir).catch((error: { code?: string }) => {
    if (error.code === 'ENOENT') return undefined;
    throw new UsageError(`--save-to ${JSON.stringify(input)} cannot be used (${error.code ?? 'error'}): give a directory you can write`);
  });
  if (info !== undefined && !info.isDirectory()) throw new UsageError(`--save-to ${JSON.stringify(input)} is not a directory: give one`);
  const existing = await lstat(path.join(dir, name)).catch(() => undefined);
  if (existing !== undefined && !force) {
    throw new UsageError(`${path.join(dir, name)} exists: add --force to replace it, or choose another --save-to`);
  }
  return { kind: 'dir', dir, force };
}

/**
 * Writes `bytes` as `<target>/<name>`, mode 0600, through a temporary file created O_EXCL
 * and renamed over the name (R136): a symlink there is replaced, never followed. In the
 * store the directories are made 0700; `--save-to` without `--force` never replaces.
 * Returns the path written.
 */
export async function saveCredential(target: SaveTarget, name: string, bytes: Uint8Array | string): Promise<string> {
  await mkdir(target.dir, { recursive: true, mode: 0o700 });
  const physical = await realpath(target.dir);
  if (target.kind === 'store') {
    await chmod(path.dirname(physical), 0o700);
    await chmod(physical, 0o700);
  }
  const dir = await TreeDir.openRoot(physical);
  try {
    const replace = target.kind === 'store' || target.force;
    const written = await dir.writeFile(name, bytes, { mode: 0o600, replace });
    if (!written) throw new UsageError(`${path.join(target.dir, name)} exists: add --force to replace it`);
    return path.join(target.dir, name);
  } finally {
    await dir.close();
  }
}
