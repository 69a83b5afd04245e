import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A fresh directory in os.tmpdir(), realpath'd so paths compare with what the launcher resolves. */
export function makeTempDir(prefix = 'codex-sandbox-test-'): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Writes `content` to `file`, creating parent directories. */
export function writeFile(file: string, content: string, mode?: number): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  if (mode !== undefined) fs.chmodSync(file, mode);
  return file;
}

export const FIXTURES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');

/** Copies fixture `name` (test/fixtures/<name>) to `destination`. */
export function copyFixture(name: string, destination: string): string {
  fs.cpSync(path.join(FIXTURES_DIR, name), destination, { recursive: true });
  return destination;
}

/**
 * Every entry below `root` (not following symlinks): type, mode, content or link target.
 * Two equal snapshots mean nothing was created, removed or changed.
 */
export function snapshotTree(root: string): Record<string, string> {
  const result: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const relative = path.relative(root, full);
      const info = fs.lstatSync(full);
      const mode = (info.mode & 0o7777).toString(8);
      if (info.isSymbolicLink()) {
        result[relative] = `link -> ${fs.readlinkSync(full)}`;
      } else if (info.isDirectory()) {
        result[relative] = `dir ${mode}`;
        walk(full);
      } else {
        result[relative] = `file ${mode} mtime=${info.mtimeMs} ${fs.readFileSync(full, 'utf8')}`;
      }
    }
  };
  walk(root);
  return result;
}
