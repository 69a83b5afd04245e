import { randomBytes } from 'node:crypto';
import { chmod, copyFile, link, mkdir, realpath, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { HomeAction } from '../core/codex-home-plan.js';
import { EnvironmentError } from '../core/errors.js';
import { isSameOrInside } from '../core/path-rules.js';
import { errorCode, resolveFuturePath } from './resolve-path.js';

/**
 * Carries out the planned host changes. Files are written to a temporary name and then
 * renamed (or hard-linked, when nothing may be overwritten), so a concurrent run never
 * reads a half-written file and a planted symlink is replaced, never written through.
 * `roots` are the directories writes must stay in (checked after following links).
 */
export async function applyHomeActions(actions: readonly HomeAction[], roots: readonly string[]): Promise<void> {
  for (const action of actions) {
    if (action.kind === 'mkdir') {
      await mkdir(action.path, { recursive: true });
      continue;
    }
    const directory = path.dirname(action.to);
    // Checked before mkdir (nothing may be created outside) and after (nothing raced in).
    assertInsideRoots(await resolveFuturePath(directory, '/', 'Codex home directory'), directory, roots);
    await mkdir(directory, { recursive: true });
    const realDirectory = await realpath(directory);
    assertInsideRoots(realDirectory, directory, roots);
    const target = path.join(realDirectory, path.basename(action.to));
    const temporary = path.join(realDirectory, `.${path.basename(action.to)}.${randomBytes(4).toString('hex')}.tmp`);
    await copyFile(action.from, temporary);
    try {
      if (action.mode !== undefined) await chmod(temporary, action.mode);
      if (action.overwrite) {
        await rename(temporary, target);
      } else {
        await link(temporary, target).catch((error: unknown) => {
          if (errorCode(error) !== 'EEXIST') throw error;
        });
      }
    } finally {
      await unlink(temporary).catch(() => undefined);
    }
  }
}

function assertInsideRoots(resolved: string, directory: string, roots: readonly string[]): void {
  if (!roots.some((root) => isSameOrInside(root, resolved))) {
    throw new EnvironmentError(`${directory} leads outside the Codex home (a symlink?): remove it and run again`);
  }
}
