import { constants } from 'node:fs';
import { access, chmod, lstat, mkdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AgentId } from '../../core/agents/agents.js';
import { UsageError } from '../../core/errors.js';
import { credentialStoreRoot } from './credential-store.js';
import type { HostContext } from '../host-context.js';
import { TreeDir } from '../tree/safe-tree.js';

/** Where a login's result goes: the credential store (default) or `--save-to DIR` (R136). */
export type SaveTarget = { kind: 'store'; dir: string } | { kind: 'dir'; dir: string; force: boolean };

/** The store's directory of `agent`, as a save target. */
export function storeTarget(ctx: Pick<HostContext, 'home'>, agent: AgentId): SaveTarget {
  return { kind: 'store', dir: path.join(credentialStoreRoot(ctx), agent) };
}

/**
 * `--save-to DIR` checked before anything starts (R137): DIR may be missing (created 0700
 * when saving) but not something else than a directory, its nearest existing directory must
 * be writable, and `DIR/<name>` must not exist unless `--force`. Resolved here, once, to its
 * physical path: the save after the login writes exactly what was checked, and refuses a
 * link put in its way since (a finished login is not refused for what could be known before).
 */
export async function checkSaveTo(input: string, cwd: string, name: string, force: boolean): Promise<SaveTarget> {
  if (input.trim() === '') throw new UsageError('--save-to is empty: give a directory');
  const unusable = (code: string | undefined) =>
    new UsageError(`--save-to ${JSON.stringify(input)} cannot be used (${code ?? 'error'}): give a directory you can write`);
  const { existing, missing } = await resolveExisting(path.resolve(cwd, input)).catch((error: { code?: string }) => {
    throw error instanceof UsageError ? error : unusable(error.code);
  });
  if (!(await stat(existing)).isDirectory()) {
    throw new UsageError(
      `--save-to ${JSON.stringify(input)} ${missing.length === 0 ? 'is' : 'lies below something that is'} not a directory: give one`,
    );
  }
  await access(existing, constants.W_OK | constants.X_OK).catch((error: { code?: string }) => {
    throw unusable(error.code);
  });
  const dir = path.join(existing, ...missing);
  const file = await lstat(path.join(dir, name)).catch(() => undefined);
  if (file !== undefined && !force) {
    throw new UsageError(`${path.join(dir, name)} exists: add --force to replace it, or choose another --save-to`);
  }
  return { kind: 'dir', dir, force };
}

/** The physical path of `dir`'s nearest existing ancestor (itself when it exists), and the missing names below it. */
async function resolveExisting(dir: string): Promise<{ existing: string; missing: string[] }> {
  const missing: string[] = [];
  for (let current = dir; ; current = path.dirname(current)) {
    try {
      return { existing: await realpath(current), missing: missing.reverse() };
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT' || path.dirname(current) === current) throw error;
      // A link to nowhere is not a missing directory: mkdir would fail on it after the login.
      if ((await lstat(current).catch(() => undefined)) !== undefined) throw new UsageError(`--save-to: ${current} is a broken link`);
      missing.push(path.basename(current));
    }
  }
}

/**
 * Writes `bytes` as `<target>/<name>`, mode 0600, through a temporary file created O_EXCL
 * and renamed over the name (R136): a symlink there is replaced, never followed. In the
 * store the directories are made 0700; `--save-to` without `--force` never replaces.
 * Returns the path written.
 */
export async function saveCredential(target: SaveTarget, name: string, bytes: Uint8Array | string): Promise<string> {
  await mkdir(target.dir, { recursive: true, mode: 0o700 });
  // `--save-to` is physical already (checkSaveTo); the store is resolved here, below HOME.
  const physical = target.kind === 'store' ? await realpath(target.dir) : target.dir;
  if (target.kind === 'store') {
    await chmod(path.dirname(physical), 0o700);
    await chmod(physical, 0o700);
  }
  // No link at any component: one put there since the check is refused, not followed.
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
