import path from 'node:path';
import type { HomeAction } from '../../core/agents/agent-home-plan.js';
import { EnvironmentError } from '../../core/errors.js';
import { UnsafePathError } from '../tree/unsafe-path-error.js';
import { openHostDir } from '../tree/tree-paths.js';

/** uid/gid that directories and files the launcher creates get (the root launcher's agent). */
export interface Owner {
  uid: number;
  gid: number;
}

/**
 * Carries out the planned host changes through directory descriptors (R101, R11b): every
 * directory on the way is opened without following links inside the trees the agent can
 * write (`trees`), missing ones are created; files get the bytes read when the run was
 * planned (`contents`, keyed by source path), written to a temporary name and renamed (or
 * hard-linked, when nothing may be overwritten), so a concurrent run never reads half a file
 * and a planted symlink is replaced, never written through.
 */
export async function applyHomeActions(
  actions: readonly HomeAction[],
  contents: ReadonlyMap<string, Uint8Array>,
  trees: readonly string[],
  owner?: Owner,
): Promise<void> {
  const create = { mode: 0o755, ...(owner === undefined ? {} : { owner }) };
  for (const action of actions) {
    if (action.kind === 'mkdir') {
      const { dir } = await openTarget(action.path, trees, create);
      await dir.close();
      continue;
    }
    const data = action.kind === 'write-file' ? Buffer.from(action.text) : contents.get(action.from);
    if (data === undefined)
      throw new Error(`internal: ${action.kind === 'copy-file' ? action.from : action.to} was not read while planning`);
    const replace = action.kind === 'copy-file' && action.overwrite;
    const mode = (action.kind === 'copy-file' ? action.mode : undefined) ?? 0o644;
    const { dir } = await openTarget(path.dirname(action.to), trees, create);
    try {
      await dir.writeFile(path.basename(action.to), data, { replace, mode, owner });
    } finally {
      await dir.close();
    }
  }
}

async function openTarget(directory: string, trees: readonly string[], create: { mode: number; owner?: Owner }) {
  try {
    return await openHostDir(directory, trees, create);
  } catch (error) {
    if (error instanceof UnsafePathError) {
      throw new EnvironmentError(`${error.path} leads outside the Codex home (a symlink?): remove it and run again`);
    }
    throw error;
  }
}
