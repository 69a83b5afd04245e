import fs from 'node:fs';
import path from 'node:path';
import type { HostContext } from '../../scripts/host/host-context.js';
import { readProjectSettings, readUserSettings, resolveSettingsPaths } from '../../scripts/host/settings-file.js';
import { readTrustStore, trustStorePath, writeTrustStore } from '../../scripts/host/trust-store.js';
import { EMPTY_TRUST_STORE, recordTrust } from '../../scripts/core/trust.js';
import { makeTempDir, removeTempDir, writeFile } from './helpers/temp-dir.js';

let tmp: string;
let ctx: HostContext;

beforeEach(() => {
  tmp = makeTempDir('codex-sandbox-settings-');
  fs.mkdirSync(path.join(tmp, 'home'));
  fs.mkdirSync(path.join(tmp, 'work'));
  ctx = { cwd: tmp, env: {}, home: path.join(tmp, 'home'), uid: 1, gid: 1, stdinIsTTY: false, stdoutIsTTY: false, pid: 1, hostname: 'h' };
});
afterEach(() => removeTempDir(tmp));

describe('settings files on the host', () => {
  it('none: undefined; present: parsed, hashed, paths resolved (relative: workdir, ~/: home)', async () => {
    const work = path.join(tmp, 'work');
    expect(await readProjectSettings(work)).toBeUndefined();
    expect(await readUserSettings(ctx)).toBeUndefined();
    writeFile(path.join(work, '.codex', 'sandbox.ini'), '[mounts]\nread_only = data ~/.m2\n[run]\ninit_script = i.sh\n');
    const file = await readProjectSettings(work);
    expect(file?.path).toBe(path.join(work, '.codex', 'sandbox.ini'));
    expect(file?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(resolveSettingsPaths(file, ctx.home)).toEqual({
      readOnly: [path.join(work, 'data'), path.join(tmp, 'home', '.m2')],
      initScript: path.join(work, 'i.sh'),
    });
  });

  it('refuses a symlinked project file (another project’s approved file must not apply here)', async () => {
    const work = path.join(tmp, 'work');
    writeFile(path.join(tmp, 'other', '.codex', 'sandbox.ini'), '[network]\nallow = a.test\n');
    fs.mkdirSync(path.join(work, '.codex'));
    fs.symlinkSync(path.join(tmp, 'other', '.codex', 'sandbox.ini'), path.join(work, '.codex', 'sandbox.ini'));
    await expect(readProjectSettings(work)).rejects.toThrow('is a symlink: settings must be a regular file in the workdir');
  });

  it('refuses a project file reached through a symlinked .codex', async () => {
    const work = path.join(tmp, 'work');
    writeFile(path.join(tmp, 'other', '.codex', 'sandbox.ini'), '[network]\nallow = a.test\n');
    fs.symlinkSync(path.join(tmp, 'other', '.codex'), path.join(work, '.codex'));
    await expect(readProjectSettings(work)).rejects.toThrow('leads outside the workdir');
  });

  it('refuses a FIFO without blocking', async () => {
    const work = path.join(tmp, 'work');
    fs.mkdirSync(path.join(work, '.codex'));
    const { spawnSync } = await import('node:child_process');
    spawnSync('mkfifo', [path.join(work, '.codex', 'sandbox.ini')]);
    await expect(readProjectSettings(work)).rejects.toThrow('is not a regular file');
  });
});

describe('trust store', () => {
  it('missing: empty; written atomically with mode 0600 in a 0700 directory; read back', async () => {
    expect(await readTrustStore(ctx)).toEqual(EMPTY_TRUST_STORE);
    const store = recordTrust(EMPTY_TRUST_STORE, '/w/.codex/sandbox.ini', { sha256: 'a'.repeat(64), approvedAt: 't', policy: ['x'] });
    await writeTrustStore(ctx, store);
    const file = trustStorePath(ctx);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['trust.json']);
    expect(await readTrustStore(ctx)).toEqual(store);
  });
});
