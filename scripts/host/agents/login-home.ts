import { mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { checkCredentialText } from '../../core/login/login-flows.js';
import { READ_LIMITS } from '../../core/read-limits.js';
import { type Name, TreeDir } from '../tree/safe-tree.js';
import { UnsafePathError } from '../tree/unsafe-path-error.js';

/**
 * The private directory a login runs in (R135): `<store>/.login-<run id>/`, mode 0700,
 * created by the launcher and mounted as the container's whole Codex home. What the login
 * writes there is read back as hostile input (R136): through the descriptor taken when the
 * directory was made, no symlink followed at any component, a regular file of bounded size.
 */
export interface LoginHome {
  /** Physical host path (the mount source). */
  path: string;
  dir: TreeDir;
  /** Removes the directory and everything the login left in it; never throws. */
  remove(): Promise<string | undefined>;
}

/** Creates (0700) and opens the credential store's root and the login's directory in it. `now`: for tests. */
export async function createLoginHome(storeRoot: string, runId: string, now = Date.now()): Promise<LoginHome> {
  await mkdir(storeRoot, { recursive: true, mode: 0o700 });
  const physicalRoot = await realpath(storeRoot);
  const root = await TreeDir.openRoot(physicalRoot);
  try {
    // The store holds logins: nobody else may even look inside (R136).
    await root.setMode(0o700);
    await sweepStaleLoginDirs(root, now);
    const name = `.login-${runId}`;
    await root.mkdir(name, 0o700);
    const dir = await root.openDir(name);
    const home = path.join(physicalRoot, name);
    return { path: home, dir, remove: () => removeLoginDir(dir, physicalRoot, name) };
  } finally {
    await root.close();
  }
}

/** A login lasts minutes: a login directory older than a day is one whose launcher was killed. */
const STALE_LOGIN_MS = 24 * 60 * 60 * 1000;

/**
 * Removes login directories left by launchers killed outside any handler (SIGKILL), never a
 * current one. A login still running writes there: it can fake the mtime but not the ctime
 * (set to now by any utimes), so age counts from the later of the two.
 */
async function sweepStaleLoginDirs(root: TreeDir, now: number): Promise<void> {
  for (const entry of await root.readdir().catch(() => [])) {
    const name = entry.name.toString('latin1');
    if (!/^\.login-[0-9a-f]{8}$/.test(name)) continue;
    const info = await root.lstat(name).catch(() => undefined);
    if (info?.isDirectory() === true && now - Math.max(info.mtimeMs, info.ctimeMs) > STALE_LOGIN_MS) {
      await removeEntry(root, name).catch(() => undefined);
    }
  }
}

/**
 * Removes `name` in `parent` and everything below it through descriptors: directories
 * opened O_NOFOLLOW from their parent, opened up (u+rwx) by fchmod, emptied, then rmdir;
 * anything else unlinked. A symlink is removed itself, never followed, even one swapped in
 * meanwhile.
 */
async function removeEntry(parent: TreeDir, name: Name): Promise<void> {
  const info = await parent.lstat(name);
  if (info === undefined) return;
  if (!info.isDirectory()) {
    await parent.unlink(name);
    return;
  }
  const dir = await parent.openDir(name);
  try {
    await emptyDir(dir);
  } finally {
    await dir.close();
  }
  await parent.rmdir(name);
}

async function emptyDir(dir: TreeDir): Promise<void> {
  // A directory the login made unwritable (or unreadable) is opened up first.
  await dir.setMode(0o700);
  for (const entry of await dir.readdir()) await removeEntry(dir, entry.name);
}

/** Writes the flow's files (settings, first-start seeds) into the fresh login home, 0600. */
export async function writeLoginFiles(home: LoginHome, files: ReadonlyArray<{ parts: readonly string[]; content: string }>): Promise<void> {
  for (const file of files) {
    const parents = file.parts.slice(0, -1);
    let dir = home.dir;
    try {
      for (const part of parents) {
        const next = await dir.openDir(part, { mode: 0o700 });
        if (dir !== home.dir) await dir.close();
        dir = next;
      }
      await dir.writeFile(file.parts[file.parts.length - 1] ?? '', file.content, { mode: 0o600, replace: false });
    } finally {
      if (dir !== home.dir) await dir.close();
    }
  }
}

export type CredentialRead = { kind: 'found'; bytes: Buffer } | { kind: 'missing' } | { kind: 'refused'; why: string };

/**
 * The credential the login left at `parts` below its home (R136): every directory opened
 * O_NOFOLLOW from the held descriptor, the file regular and at most READ_LIMITS.credential,
 * non-empty, a JSON object. A symlink, special file, oversized or malformed file is refused.
 */
export async function readLoginCredential(home: LoginHome, parts: readonly string[]): Promise<CredentialRead> {
  let dir = home.dir;
  const where = parts.join('/');
  try {
    for (const part of parts.slice(0, -1)) {
      const next = await dir.openDir(part);
      if (dir !== home.dir) await dir.close();
      dir = next;
    }
    const bytes = await dir.readFile(parts[parts.length - 1] ?? '', READ_LIMITS.credential);
    const problem = checkCredentialText(bytes);
    return problem === undefined ? { kind: 'found', bytes } : { kind: 'refused', why: `${where} ${problem}` };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    if (error instanceof UnsafePathError) return { kind: 'refused', why: `${where} ${describeRefusal(error)}` };
    if (code === 'EACCES') return { kind: 'refused', why: `${where} is not readable` };
    throw error;
  } finally {
    if (dir !== home.dir) await dir.close();
  }
}

function describeRefusal(error: UnsafePathError): string {
  return error.reason === 'too-large' ? `is larger than ${READ_LIMITS.credential / 1024} KiB` : error.detail.replace(/^\S+ /, '');
}

/**
 * Removes the login directory (the container is gone by then): emptied through the
 * descriptor taken when it was made, then removed from the store (never by path, never
 * through a link). Returns a warning when something is left.
 */
async function removeLoginDir(dir: TreeDir, storeRoot: string, name: string): Promise<string | undefined> {
  try {
    await emptyDir(dir);
    const root = await TreeDir.openRoot(storeRoot);
    await root.rmdir(name).finally(() => root.close());
    return undefined;
  } catch (error) {
    const code = (error as { code?: string }).code;
    return `could not remove the login directory ${path.join(storeRoot, name)} (${String(code ?? error)}): remove it`;
  } finally {
    await dir.close();
  }
}
