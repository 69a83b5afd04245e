import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createLoginHome, readLoginCredential, writeLoginFiles, type LoginHome } from '../../scripts/host/agents/login-home.js';
import { checkSaveTo, saveCredential } from '../../scripts/host/agents/save-credential.js';
import { makeTempDir, removeTempDir, writeFile } from './helpers/temp-dir.js';

/**
 * The login directory and the store (R135, R136): what the login wrote is read as hostile
 * input (no symlink at any component, regular, capped, non-empty JSON), written 0600 through
 * a temporary file, never through a link; the login directory always goes away.
 */

let tmp: string;
let storeRoot: string;
let home: LoginHome | undefined;

beforeEach(() => {
  tmp = makeTempDir('codex-sandbox-login-home-');
  storeRoot = path.join(tmp, 'config', 'codex-sandbox', 'credentials');
});

afterEach(async () => {
  await home?.remove();
  home = undefined;
  removeTempDir(tmp);
});

const modeOf = (file: string) => (fs.lstatSync(file).mode & 0o777).toString(8);

describe('createLoginHome', () => {
  it('makes <store>/.login-<run id> 0700 in a 0700 store, and remove() deletes it with everything in it', async () => {
    home = await createLoginHome(storeRoot, 'ab12cd34');
    expect(home.path).toBe(path.join(storeRoot, '.login-ab12cd34'));
    expect([modeOf(home.path), modeOf(storeRoot)]).toEqual(['700', '700']);
    writeFile(path.join(home.path, 'deep', 'er', 'file'), 'x');
    fs.chmodSync(path.join(home.path, 'deep'), 0o500);
    expect(await home.remove()).toBeUndefined();
    expect(fs.readdirSync(storeRoot)).toEqual([]);
  });

  it('sweeps login directories older than a day (a killed launcher), never a fresh one', async () => {
    const stale = path.join(storeRoot, '.login-00000001');
    const fresh = path.join(storeRoot, '.login-00000002');
    writeFile(path.join(stale, 'auth.json'), '{}');
    writeFile(path.join(fresh, 'auth.json'), '{}');
    const old = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
    fs.utimesSync(stale, old, old);
    // Age counts from the ctime too, which only the clock sets: the sweep runs two days later.
    const later = Date.now() + 2 * 24 * 60 * 60 * 1000;
    fs.utimesSync(fresh, new Date(later), new Date(later));
    home = await createLoginHome(storeRoot, 'ab12cd34', later);
    expect(fs.readdirSync(storeRoot).sort()).toEqual(['.login-00000002', '.login-ab12cd34']);
  });

  it('R136 a running login that fakes an old mtime is not swept (its ctime is now)', async () => {
    const running = path.join(storeRoot, '.login-00000003');
    writeFile(path.join(running, 'auth.json'), '{}');
    const old = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
    fs.utimesSync(running, old, old);
    home = await createLoginHome(storeRoot, 'ab12cd34');
    expect(fs.readdirSync(storeRoot).sort()).toEqual(['.login-00000003', '.login-ab12cd34']);
  });

  it('R136 remove() and the sweep delete links themselves, never what they point to; unwritable directories are opened up', async () => {
    const victim = path.join(tmp, 'victim');
    writeFile(path.join(victim, 'keep'), 'x');
    fs.chmodSync(victim, 0o500);
    const stale = path.join(storeRoot, '.login-00000001');
    writeFile(path.join(stale, 'sub', 'f'), 'x');
    fs.symlinkSync(victim, path.join(stale, 'sub', 'link'));
    fs.chmodSync(path.join(stale, 'sub'), 0);
    home = await createLoginHome(storeRoot, 'ab12cd34', Date.now() + 2 * 24 * 60 * 60 * 1000);
    fs.symlinkSync(victim, path.join(home.path, 'link'));
    fs.mkdirSync(path.join(home.path, 'locked'));
    fs.symlinkSync(victim, path.join(home.path, 'locked', 'link'));
    fs.chmodSync(path.join(home.path, 'locked'), 0o500);
    expect(await home.remove()).toBeUndefined();
    home = undefined;
    expect(fs.readdirSync(storeRoot)).toEqual([]);
    expect(fs.readdirSync(victim)).toEqual(['keep']);
    expect(modeOf(victim)).toBe('500');
  });
});

describe('writeLoginFiles and readLoginCredential', () => {
  beforeEach(async () => {
    home = await createLoginHome(storeRoot, 'ab12cd34');
  });

  it('writes the flow files 0600 below the login home and reads a credential back', async () => {
    await writeLoginFiles(home!, [{ parts: ['.gemini', 'settings.json'], content: '{"a":1}\n' }]);
    expect(fs.readFileSync(path.join(home!.path, '.gemini', 'settings.json'), 'utf8')).toBe('{"a":1}\n');
    expect([modeOf(path.join(home!.path, '.gemini')), modeOf(path.join(home!.path, '.gemini', 'settings.json'))]).toEqual(['700', '600']);
    writeFile(path.join(home!.path, '.gemini', 'oauth_creds.json'), '{"refresh_token":"r"}');
    const read = await readLoginCredential(home!, ['.gemini', 'oauth_creds.json']);
    expect(read).toEqual({ kind: 'found', bytes: Buffer.from('{"refresh_token":"r"}') });
  });

  it('missing: nothing there', async () => {
    expect(await readLoginCredential(home!, ['.gemini', 'oauth_creds.json'])).toEqual({ kind: 'missing' });
    expect(await readLoginCredential(home!, ['auth.json'])).toEqual({ kind: 'missing' });
  });

  it('refuses a symlinked file or directory, a FIFO, a directory, an oversized, empty or non-JSON file', async () => {
    const secret = writeFile(path.join(tmp, 'secret.json'), '{"stolen":true}');
    const cases: Array<[string, () => void, string[], RegExp]> = [
      ['link', () => fs.symlinkSync(secret, path.join(home!.path, 'auth.json')), ['auth.json'], /^auth\.json is a symlink/],
      ['dir link', () => fs.symlinkSync(tmp, path.join(home!.path, '.gemini')), ['.gemini', 'secret.json'], /symlink/],
      ['fifo', () => execFileSync('mkfifo', [path.join(home!.path, 'auth.json')]), ['auth.json'], /not a regular file/],
      ['dir', () => fs.mkdirSync(path.join(home!.path, 'auth.json')), ['auth.json'], /not a regular file/],
      [
        'large',
        () => writeFile(path.join(home!.path, 'auth.json'), `{"a":"${'x'.repeat(300 * 1024)}"}`),
        ['auth.json'],
        /larger than 256 KiB/,
      ],
      ['empty', () => writeFile(path.join(home!.path, 'auth.json'), ''), ['auth.json'], /^auth\.json is empty$/],
      ['not json', () => writeFile(path.join(home!.path, 'auth.json'), 'token=abc'), ['auth.json'], /^auth\.json is not valid JSON$/],
    ];
    for (const [name, plant, parts, why] of cases) {
      plant();
      const read = await readLoginCredential(home!, parts);
      expect({ name, kind: read.kind }).toEqual({ name, kind: 'refused' });
      expect(read.kind === 'refused' ? read.why : '').toMatch(why);
      fs.rmSync(path.join(home!.path, parts[0]!), { recursive: true, force: true });
    }
    expect(fs.readFileSync(secret, 'utf8')).toBe('{"stolen":true}');
  });
});

describe('saveCredential and checkSaveTo', () => {
  it('the store: 0700 directories, a 0600 file, replaced on the next login; a planted symlink is replaced, not followed', async () => {
    const victim = writeFile(path.join(tmp, 'victim'), 'untouched');
    const dir = path.join(storeRoot, 'codex');
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    fs.symlinkSync(victim, path.join(dir, 'auth.json'));
    expect(await saveCredential({ kind: 'store', dir }, 'auth.json', '{"n":1}')).toBe(path.join(dir, 'auth.json'));
    expect(await saveCredential({ kind: 'store', dir }, 'auth.json', '{"n":2}')).toBe(path.join(dir, 'auth.json'));
    expect(fs.readFileSync(path.join(dir, 'auth.json'), 'utf8')).toBe('{"n":2}');
    expect([modeOf(path.join(dir, 'auth.json')), modeOf(dir), modeOf(storeRoot)]).toEqual(['600', '700', '700']);
    expect(fs.readFileSync(victim, 'utf8')).toBe('untouched');
    expect(fs.readdirSync(dir)).toEqual(['auth.json']);
  });

  it('--save-to: created 0700 when missing; an existing file only with --force, checked first and again when writing', async () => {
    const dir = path.join(tmp, 'dot-codex');
    const target = await checkSaveTo('dot-codex', tmp, 'auth.json', false);
    expect(target).toEqual({ kind: 'dir', dir, force: false });
    expect(await saveCredential(target, 'auth.json', '{"n":1}')).toBe(path.join(dir, 'auth.json'));
    expect([modeOf(dir), modeOf(path.join(dir, 'auth.json'))]).toEqual(['700', '600']);
    await expect(checkSaveTo(dir, tmp, 'auth.json', false)).rejects.toThrow(/auth\.json exists: add --force to replace it/);
    await expect(saveCredential(target, 'auth.json', '{"n":2}')).rejects.toThrow(/exists: add --force/);
    expect(fs.readFileSync(path.join(dir, 'auth.json'), 'utf8')).toBe('{"n":1}');
    await saveCredential(await checkSaveTo(dir, tmp, 'auth.json', true), 'auth.json', '{"n":3}');
    expect(fs.readFileSync(path.join(dir, 'auth.json'), 'utf8')).toBe('{"n":3}');
    await expect(checkSaveTo('', tmp, 'auth.json', false)).rejects.toThrow('--save-to is empty: give a directory');
  });

  it('--save-to is resolved once, to its physical path: the save writes what was checked, a link swapped in since is refused', async () => {
    const real = path.join(tmp, 'real');
    fs.mkdirSync(real);
    fs.symlinkSync(real, path.join(tmp, 'link'));
    const target = await checkSaveTo('link/new/dir', tmp, 'auth.json', false);
    expect(target).toEqual({ kind: 'dir', dir: path.join(real, 'new', 'dir'), force: false });
    // After the check, the link is pointed elsewhere: the save still goes where the check looked.
    fs.mkdirSync(path.join(tmp, 'elsewhere'));
    fs.rmSync(path.join(tmp, 'link'));
    fs.symlinkSync(path.join(tmp, 'elsewhere'), path.join(tmp, 'link'));
    expect(await saveCredential(target, 'auth.json', '{"n":1}')).toBe(path.join(real, 'new', 'dir', 'auth.json'));
    expect(fs.readdirSync(path.join(tmp, 'elsewhere'))).toEqual([]);
    // A component replaced by a link after the check: refused, nothing written through it.
    const checked = await checkSaveTo('real/other', tmp, 'auth.json', false);
    fs.symlinkSync(path.join(tmp, 'elsewhere'), path.join(real, 'other'));
    await expect(saveCredential(checked, 'auth.json', '{"n":2}')).rejects.toThrow();
    expect(fs.readdirSync(path.join(tmp, 'elsewhere'))).toEqual([]);
  });

  it('--save-to: a broken link or a path below a file is refused before the login starts', async () => {
    fs.symlinkSync(path.join(tmp, 'nowhere'), path.join(tmp, 'dangling'));
    await expect(checkSaveTo('dangling', tmp, 'auth.json', false)).rejects.toThrow(/dangling is a broken link/);
    writeFile(path.join(tmp, 'plain'), 'x');
    await expect(checkSaveTo('plain/sub', tmp, 'auth.json', false)).rejects.toThrow(/cannot be used \(ENOTDIR\)/);
  });
});
