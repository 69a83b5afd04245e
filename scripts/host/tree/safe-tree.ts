import { constants, existsSync, type BigIntStats, type Dir, type Dirent, type Stats } from 'node:fs';
import { chmod, link, lstat, mkdir, open, opendir, readlink, rename, rmdir, symlink, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { readCapped } from './read-capped.js';
import { UnsafePathError } from './unsafe-path-error.js';

/**
 * The one way the launcher touches a tree the agent can write (R101): the workdirs, the
 * Codex home, the sessions directory, report directories and `pull` destinations.
 *
 * Every directory is held as an open file descriptor, and every name is looked up *in that
 * directory* through `/proc/self/fd/<fd>/<name>` (Linux resolves the magic link to the
 * directory itself, so this is openat()): renaming or replacing an ancestor after it was
 * opened changes nothing. Each component is opened with O_NOFOLLOW (a symlink is never
 * followed by the kernel), files with O_NONBLOCK (a FIFO never blocks) and must be regular
 * files of bounded size. Elsewhere (no /proc) the same calls fall back to paths: each
 * component is still checked, but a swap racing between two calls is not excluded (R111).
 */

const PROC_FD = process.platform === 'linux' && existsSync('/proc/self/fd') ? '/proc/self/fd' : undefined;
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
// O_PATH (Linux; node does not export it): a directory the user may only traverse (mode
// --x, e.g. a shared 0711 parent) still gives a descriptor to look names up in.
const O_PATH = 0o10000000;
const FILE_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

/** True when directory descriptors make every lookup immune to concurrent swaps (Linux). */
export const SWAP_IMMUNE = PROC_FD !== undefined;

export type Name = string | Buffer;

function nameText(name: Name): string {
  return typeof name === 'string' ? name : name.toString('utf8');
}

function checkName(name: Name, where: string): void {
  const text = typeof name === 'string' ? name : name.toString('latin1');
  if (text === '' || text === '.' || text === '..' || text.includes('/') || text.includes('\0')) {
    throw new UnsafePathError(path.join(where, nameText(name)), 'bad-name');
  }
}

const isErrno = (error: unknown, ...codes: string[]) =>
  typeof error === 'object' && error !== null && codes.includes(String((error as { code?: unknown }).code));

/** An open directory; every method works on one name directly inside it. Close it when done. */
export class TreeDir {
  private constructor(
    private readonly handle: FileHandle,
    /** Host path, for messages (and for the path fallback). */
    readonly path: string,
  ) {}

  /** Opens an absolute path from `/`, component by component, refusing a symlink anywhere. */
  static async openRoot(absolute: string): Promise<TreeDir> {
    if (!path.isAbsolute(absolute)) throw new Error(`not absolute: ${absolute}`);
    let dir = new TreeDir(await openDirectory('/'), '/');
    for (const part of absolute.split('/').filter((segment) => segment !== '')) {
      const next = await dir.openDir(part).finally(() => dir.close());
      dir = next;
    }
    return dir;
  }

  /** `/proc/self/fd/<fd>/<name>` (openat through the kernel), or the plain path elsewhere. */
  at(name: Name): string | Buffer {
    checkName(name, this.path);
    if (PROC_FD === undefined)
      return typeof name === 'string' ? path.join(this.path, name) : Buffer.concat([Buffer.from(`${this.path}/`), name]);
    const prefix = `${PROC_FD}/${this.handle.fd}/`;
    return typeof name === 'string' ? `${prefix}${name}` : Buffer.concat([Buffer.from(prefix), name]);
  }

  child(name: Name): string {
    return path.join(this.path, nameText(name));
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }

  async stat(): Promise<Stats> {
    return this.handle.stat();
  }

  async statBig(): Promise<BigIntStats> {
    return this.handle.stat({ bigint: true });
  }

  /** lstat of one entry (never follows it); undefined when it does not exist. */
  async lstat(name: Name): Promise<Stats | undefined> {
    try {
      return await lstat(this.at(name));
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
  }

  /** Opens a subdirectory; `create` makes it (mode) when missing. A symlink or file there is refused. */
  async openDir(name: Name, create?: { mode: number }): Promise<TreeDir> {
    const where = this.child(name);
    for (let attempt = 0; ; attempt += 1) {
      try {
        return new TreeDir(await openDirectory(this.at(name)), where);
      } catch (error) {
        if (isErrno(error, 'ELOOP')) throw new UnsafePathError(where, 'link');
        if (isErrno(error, 'ENOTDIR'))
          throw new UnsafePathError(where, (await this.lstat(name))?.isSymbolicLink() === true ? 'link' : 'not-dir');
        if (!isErrno(error, 'ENOENT') || create === undefined || attempt > 0) throw error;
        await this.mkdir(name, create.mode).catch((mkdirError: unknown) => {
          if (!isErrno(mkdirError, 'EEXIST')) throw mkdirError;
        });
      }
    }
  }

  async mkdir(name: Name, mode = 0o755): Promise<void> {
    await mkdir(this.at(name), { mode });
  }

  /**
   * The entries, read a few at a time: more than `max` is refused (too-large) without reading
   * the rest, so a directory of millions of names never sits in memory whole.
   */
  async readdir(max = Number.POSITIVE_INFINITY): Promise<Array<Dirent<Buffer>>> {
    const entries: Array<Dirent<Buffer>> = [];
    // Node yields Buffer names for encoding 'buffer' (its types only list text encodings).
    for await (const entry of await this.openListing()) {
      if (entries.length >= max) throw new UnsafePathError(this.path, 'too-large');
      entries.push(entry as unknown as Dirent<Buffer>);
    }
    return entries;
  }

  /** True when the directory holds no entry (at most one is read). */
  async isEmpty(): Promise<boolean> {
    const listing = await this.openListing(1);
    try {
      return (await listing.read()) === null;
    } finally {
      await listing.close();
    }
  }

  private async openListing(bufferSize = 32): Promise<Dir> {
    return opendir(PROC_FD === undefined ? this.path : `${PROC_FD}/${this.handle.fd}`, {
      encoding: 'buffer' as BufferEncoding,
      bufferSize,
    });
  }

  /** Opens a regular file for reading (never a link, FIFO or device). */
  async openFile(name: Name): Promise<FileHandle> {
    return (await this.openRegular(name)).handle;
  }

  private async openRegular(name: Name): Promise<{ handle: FileHandle; size: number }> {
    let handle: FileHandle;
    try {
      handle = await open(this.at(name), FILE_FLAGS);
    } catch (error) {
      if (isErrno(error, 'ELOOP')) throw new UnsafePathError(this.child(name), 'link');
      if (isErrno(error, 'ENXIO', 'EISDIR')) throw new UnsafePathError(this.child(name), 'not-file');
      throw error;
    }
    const info = await handle.stat();
    if (!info.isFile()) {
      await handle.close();
      throw new UnsafePathError(this.child(name), 'not-file');
    }
    return { handle, size: info.size };
  }

  /** The whole content of a regular file of at most `maxBytes` (larger: refused, never read whole). */
  async readFile(name: Name, maxBytes: number): Promise<Buffer> {
    const { handle, size } = await this.openRegular(name);
    try {
      return await readCapped(handle, maxBytes, this.child(name), size);
    } finally {
      await handle.close();
    }
  }

  async readLink(name: Name): Promise<Buffer> {
    return readlink(this.at(name), { encoding: 'buffer' });
  }

  /**
   * Writes `data` under `name` through a temporary file created O_EXCL|O_NOFOLLOW in this
   * directory, then renamed over the name (`replace`) or hard-linked (nothing existing is
   * touched; returns false when the name exists). A symlink there is replaced, never followed.
   */
  async writeFile(
    name: Name,
    data: Uint8Array | string,
    options: { mode?: number; replace: boolean; owner?: { uid: number; gid: number } },
  ): Promise<boolean> {
    const temporary = `.${nameText(name).slice(0, 40)}.${randomBytes(6).toString('hex')}.tmp`;
    const mode = options.mode ?? 0o644;
    const handle = await open(this.at(temporary), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
    try {
      await handle.writeFile(data);
      await handle.chmod(mode);
      if (options.owner !== undefined) await handle.chown(options.owner.uid, options.owner.gid);
    } finally {
      await handle.close();
    }
    try {
      if (options.replace) {
        await rename(this.at(temporary), this.at(name));
        return true;
      }
      try {
        await link(this.at(temporary), this.at(name));
        return true;
      } catch (error) {
        if (isErrno(error, 'EEXIST')) return false;
        throw error;
      }
    } finally {
      await unlink(this.at(temporary)).catch(() => undefined);
    }
  }

  /** Creates a new file O_EXCL|O_NOFOLLOW (never an existing name, never through a link) and returns it open for writing. */
  async createFile(name: Name, mode = 0o644): Promise<FileHandle> {
    return open(this.at(name), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  }

  async rename(name: Name, to: TreeDir, toName: Name): Promise<void> {
    await rename(this.at(name), to.at(toName));
  }

  /** Hard link (never replaces: EEXIST when the target name exists). */
  async link(name: Name, to: TreeDir, toName: Name): Promise<void> {
    await link(this.at(name), to.at(toName));
  }

  async symlink(name: Name, target: string | Buffer): Promise<void> {
    await symlink(target, this.at(name));
  }

  async unlink(name: Name): Promise<void> {
    await unlink(this.at(name));
  }

  async rmdir(name: Name): Promise<void> {
    await rmdir(this.at(name));
  }

  /** chmod of the entry itself (opened without following; a symlink is refused). */
  async chmod(name: Name, mode: number): Promise<void> {
    const info = await this.lstat(name);
    if (info?.isDirectory() === true) {
      const dir = await this.openDir(name);
      await dir.handle.chmod(mode).finally(() => dir.close());
      return;
    }
    const file = await this.openFile(name);
    await file.chmod(mode).finally(() => file.close());
  }

  /** fchmod of this directory; one held O_PATH (traverse-only) through its /proc magic link, which names no path. */
  async setMode(mode: number): Promise<void> {
    try {
      await this.handle.chmod(mode);
    } catch (error) {
      if (PROC_FD === undefined || !isErrno(error, 'EBADF')) throw error;
      await chmod(`${PROC_FD}/${this.handle.fd}`, mode);
    }
  }

  /** fchown of this directory (the root launcher hands what it creates to the agent's owner). */
  async chown(uid: number, gid: number): Promise<void> {
    await this.handle.chown(uid, gid);
  }
}

/** O_RDONLY|O_DIRECTORY|O_NOFOLLOW; a directory we may only traverse is opened O_PATH (lookups only). */
async function openDirectory(at: string | Buffer): Promise<FileHandle> {
  try {
    return await open(at, DIR_FLAGS);
  } catch (error) {
    if (PROC_FD === undefined || !isErrno(error, 'EACCES')) throw error;
    return open(at, O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  }
}
