import { constants } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { applyHandback, handbackDirName, readHandback } from '../../core/login/login-handback.js';
import { parseLoginFile } from '../../core/login/login-secrets.js';
import { READ_LIMITS } from '../../core/read-limits.js';
import { readHostFile } from '../tree/read-host-file.js';

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
export async function applyLoginHandback(dir: string, runId: string, store: string, trees: readonly string[]): Promise<number> {
  try {
    const handbackDir = path.join(dir, handbackDirName(runId));
    // Written by root in the container into the launcher's own directory: read like any host file (R102).
    const file = await readHostFile(path.join(handbackDir, 'handback.json'), [handbackDir], READ_LIMITS.credential).catch(() => undefined);
    const handback = file === undefined ? undefined : readHandback(file.bytes.toString('utf8'), store);
    if (handback === undefined) return 0;
    const current = await readHostFile(store, trees, READ_LIMITS.credential);
    const before = await stat(current.physical);
    const { text, changed } = applyHandback(parseLoginFile(current.bytes.toString('utf8'), store), handback.tokens, handback.refreshedAt);
    if (changed === 0) return 0;
    const temp = path.join(path.dirname(current.physical), `.${path.basename(current.physical)}.${runId}.tmp`);
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if ((await stat(current.physical)).ino !== before.ino) {
      await rm(temp, { force: true });
      return 0; // replaced meanwhile (a new login): the newer file wins
    }
    await rename(temp, current.physical);
    return changed;
  } catch {
    return 0;
  }
}
