import fs from 'node:fs';
import path from 'node:path';
import { resolvePullDest } from '../../scripts/host/session/session-pull.js';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.js';

/** `pull`'s DEST_DIR (R101, R107): a directory the launcher writes, possibly in the session's workdir. */
describe('resolvePullDest (host, temp dirs)', () => {
  let tmp: string;
  let work: string;
  let bin: string;

  beforeEach(() => {
    tmp = makeTempDir('codex-sandbox-pull-');
    work = path.join(tmp, 'work');
    bin = path.join(tmp, 'home', '.local', 'bin');
    fs.mkdirSync(work);
    fs.mkdirSync(bin, { recursive: true });
  });

  afterEach(() => removeTempDir(tmp));

  it('R107 a ./dist the agent replaced with a link to ~/.local/bin is refused, never the destination', async () => {
    fs.symlinkSync(bin, path.join(work, 'dist'));
    await expect(resolvePullDest('dist', work, [work])).rejects.toThrow(
      `pull: DEST_DIR "dist" cannot be used: ${path.join(work, 'dist')} is a symlink`,
    );
  });

  it("a real directory, or one reached through the user's own link outside the workdirs, is the destination", async () => {
    fs.mkdirSync(path.join(work, 'dist'));
    expect(await resolvePullDest('dist', work, [work])).toBe(path.join(work, 'dist'));
    fs.symlinkSync(work, path.join(tmp, 'mine'));
    expect(await resolvePullDest('mine/dist', tmp, [work])).toBe(path.join(work, 'dist'));
    await expect(resolvePullDest('nope', work, [work])).rejects.toThrow('pull: DEST_DIR "nope" does not exist (ENOENT)');
    fs.writeFileSync(path.join(work, 'file'), 'x');
    await expect(resolvePullDest('file', work, [work])).rejects.toThrow('pull: DEST_DIR "file" is not a directory');
  });
});
