import { constants } from 'node:fs';
import { lstat, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { applyHandback, handbackDirName, readHandback } from '../core/login-handback.js';
import { parseLoginFile } from '../core/login-secrets.js';
import { READ_LIMITS } from '../core/read-limits.js';

/** The run's handback directory (0700), created before docker mounts it (R164). */
export async function createHandbackDir(dir: string, runId: string): Promise<string> {
  const handback = path.join(dir, handbackDirName(runId));
  await mkdir(handback, { mode: 0o700 });
  return handback;
}

/**
 * After the run: the tokens the proxy rotated go into the login file they came from (R164),
 * written next to it under a new name (0600) and renamed over it, so a reader never sees half
 * a file. Returns how many tokens changed; never throws (the run's outcome comes first).
 */
export async function applyLoginHandback(dir: string, runId: string, store: string): Promise<number> {
  try {
    const file = path.join(dir, handbackDirName(runId), 'handback.json');
    const info = await lstat(file).catch(() => undefined);
    if (info?.isFile() !== true || info.size > READ_LIMITS.credential) return 0;
    const handback = readHandback(await readFile(file, 'utf8'), store);
    if (handback === undefined) return 0;
    const current = await lstat(store);
    if (!current.isFile() || current.size > READ_LIMITS.credential) return 0;
    const { text, changed } = applyHandback(parseLoginFile(await readFile(store, 'utf8'), store), handback.tokens, handback.refreshedAt);
    if (changed === 0) return 0;
    const temp = path.join(path.dirname(store), `.${path.basename(store)}.${runId}.tmp`);
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if ((await stat(store)).ino !== current.ino) {
      await rm(temp, { force: true });
      return 0; // replaced meanwhile (a new login): the newer file wins
    }
    await rename(temp, store);
    return changed;
  } catch {
    return 0;
  }
}
