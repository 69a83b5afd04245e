import { chmod, lstat, mkdir, readdir, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import { checkCredentialText } from '../core/login-flows.js';
import { READ_LIMITS } from '../core/read-limits.js';
import { TreeDir } from './safe-tree.js';
import { UnsafePathError } from './unsafe-path-error.js';

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

/** Creates (0700) and opens the credential store's root and the login's directory in it. */
export async function createLoginHome(storeRoot: string, runId: string): Promise<LoginHome> {
  await mkdir(storeRoot, { recursive: true, mode: 0o700 });
  const physicalRoot = await realpath(storeRoot);
  // The store holds logins: nobody else may even look inside (R136).
  await chmod(physicalRoot, 0o700);
  await sweepStaleLoginDirs(physicalRoot);
  const root = await TreeDir.openRoot(physicalRoot);
  try {
    const name = `.login-${runId}`;
    await root.mkdir(name, 0o700);
    const dir = await root.openDir(name);
    const home = path.join(physicalRoot, name);
    return { path: home, dir, remove: () => removeLoginDir(dir, home) };
  } finally {
    await root.close();
  }
}

/** A login lasts minutes: a login directory older than a day is one whose launcher was killed. */
const STALE_LOGIN_MS = 24 * 60 * 60 * 1000;

/** Removes login directories left by launchers killed outside any handler (SIGKILL), never a current one. */
async function sweepStaleLoginDirs(root: string): Promise<void> {
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (!/^\.login-[0-9a-f]{8}$/.test(name)) continue;
    const info = await lstat(path.join(root, name)).catch(() => undefined);
    if (info?.isDirectory() === true && Date.now() - info.mtimeMs > STALE_LOGIN_MS) {
      await rm(path.join(root, name), { recursive: true, force: true }).catch(() => undefined);
    }
  }
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
 * Removes the login directory (the container is gone by then: nothing writes there).
 * `rm` never follows a symlink; a directory the login made unwritable is opened up first.
 * Returns a warning when something is left.
 */
async function removeLoginDir(dir: TreeDir, home: string): Promise<string | undefined> {
  await dir.close();
  try {
    await rm(home, { recursive: true, force: true });
    return undefined;
  } catch {
    await openUp(home).catch(() => undefined);
    return rm(home, { recursive: true, force: true }).then(
      () => undefined,
      (error: unknown) => `could not remove the login directory ${home} (${String((error as { code?: string }).code ?? error)}): remove it`,
    );
  }
}

/** chmod u+rwx on every directory below `dir`, never through a symlink. */
async function openUp(dir: string): Promise<void> {
  await chmod(dir, 0o700);
  for (const entry of await readdir(dir)) {
    const child = path.join(dir, entry);
    if ((await lstat(child)).isDirectory()) await openUp(child);
  }
}
