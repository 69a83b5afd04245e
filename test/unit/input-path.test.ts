import fs from 'node:fs';
import path from 'node:path';
import { resolveWritableDir } from '../../scripts/host/tree/input-path.js';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.js';

/** Directories the launcher writes, typed by the user (R101, R102). */
describe('resolveWritableDir (host, temp dirs)', () => {
  let tmp: string;
  let work: string;
  let secret: string;

  beforeEach(() => {
    tmp = makeTempDir('codex-sandbox-input-');
    work = path.join(tmp, 'work');
    secret = path.join(tmp, 'secret');
    fs.mkdirSync(path.join(work, '.codex'), { recursive: true });
    fs.mkdirSync(secret);
    fs.mkdirSync(path.join(tmp, 'home'));
  });

  afterEach(() => removeTempDir(tmp));

  const describeError = (error: { detail: string }) => `refused: ${error.detail}`;

  it('R101 the user reaching the workdir through their own link never follows a link the agent planted inside', async () => {
    fs.symlinkSync(work, path.join(tmp, 'home', 'link'));
    fs.symlinkSync('../../secret', path.join(work, '.codex', 'runs'));
    await expect(resolveWritableDir('home/link/.codex/runs/x', tmp, [work], describeError)).rejects.toThrow(
      `refused: ${path.join(work, '.codex', 'runs')} is a symlink`,
    );
    expect(fs.readdirSync(secret)).toEqual([]);
  });

  it("the user's own links outside the trees are resolved; a missing rest is appended", async () => {
    fs.symlinkSync(work, path.join(tmp, 'home', 'link'));
    expect(await resolveWritableDir('home/link/.codex/new/x', tmp, [work], describeError)).toEqual({
      physical: path.join(work, '.codex', 'new', 'x'),
      exists: false,
    });
    fs.symlinkSync(secret, path.join(tmp, 'home', 'mine'));
    expect(await resolveWritableDir('home/mine', tmp, [work], describeError)).toEqual({ physical: secret, exists: true });
  });
});
