import fs from 'node:fs';
import path from 'node:path';
import { planHome as planCodexHome, type HomeAction } from '../../scripts/core/agents/agent-home-plan.js';
import { EnvironmentError, UsageError } from '../../scripts/core/errors.js';
import { applyHomeActions } from '../../scripts/host/agents/apply-home-actions.js';
import { inspectAgentHome, type HomeInputs as AgentHomeInputs } from '../../scripts/host/agents/agent-home.js';
import { withoutEmptyValues, type HostContext } from '../../scripts/host/host-context.js';
import { makeTempDir, removeTempDir, snapshotTree, writeFile } from './helpers/temp-dir.js';

let tmp: string;
let home: string;
let work: string;
let envDir: string;
let sessionsDir: string;
let outside: string;

beforeEach(() => {
  tmp = makeTempDir();
  home = path.join(tmp, 'home');
  work = path.join(tmp, 'work');
  outside = path.join(tmp, 'outside');
  for (const dir of [home, work, outside]) fs.mkdirSync(dir);
  envDir = path.join(work, '.codex', '.environment');
  sessionsDir = path.join(envDir, 'sessions');
});

afterEach(() => removeTempDir(tmp));

/** As readHostContext builds it: empty variables count as unset (R3). */
function context(env: Record<string, string> = {}): HostContext {
  return {
    cwd: work,
    env: withoutEmptyValues(env),
    home,
    uid: 1000,
    gid: 1000,
    stdinIsTTY: false,
    stdoutIsTTY: false,
    pid: 1,
    hostname: 'h',
  };
}

/** Codex's home through the one inspector: its login file is `authFile` here. */
type HomeInputs = Omit<AgentHomeInputs, 'agent'>;
async function inspectCodexHome(homeInputs: HomeInputs) {
  const inspection = await inspectAgentHome({ ...homeInputs, agent: 'codex' });
  return { ...inspection, authFile: inspection.credentialFile };
}

/** Codex's own home is the per-project home: nothing of its own to create, `prompts` its one config directory. */
const codexHome = (exists: boolean, prompts: Array<{ name: string; dir: string; files: unknown[] }> = []) => ({
  agent: 'codex',
  home: envDir,
  homeExists: exists,
  configDir: envDir,
  configDirExists: exists,
  configFiles: [],
  configDirs: prompts,
  seeds: [],
});

function inputs(overrides: Partial<HomeInputs> = {}, env: Record<string, string> = {}): HomeInputs {
  return { workdir: work, envDir, sessionsDir, ctx: context(env), ...overrides };
}

describe('inspectCodexHome: config.toml search order', () => {
  // Each place, highest priority first; the test fills places i.. and expects place i to win.
  const places: Array<{
    name: string;
    dir: () => string;
    setup: () => { flag?: string; env?: Record<string, string>; explicit: boolean };
  }> = [
    {
      name: '--config DIR',
      dir: () => path.join(tmp, 'flag'),
      setup: () => ({ flag: path.join(tmp, 'flag'), env: { CODEX_CONFIG_DIR: path.join(tmp, 'cfgdir') }, explicit: true }),
    },
    {
      name: 'CODEX_CONFIG_DIR',
      dir: () => path.join(tmp, 'cfgdir'),
      setup: () => ({ env: { CODEX_CONFIG_DIR: path.join(tmp, 'cfgdir') }, explicit: false }),
    },
    { name: '~/.codex', dir: () => path.join(home, '.codex'), setup: () => ({ explicit: false }) },
    { name: '~/.config/codex', dir: () => path.join(home, '.config', 'codex'), setup: () => ({ explicit: false }) },
    { name: 'WORK/codex', dir: () => path.join(work, 'codex'), setup: () => ({ explicit: false }) },
    { name: 'WORK/.codex', dir: () => path.join(work, '.codex'), setup: () => ({ explicit: false }) },
  ];

  it.each(places.map((place, index) => [place.name, index] as const))('%s wins over everything after it', async (_name, index) => {
    for (const place of places.slice(index)) {
      writeFile(path.join(place.dir(), 'config.toml'), `# ${place.name}\n`);
    }
    const setup = places[index]!.setup();
    const inspection = await inspectCodexHome(inputs({ configFlag: setup.flag }, setup.env ?? {}));
    expect(inspection.facts.configSource).toEqual({ path: path.join(places[index]!.dir(), 'config.toml'), explicit: setup.explicit });
  });

  it('--config FILE (any name) is taken as is and is explicit', async () => {
    const file = writeFile(path.join(tmp, 'my.toml'), 'x = 1\n');
    writeFile(path.join(home, '.codex', 'config.toml'), 'home\n');
    const { facts } = await inspectCodexHome(inputs({ configFlag: file }));
    expect(facts.configSource).toEqual({ path: file, explicit: true });
  });

  it('--config relative to cwd', async () => {
    writeFile(path.join(work, 'cfg', 'config.toml'), 'x\n');
    const { facts } = await inspectCodexHome(inputs({ configFlag: 'cfg' }));
    expect(facts.configSource).toEqual({ path: path.join(work, 'cfg', 'config.toml'), explicit: true });
  });

  it('no config anywhere: no source', async () => {
    const { facts } = await inspectCodexHome(inputs());
    expect(facts.configSource).toBeUndefined();
    expect(facts).toEqual({
      envDir,
      envDirExists: false,
      sessionsDir,
      sessionsDirExists: false,
      configSource: undefined,
      configTargetExists: false,
      initScript: undefined,
      agent: codexHome(false),
    });
  });

  it.each<[string, () => Partial<HomeInputs>, Record<string, string>, RegExp]>([
    ['--config missing', () => ({ configFlag: path.join(tmp, 'nope') }), {}, /--config ".*nope" does not exist/],
    ['--config dir without config.toml', () => ({ configFlag: outside }), {}, /has no config.toml/],
    [
      'CODEX_CONFIG_DIR missing',
      () => ({}),
      { CODEX_CONFIG_DIR: '/definitely/not/here' },
      /CODEX_CONFIG_DIR "\/definitely\/not\/here" does not exist/,
    ],
    ['--init_script missing', () => ({ initScript: 'nope.sh' }), {}, /--init_script "nope.sh" does not exist/],
    ['--init_script is a dir', () => ({ initScript: outside }), {}, /--init_script .* is not a regular file/],
  ])('%s -> UsageError', async (_name, overrides, env, message) => {
    const before = snapshotTree(tmp);
    const promise = inspectCodexHome(inputs(overrides(), env));
    await expect(promise).rejects.toBeInstanceOf(UsageError);
    await expect(inspectCodexHome(inputs(overrides(), env))).rejects.toThrow(message);
    expect(snapshotTree(tmp)).toEqual(before);
  });
});

describe('inspectCodexHome: auth.json search order', () => {
  const places: Array<{ name: string; file: () => string }> = [
    { name: '--auth_file', file: () => path.join(tmp, 'flag-auth', 'mine.json') },
    { name: 'CODEX_AUTH_FILE', file: () => path.join(tmp, 'env-auth', 'auth.json') },
    { name: '--config dir', file: () => path.join(tmp, 'flag', 'auth.json') },
    { name: 'CODEX_CONFIG_DIR', file: () => path.join(tmp, 'cfgdir', 'auth.json') },
    { name: '~/.codex', file: () => path.join(home, '.codex', 'auth.json') },
    { name: '~/.config/codex', file: () => path.join(home, '.config', 'codex', 'auth.json') },
    { name: 'WORK/codex', file: () => path.join(work, 'codex', 'auth.json') },
    { name: 'WORK/.codex', file: () => path.join(work, '.codex', 'auth.json') },
    { name: '.environment/auth.json', file: () => path.join(envDir, 'auth.json') },
  ];

  it.each(places.map((place, index) => [place.name, index] as const))('%s wins over everything after it', async (_name, index) => {
    for (const place of places.slice(index)) writeFile(place.file(), `{"from":"${place.name}"}`);
    // --config and CODEX_CONFIG_DIR stay configured throughout (their dirs exist with a config.toml).
    writeFile(path.join(tmp, 'flag', 'config.toml'), 'x\n');
    fs.mkdirSync(path.join(tmp, 'cfgdir'), { recursive: true });
    const env: Record<string, string> = { CODEX_CONFIG_DIR: path.join(tmp, 'cfgdir') };
    if (index <= 1) env.CODEX_AUTH_FILE = places[1]!.file();
    const authFlag = index === 0 ? places[0]!.file() : undefined;
    const inspection = await inspectCodexHome(inputs({ authFlag, configFlag: path.join(tmp, 'flag') }, env));
    expect(inspection.authFile).toBe(places[index]!.file());
    expect(inspection.warnings).toEqual([]);
  });

  it('an EMPTY .environment/auth.json (a docker mount point) is ignored', async () => {
    writeFile(path.join(envDir, 'auth.json'), '');
    const inspection = await inspectCodexHome(inputs());
    expect(inspection.authFile).toBeUndefined();
    expect(inspection.warnings).toEqual([
      'no auth.json found: log in with `run-in-container login` (or Codex asks you inside the container)',
    ]);
  });

  it('an empty file earlier in the order is skipped for a later non-empty one', async () => {
    writeFile(path.join(home, '.codex', 'auth.json'), '');
    writeFile(path.join(work, 'codex', 'auth.json'), '{}');
    expect((await inspectCodexHome(inputs())).authFile).toBe(path.join(work, 'codex', 'auth.json'));
  });

  it('CODEX_AUTH_FILE="" counts as unset', async () => {
    writeFile(path.join(home, '.codex', 'auth.json'), '{}');
    expect((await inspectCodexHome(inputs({}, { CODEX_AUTH_FILE: '' }))).authFile).toBe(path.join(home, '.codex', 'auth.json'));
  });

  it.each<[string, () => Partial<HomeInputs>, () => Record<string, string>, RegExp]>([
    ['--auth_file missing', () => ({ authFlag: path.join(tmp, 'none.json') }), () => ({}), /--auth_file ".*none.json" does not exist/],
    ['--auth_file is a directory', () => ({ authFlag: outside }), () => ({}), /--auth_file ".*outside" is not a regular file/],
    [
      'CODEX_AUTH_FILE missing',
      () => ({}),
      () => ({ CODEX_AUTH_FILE: path.join(tmp, 'none.json') }),
      /CODEX_AUTH_FILE ".*none.json" does not exist/,
    ],
    ['CODEX_AUTH_FILE is a directory', () => ({}), () => ({ CODEX_AUTH_FILE: outside }), /CODEX_AUTH_FILE .* is not a regular file/],
  ])('%s -> UsageError naming it, even when another auth.json exists', async (_name, overrides, env, message) => {
    writeFile(path.join(home, '.codex', 'auth.json'), '{}');
    await expect(inspectCodexHome(inputs(overrides(), env()))).rejects.toThrow(UsageError);
    await expect(inspectCodexHome(inputs(overrides(), env()))).rejects.toThrow(message);
  });

  it('a symlink WORK/.codex/auth.json -> a file outside is ignored with a warning', async () => {
    const secret = writeFile(path.join(outside, 'id_rsa'), 'SECRET');
    fs.mkdirSync(path.join(work, '.codex'), { recursive: true });
    const link = path.join(work, '.codex', 'auth.json');
    fs.symlinkSync(secret, link);
    const inspection = await inspectCodexHome(inputs());
    expect(inspection.authFile).toBeUndefined();
    expect(inspection.warnings).toEqual([
      `ignoring ${link}: it is a link leading out of a directory the agent can write`,
      'no auth.json found: log in with `run-in-container login` (or Codex asks you inside the container)',
    ]);
  });

  it('a symlinked WORK/codex directory leading outside is ignored for config.toml too', async () => {
    writeFile(path.join(outside, 'config.toml'), 'evil\n');
    fs.symlinkSync(outside, path.join(work, 'codex'));
    const inspection = await inspectCodexHome(inputs());
    expect(inspection.facts.configSource).toBeUndefined();
    expect(inspection.warnings).toContain(
      `ignoring ${path.join(work, 'codex', 'config.toml')}: it is a link leading out of a directory the agent can write`,
    );
  });

  it('a symlink inside the workdir to a file inside the workdir is fine (the mount source is the real file, R102)', async () => {
    const real = writeFile(path.join(work, 'secrets', 'auth.json'), '{}');
    fs.mkdirSync(path.join(work, 'codex'));
    fs.symlinkSync(real, path.join(work, 'codex', 'auth.json'));
    // Docker is handed the symlink-free path, so re-pointing the link later changes nothing.
    expect((await inspectCodexHome(inputs())).authFile).toBe(real);
  });
});

describe('inspectCodexHome: prompts, init script, existing targets', () => {
  it('lists prompt files (recursively, sorted, symlinks skipped) with targetExists', async () => {
    const prompts = path.join(home, '.codex', 'prompts');
    writeFile(path.join(prompts, 'b.md'), 'b');
    writeFile(path.join(prompts, 'a.md'), 'a');
    writeFile(path.join(prompts, 'sub', 'c.md'), 'c');
    fs.symlinkSync(writeFile(path.join(outside, 'secret'), 's'), path.join(prompts, 'link.md'));
    writeFile(path.join(envDir, 'prompts', 'a.md'), 'mine');
    fs.mkdirSync(sessionsDir);
    writeFile(path.join(envDir, 'config.toml'), 'mine');
    const init = writeFile(path.join(work, 'init.sh'), 'echo hi\n');
    const { facts } = await inspectCodexHome(inputs({ initScript: 'init.sh' }));
    expect(facts).toEqual({
      envDir,
      envDirExists: true,
      sessionsDir,
      sessionsDirExists: true,
      configSource: undefined,
      configTargetExists: true,
      initScript: init,
      agent: codexHome(true, [
        {
          name: 'prompts',
          dir: prompts,
          files: [
            { relative: 'a.md', targetExists: true },
            { relative: 'b.md', targetExists: false },
            { relative: path.join('sub', 'c.md'), targetExists: false },
          ],
        },
      ]),
    });
  });

  it('the first prompts/ directory wins (CODEX_CONFIG_DIR before ~/.codex)', async () => {
    writeFile(path.join(tmp, 'cfgdir', 'prompts', 'x.md'), 'x');
    writeFile(path.join(home, '.codex', 'prompts', 'y.md'), 'y');
    const { facts } = await inspectCodexHome(inputs({}, { CODEX_CONFIG_DIR: path.join(tmp, 'cfgdir') }));
    expect(facts.agent.configDirs).toEqual([
      { name: 'prompts', dir: path.join(tmp, 'cfgdir', 'prompts'), files: [{ relative: 'x.md', targetExists: false }] },
    ]);
  });

  it('a dangling symlink at the config target counts as existing (never written through)', async () => {
    fs.mkdirSync(envDir, { recursive: true });
    fs.symlinkSync(path.join(outside, 'nothing'), path.join(envDir, 'config.toml'));
    writeFile(path.join(home, '.codex', 'config.toml'), 'x');
    const { facts } = await inspectCodexHome(inputs());
    expect(facts.configTargetExists).toBe(true);
    expect(planCodexHome(facts)).toEqual([{ kind: 'mkdir', path: sessionsDir }]);
  });

  it('inspect never writes', async () => {
    writeFile(path.join(home, '.codex', 'config.toml'), 'x');
    writeFile(path.join(home, '.codex', 'auth.json'), '{}');
    writeFile(path.join(home, '.codex', 'prompts', 'p.md'), 'p');
    const before = snapshotTree(tmp);
    await inspectCodexHome(inputs());
    expect(snapshotTree(tmp)).toEqual(before);
  });
});

describe('applyHomeActions', () => {
  /** The bytes are read while planning (inspectCodexHome); here straight from each source. */
  const apply = (actions: HomeAction[], _roots: string[]) => {
    const contents = new Map<string, Buffer>();
    for (const action of actions) if (action.kind === 'copy-file') contents.set(action.from, fs.readFileSync(action.from));
    return applyHomeActions(actions, contents, [work, envDir, sessionsDir]);
  };

  it('creates directories and copies files, leaving no temporary files', async () => {
    const config = writeFile(path.join(home, '.codex', 'config.toml'), 'model = "o3"\n');
    const prompt = writeFile(path.join(home, '.codex', 'prompts', 'sub', 'p.md'), 'prompt');
    await apply(
      [
        { kind: 'mkdir', path: envDir },
        { kind: 'mkdir', path: sessionsDir },
        { kind: 'copy-file', from: config, to: path.join(envDir, 'config.toml'), overwrite: false },
        { kind: 'copy-file', from: prompt, to: path.join(envDir, 'prompts', 'sub', 'p.md'), overwrite: false },
      ],
      [envDir, sessionsDir],
    );
    const tree = snapshotTree(envDir);
    expect(Object.keys(tree).sort()).toEqual(['config.toml', 'prompts', 'prompts/sub', 'prompts/sub/p.md', 'sessions']);
    expect(fs.readFileSync(path.join(envDir, 'config.toml'), 'utf8')).toBe('model = "o3"\n');
    expect(fs.readFileSync(path.join(envDir, 'prompts', 'sub', 'p.md'), 'utf8')).toBe('prompt');
  });

  it('never overwrites an existing prompt (nor follows a planted symlink there)', async () => {
    const source = writeFile(path.join(home, 'p.md'), 'new');
    writeFile(path.join(envDir, 'prompts', 'a.md'), 'mine');
    const victim = writeFile(path.join(outside, 'victim'), 'victim');
    fs.symlinkSync(victim, path.join(envDir, 'prompts', 'b.md'));
    await apply(
      [
        { kind: 'copy-file', from: source, to: path.join(envDir, 'prompts', 'a.md'), overwrite: false },
        { kind: 'copy-file', from: source, to: path.join(envDir, 'prompts', 'b.md'), overwrite: false },
      ],
      [envDir],
    );
    expect(fs.readFileSync(path.join(envDir, 'prompts', 'a.md'), 'utf8')).toBe('mine');
    expect(fs.readlinkSync(path.join(envDir, 'prompts', 'b.md'))).toBe(victim);
    expect(fs.readFileSync(victim, 'utf8')).toBe('victim');
    expect(fs.readdirSync(path.join(envDir, 'prompts')).sort()).toEqual(['a.md', 'b.md']);
  });

  it('explicit config overwrites via rename: a planted symlink is replaced, its target untouched', async () => {
    const source = writeFile(path.join(tmp, 'cfg', 'config.toml'), 'explicit');
    const victim = writeFile(path.join(outside, 'bashrc'), 'victim', 0o644);
    const victimBefore = snapshotTree(outside);
    fs.mkdirSync(envDir, { recursive: true });
    fs.symlinkSync(victim, path.join(envDir, 'config.toml'));
    await apply([{ kind: 'copy-file', from: source, to: path.join(envDir, 'config.toml'), overwrite: true }], [envDir]);
    const target = path.join(envDir, 'config.toml');
    expect(fs.lstatSync(target).isFile()).toBe(true);
    expect(fs.readFileSync(target, 'utf8')).toBe('explicit');
    expect(snapshotTree(outside)).toEqual(victimBefore);
  });

  it('explicit config overwrites an existing regular file', async () => {
    const source = writeFile(path.join(tmp, 'cfg', 'config.toml'), 'explicit');
    writeFile(path.join(envDir, 'config.toml'), 'old');
    await apply([{ kind: 'copy-file', from: source, to: path.join(envDir, 'config.toml'), overwrite: true }], [envDir]);
    expect(fs.readFileSync(path.join(envDir, 'config.toml'), 'utf8')).toBe('explicit');
    expect(fs.readdirSync(envDir)).toEqual(['config.toml']);
  });

  it('init script gets mode 0o755', async () => {
    const source = writeFile(path.join(work, 'setup.sh'), '#!/bin/sh\n', 0o600);
    await apply([{ kind: 'copy-file', from: source, to: path.join(envDir, 'init.sh'), overwrite: true, mode: 0o755 }], [envDir]);
    expect(fs.statSync(path.join(envDir, 'init.sh')).mode & 0o7777).toBe(0o755);
    expect(fs.statSync(source).mode & 0o7777).toBe(0o600);
  });

  it('refuses to write through a symlinked directory leading outside the roots', async () => {
    const source = writeFile(path.join(home, 'p.md'), 'p');
    fs.mkdirSync(envDir, { recursive: true });
    fs.symlinkSync(outside, path.join(envDir, 'prompts'));
    const before = snapshotTree(outside);
    const action = { kind: 'copy-file', from: source, to: path.join(envDir, 'prompts', 'p.md'), overwrite: false } as const;
    await expect(apply([action], [envDir])).rejects.toThrow(EnvironmentError);
    await expect(apply([action], [envDir])).rejects.toThrow(`${path.join(envDir, 'prompts')} leads outside the Codex home`);
    expect(snapshotTree(outside)).toEqual(before);
  });

  // PRODUCT BUG (reported): apply-home-actions.ts creates the parent directory
  // (mkdir recursive) BEFORE checking that its realpath stays inside the roots, so a
  // nested prompt (prompts/sub/p.md) behind a planted prompts -> /outside symlink
  // creates /outside/sub on the host before the refusal.
  it('refuses a nested target behind a symlinked directory without creating anything outside', async () => {
    const source = writeFile(path.join(home, 'p.md'), 'p');
    fs.mkdirSync(envDir, { recursive: true });
    fs.symlinkSync(outside, path.join(envDir, 'prompts'));
    const before = snapshotTree(outside);
    const action = { kind: 'copy-file', from: source, to: path.join(envDir, 'prompts', 'sub', 'p.md'), overwrite: false } as const;
    await expect(apply([action], [envDir])).rejects.toThrow(EnvironmentError);
    expect(snapshotTree(outside)).toEqual(before);
  });

  it('full inspect -> plan -> apply cycle: auth.json is never copied, its source untouched', async () => {
    const auth = writeFile(path.join(home, '.codex', 'auth.json'), '{"token":"t"}', 0o600);
    fs.utimesSync(auth, new Date('2020-01-02T03:04:05Z'), new Date('2020-01-02T03:04:05Z'));
    writeFile(path.join(home, '.codex', 'config.toml'), 'c');
    writeFile(path.join(home, '.codex', 'prompts', 'p.md'), 'p');
    const homeBefore = snapshotTree(home);
    const authStat = fs.statSync(auth);

    const inspection = await inspectCodexHome(inputs({ initScript: writeFile(path.join(work, 'i.sh'), 'i') }));
    expect(inspection.authFile).toBe(auth);
    await applyHomeActions(planCodexHome(inspection.facts), inspection.contents, [work, envDir, sessionsDir]);

    expect(fs.existsSync(path.join(envDir, 'auth.json'))).toBe(false);
    expect(Object.keys(snapshotTree(envDir)).sort()).toEqual(['config.toml', 'init.sh', 'prompts', 'prompts/p.md', 'sessions']);
    const after = fs.statSync(auth);
    expect(after.mode).toBe(authStat.mode);
    expect(after.mtimeMs).toBe(authStat.mtimeMs);
    expect(after.mtimeMs).toBe(new Date('2020-01-02T03:04:05Z').getTime());
    expect(snapshotTree(home)).toEqual(homeBefore);

    // A second cycle changes nothing (config kept, prompts not overwritten).
    writeFile(path.join(envDir, 'prompts', 'p.md'), 'edited');
    const second = await inspectCodexHome(inputs());
    expect(planCodexHome(second.facts)).toEqual([]);
  });
});
