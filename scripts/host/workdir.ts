import { realpath } from 'node:fs/promises';
import { UsageError } from '../core/errors.js';
import { exposesHome, isSameOrInside } from '../core/path-rules.js';
import type { HostContext } from './host-context.js';
import { resolveExistingPath } from './resolve-path.js';

export interface ResolvedWorkdir {
  /** realpath of the workdir. */
  path: string;
  /** True when it is the home directory or one of its ancestors (needs consent). */
  exposesHome: boolean;
}

/**
 * The seed's workdir rules: default cwd, symlinks resolved, must be a directory, never `/`,
 * inside WORKSPACE_ROOT_DIR (resolved too, so a symlink or `..` cannot escape it).
 */
export async function resolveWorkdir(
  input: string | undefined,
  ctx: HostContext,
  what = '--work_dir',
): Promise<ResolvedWorkdir> {
  const workdir = await resolveExistingPath(input ?? ctx.cwd, ctx.cwd, what, 'directory');
  if (workdir === '/') {
    throw new UsageError(`refusing to mount / as the workdir: give a project directory with ${what}`);
  }
  const rootInput = ctx.env.WORKSPACE_ROOT_DIR;
  if (rootInput !== undefined && rootInput !== '') {
    const root = await resolveExistingPath(rootInput, ctx.cwd, 'WORKSPACE_ROOT_DIR', 'directory');
    if (!isSameOrInside(root, workdir)) {
      throw new UsageError(
        `${what} ${workdir} is outside WORKSPACE_ROOT_DIR (${root}): choose a directory inside it`,
      );
    }
  }
  const home = ctx.home === undefined ? undefined : await realpath(ctx.home).catch(() => ctx.home);
  return { path: workdir, exposesHome: exposesHome(workdir, home) };
}
