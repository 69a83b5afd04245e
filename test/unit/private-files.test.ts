import fs from 'node:fs';
import path from 'node:path';
import { choosePrivateDir, removeRunPrivateFiles, writeRunSecrets } from '../../scripts/host/tree/private-files.js';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.js';

let tmp: string;
const uid = process.getuid?.() ?? 1000;

beforeEach(() => {
  tmp = makeTempDir('codex-sandbox-private-');
});
afterEach(() => removeTempDir(tmp));

const entry = { name: 'GH_TOKEN', value: 'ghp_real0123456789', placeholder: 'ghp_fake0123456789', hosts: ['api.github.com'] };
const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

describe('the launcher-private directory (R161)', () => {
  it('$XDG_RUNTIME_DIR when it is our own directory, else the state directory', async () => {
    const runtime = path.join(tmp, 'run');
    fs.mkdirSync(runtime, { mode: 0o700 });
    const home = path.join(tmp, 'home');
    expect(await choosePrivateDir({ env: { XDG_RUNTIME_DIR: runtime }, home, uid }, [])).toBe(
      path.join(runtime, 'codex-sandbox', 'secrets'),
    );
    expect(await choosePrivateDir({ env: { XDG_RUNTIME_DIR: path.join(tmp, 'missing') }, home, uid }, [])).toBe(
      path.join(home, '.local', 'state', 'codex-sandbox', 'secrets'),
    );
    expect(await choosePrivateDir({ env: { XDG_STATE_HOME: path.join(tmp, 'state') }, home, uid }, [])).toBe(
      path.join(tmp, 'state', 'codex-sandbox', 'secrets'),
    );
    fs.symlinkSync(runtime, path.join(tmp, 'link'));
    expect(await choosePrivateDir({ env: { XDG_RUNTIME_DIR: path.join(tmp, 'link') }, home, uid }, [])).toBe(
      path.join(home, '.local', 'state', 'codex-sandbox', 'secrets'),
    );
  });

  it('never inside a tree the agent can write', async () => {
    const home = path.join(tmp, 'home');
    await expect(choosePrivateDir({ env: {}, home, uid }, [home])).rejects.toThrow(
      `the private directory for credentials ${home}/.local/state/codex-sandbox/secrets lies in ${home}, which the agent can write`,
    );
  });

  it('writes 0700 directories and 0600 files, never over an existing file; removes one run only', async () => {
    const dir = path.join(tmp, 'state', 'codex-sandbox', 'secrets');
    await writeRunSecrets({ dir, entries: [entry], loginCopy: { text: '{"a":"b"}\n', credentialFile: 'auth.json' } }, 'r1', uid);
    await writeRunSecrets({ dir, entries: [entry] }, 'r2', uid);
    expect(fs.readdirSync(dir).sort()).toEqual(['r1.auth.json', 'r1.handback', 'r1.secrets.json', 'r2.secrets.json']);
    expect(modeOf(dir)).toBe(0o700);
    expect(modeOf(path.dirname(dir))).toBe(0o700);
    expect(modeOf(path.join(dir, 'r1.secrets.json'))).toBe(0o600);
    expect(modeOf(path.join(dir, 'r1.auth.json'))).toBe(0o644); // placeholders only: the agent reads it
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'r1.secrets.json'), 'utf8'))).toEqual({ version: 1, secrets: [entry] });
    await expect(writeRunSecrets({ dir, entries: [entry] }, 'r2', uid)).rejects.toMatchObject({ code: 'EEXIST' });
    await removeRunPrivateFiles({ env: { XDG_STATE_HOME: path.join(tmp, 'state') }, home: tmp, uid }, 'r1');
    expect(fs.readdirSync(dir)).toEqual(['r2.secrets.json']);
  });

  it('refuses a directory that is a link, and a link where the file goes', async () => {
    const elsewhere = path.join(tmp, 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.mkdirSync(path.join(tmp, 'state'));
    fs.symlinkSync(elsewhere, path.join(tmp, 'state', 'codex-sandbox'));
    await expect(
      writeRunSecrets({ dir: path.join(tmp, 'state', 'codex-sandbox', 'secrets'), entries: [entry] }, 'r1', uid),
    ).rejects.toThrow('is not a directory of your own');
    const dir = path.join(tmp, 'ok', 'codex-sandbox', 'secrets');
    fs.mkdirSync(dir, { recursive: true });
    fs.symlinkSync(path.join(elsewhere, 'target'), path.join(dir, 'r3.secrets.json'));
    await expect(writeRunSecrets({ dir, entries: [entry] }, 'r3', uid)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(fs.existsSync(path.join(elsewhere, 'target'))).toBe(false);
  });
});
