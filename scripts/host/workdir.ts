import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { UsageError } from '../core/errors.js';
import { exposesHome, isSameOrInside } from '../core/run/path-rules.js';
import type { HostContext } from './host-context.js';
import { resolveExistingPath } from './tree/resolve-path.js';

export interface ResolvedWorkdir {
  /** realpath of the workdir. */
  path: string;
  /** Why mounting it needs the user's consent (empty when it does not). */
  exposures: string[];
}

/**
 * The workdir rules (R4-R6): default cwd, symlinks resolved, must be a directory, never `/`,
 * inside WORKSPACE_ROOT_DIR (resolved too, so a symlink or `..` cannot escape it).
 */
export async function resolveWorkdir(input: string | undefined, ctx: HostContext, what = '--work_dir'): Promise<ResolvedWorkdir> {
  const workdir = await resolveExistingPath(input ?? ctx.cwd, ctx.cwd, what, 'directory');
  if (workdir === '/') {
    throw new UsageError(`refusing to mount / as the workdir: give a project directory with ${what}`);
  }
  const rootInput = ctx.env.WORKSPACE_ROOT_DIR;
  if (rootInput !== undefined) {
    const root = await resolveExistingPath(rootInput, ctx.cwd, 'WORKSPACE_ROOT_DIR', 'directory');
    if (!isSameOrInside(root, workdir)) {
      throw new UsageError(`${what} ${workdir} is outside WORKSPACE_ROOT_DIR (${root}): choose a directory inside it`);
    }
  }
  const home = ctx.home === undefined ? undefined : await realpath(ctx.home).catch(() => ctx.home);
  const exposures: string[] = [];
  if (exposesHome(workdir, home)) {
    exposures.push(
      `the workdir ${workdir} is your home directory or contains it: ` +
        'the agent could read and change ~/.ssh, shell start-up files and credentials',
    );
  }
  // The agent never runs as root: run by root on a root-owned tree, the sandbox must hand
  // the tree to uid 1000 (chown -R), which changes the host. Say so and ask first.
  if (ctx.uid === 0 && (await stat(workdir)).uid === 0) {
    exposures.push(
      `the workdir ${workdir} is owned by root and you run as root: the agent never runs as root, ` +
        'so the sandbox will chown -R it to uid 1000 (run as its owner, or chown it, to avoid this)',
    );
  }
  return { path: workdir, exposures };
}

/** Hex sha256 of a workdir's realpath: its identity in container names and tracking stores. */
export function hashWorkdir(workdir: string): string {
  return createHash('sha256').update(workdir).digest('hex');
}
