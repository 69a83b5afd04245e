import { jest } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_AGENT } from '../../scripts/core/agents/agents.js';
import { inspectAgentHome } from '../../scripts/host/agents/agent-home.js';
import { createLogSink, createReportFiles, readLastMessage, readRepoCommit } from '../../scripts/host/engine/exec-run.js';
import type { HostContext } from '../../scripts/host/host-context.js';
import { pinMountSources } from '../../scripts/host/mount-pins.js';
import { resolveProtectedGit } from '../../scripts/host/track/protect-git.js';
import { readCodexConfig } from '../../scripts/host/egress/provider-hosts.js';
import { readProjectSettings, resolveProjectPaths } from '../../scripts/host/settings-file.js';
import { recordWorkspace } from '../../scripts/host/track/record-workspace.js';
import { listTrackedChanges, renderTrackedDiff } from '../../scripts/host/track/track-store.js';
import { makeTempDir, removeTempDir, writeFile } from './helpers/temp-dir.js';

/** The host-side defences against hostile project trees on temp dirs (REQUIREMENTS.md R101–R109). */
let tmp: string;
let work: string;
let outside: string;
const SECRET = 'HOST SECRET 42';

beforeEach(() => {
  tmp = makeTempDir('codex-sandbox-hostile-');
  work = path.join(tmp, 'work');
  outside = path.join(tmp, 'outside');
  fs.mkdirSync(work);
  fs.mkdirSync(outside);
  writeFile(path.join(outside, 'secret'), `${SECRET}\n`);
});

afterEach(() => removeTempDir(tmp));

const mkfifo = (file: string) => expect(spawnSync('mkfifo', [file]).status).toBe(0);

describe('R106 track store: file names are data, never parsed by git', () => {
  const gitDir = () => path.join(tmp, 'track.git');
  // The first would make `hash-object --stdin-paths` (which C-unquotes a line starting
  // with a quote) hash the host's secret file; the second would make it read /dev/zero.
  const hostileNames = () => [
    `a\n"\\057${outside.slice(1).split('/').join('\\057')}\\057secret"`,
    '"\\057dev\\057zero"',
    '-rf',
    '--no-filters',
    'back\\slash',
    'quote"d',
    'new\nline',
    '\u001b]0;pwned\u0007.txt',
  ];

  it('R106 hostile names are recorded and listed exactly; no host file is hashed, /dev/zero is never read', async () => {
    const names = hostileNames();
    await recordWorkspace(gitDir(), work, 'bbbb0001', 'before');
    names.forEach((name, index) => writeFile(path.join(work, name), `content ${index}\n`));
    const started = Date.now();
    await recordWorkspace(gitDir(), work, 'bbbb0001', 'after');
    expect(Date.now() - started).toBeLessThan(20000);
    const changes = await listTrackedChanges(gitDir(), 'bbbb0001');
    expect(changes.map((change) => change.path).sort()).toEqual([...names].sort());
    expect(changes.every((change) => change.kind === 'added' && change.added === 1)).toBe(true);
    const objects = execFileSync('git', ['--git-dir', gitDir(), 'cat-file', '--batch-all-objects', '--batch'], { encoding: 'latin1' });
    expect(objects).not.toContain(SECRET);
    names.forEach((_, index) => expect(objects).toContain(`content ${index}\n`));
    const stat = await renderTrackedDiff(gitDir(), 'bbbb0001', true);
    expect(stat).toContain(`${names.length} files changed`);
    // git quotes what is not printable: no raw escape reaches stdout.
    expect(stat).not.toContain('\u001b');
  });

  it('R106 a huge sparse file is recorded as a note, not read whole', async () => {
    await recordWorkspace(gitDir(), work, 'bbbb0002', 'before');
    const sparse = path.join(work, 'sparse.bin');
    fs.writeFileSync(sparse, '');
    fs.truncateSync(sparse, 200 * 1024 * 1024 * 1024);
    const started = Date.now();
    await recordWorkspace(gitDir(), work, 'bbbb0002', 'after');
    expect(Date.now() - started).toBeLessThan(20000);
    const patch = await renderTrackedDiff(gitDir(), 'bbbb0002', false);
    expect(patch).toContain(`+codex-sandbox: not recorded, ${200 * 1024 * 1024 * 1024} bytes`);
  });
});

describe('R108 exec report: nothing planted in the Codex home or a clone redirects or hangs the launcher', () => {
  it('R108 the last message through a symlinked runs directory is not read', async () => {
    const env = path.join(work, '.codex', '.environment');
    fs.mkdirSync(env, { recursive: true });
    writeFile(path.join(outside, 'r1', 'last-message.md'), SECRET);
    fs.symlinkSync(outside, path.join(env, 'runs'));
    expect(await readLastMessage(env, 'runs/r1/last-message.md')).toBeUndefined();
  });

  it('R108 .git refs: a FIFO HEAD, a /dev/zero ref, a symlinked refs directory: no hang, no read outside', async () => {
    const repo = path.join(work, 'r');
    fs.mkdirSync(path.join(repo, '.git'), { recursive: true });
    mkfifo(path.join(repo, '.git', 'HEAD'));
    expect(await readRepoCommit(repo)).toBeUndefined();
    fs.unlinkSync(path.join(repo, '.git', 'HEAD'));
    writeFile(path.join(repo, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    fs.mkdirSync(path.join(repo, '.git', 'refs', 'heads'), { recursive: true });
    fs.symlinkSync('/dev/zero', path.join(repo, '.git', 'refs', 'heads', 'main'));
    expect(await readRepoCommit(repo)).toBeUndefined();
    fs.rmSync(path.join(repo, '.git', 'refs'), { recursive: true });
    writeFile(path.join(outside, 'heads', 'main'), `${'d'.repeat(40)}\n`);
    fs.symlinkSync(outside, path.join(repo, '.git', 'refs'));
    expect(await readRepoCommit(repo)).toBeUndefined();
  });

  it('R108 report files are never created through a planted link', async () => {
    fs.mkdirSync(path.join(work, '.codex'));
    fs.symlinkSync(outside, path.join(work, '.codex', 'runs'));
    await expect(createReportFiles(path.join(work, '.codex', 'runs', 'x'), [work])).rejects.toMatchObject({ reason: 'link' });
    expect(fs.readdirSync(outside)).toEqual(['secret']);
  });

  it('R108 run.log stops at its cap with a note; one endless line is cut', async () => {
    const files = await createReportFiles(path.join(tmp, 'report'), []);
    const sink = createLogSink(files.runLog, () => new Date('2026-01-01T00:00:00.000Z'), { line: 100, total: 2000 });
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    for (let chunk = 0; chunk < 100; chunk += 1) sink.onData('stdout', Buffer.alloc(10000, 'y'));
    sink.onData('stdout', Buffer.from('\n'));
    for (let line = 0; line < 100; line += 1) sink.onData('stderr', Buffer.from(`line ${line}\n`));
    await sink.flush();
    stderr.mockRestore();
    await Promise.all([files.runLog.close(), files.summary.close(), files.exitJson.close()]);
    const log = fs.readFileSync(path.join(tmp, 'report', 'run.log'), 'utf8');
    expect(log.length).toBeLessThan(2300);
    expect(log).toContain('stderr line 0\n');
    expect(log).toMatch(/\[codex-sandbox: run\.log reached 2000 bytes; \d+ more line\(s\) left out\]\n$/);
    expect(log).toContain(`${'y'.repeat(100)} [codex-sandbox: line cut, 999900 more characters left out]`);
  });

  it('R108 the run.log cap counts bytes: lines of multi-byte characters stop at the cap too', async () => {
    const files = await createReportFiles(path.join(tmp, 'report'), []);
    const sink = createLogSink(files.runLog, () => new Date('2026-01-01T00:00:00.000Z'), { line: 100, total: 2000 });
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    for (let line = 0; line < 100; line += 1) sink.onData('stdout', Buffer.from(`${'€'.repeat(20)}\n`));
    await sink.flush();
    stderr.mockRestore();
    await Promise.all([files.runLog.close(), files.summary.close(), files.exitJson.close()]);
    const bytes = fs.statSync(path.join(tmp, 'report', 'run.log')).size;
    expect(bytes).toBeGreaterThan(1800);
    expect(bytes).toBeLessThan(2300);
  });
});

describe('R109 bounds on what the launcher reads', () => {
  const ctx = (): HostContext => ({
    cwd: work,
    env: {},
    home: path.join(tmp, 'home'),
    uid: 1000,
    gid: 1000,
    stdinIsTTY: false,
    stdoutIsTTY: false,
    pid: 1,
    hostname: 'h',
  });
  const envDir = () => path.join(work, '.codex', '.environment');
  const inspect = () =>
    inspectAgentHome({ agent: DEFAULT_AGENT, workdir: work, envDir: envDir(), sessionsDir: path.join(envDir(), 'sessions'), ctx: ctx() });

  it("R109 a FIFO as the Codex home's config.toml neither hangs parsing nor planning", async () => {
    fs.mkdirSync(envDir(), { recursive: true });
    mkfifo(path.join(envDir(), 'config.toml'));
    await expect(readCodexConfig(path.join(envDir(), 'config.toml'), [work])).rejects.toThrow('is not a regular file');
    expect((await inspect()).facts.configTargetExists).toBe(true);
  });

  it('R109 a huge sparse config.toml in the workdir is refused at once; /dev/zero behind a link is ignored', async () => {
    fs.mkdirSync(path.join(work, 'codex'));
    fs.symlinkSync('/dev/zero', path.join(work, 'codex', 'config.toml'));
    const inspection = await inspect();
    expect(inspection.facts.configSource).toBeUndefined();
    expect(inspection.warnings).toContain(
      `ignoring ${path.join(work, 'codex', 'config.toml')}: it is a link leading out of a directory the agent can write`,
    );
    fs.unlinkSync(path.join(work, 'codex', 'config.toml'));
    fs.writeFileSync(path.join(work, 'codex', 'config.toml'), '');
    fs.truncateSync(path.join(work, 'codex', 'config.toml'), 100 * 1024 * 1024 * 1024);
    const started = Date.now();
    await expect(inspect()).rejects.toThrow('is larger than 1 MiB');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('R104 settings paths', () => {
  it('R104 a path leading out of the workdir is refused; one re-pointed inside resolves elsewhere (needs approval again)', async () => {
    writeFile(path.join(work, '.codex', 'sandbox.ini'), '[mounts]\nread_only = data\n[run]\ninit_script = tools/init.sh\n');
    fs.mkdirSync(path.join(work, 'data'));
    writeFile(path.join(work, 'tools', 'init.sh'), 'echo hi\n');
    const file = (await readProjectSettings(work))!;
    expect(await resolveProjectPaths(file, undefined, work, [work])).toEqual([
      `mounts read_only data -> ${path.join(work, 'data')}`,
      `run init_script tools/init.sh -> ${path.join(work, 'tools', 'init.sh')}`,
    ]);
    fs.renameSync(path.join(work, 'data'), path.join(work, 'data2'));
    fs.symlinkSync('data2', path.join(work, 'data'));
    expect((await resolveProjectPaths(file, undefined, work, [work]))[0]).toBe(`mounts read_only data -> ${path.join(work, 'data2')}`);
    fs.unlinkSync(path.join(work, 'data'));
    fs.symlinkSync(outside, path.join(work, 'data'));
    await expect(resolveProjectPaths(file, undefined, work, [work])).rejects.toThrow(
      'is a symlink leading out of the directory the agent can write',
    );
    fs.unlinkSync(path.join(work, 'tools', 'init.sh'));
    fs.symlinkSync(path.join(outside, 'secret'), path.join(work, 'tools', 'init.sh'));
    fs.unlinkSync(path.join(work, 'data'));
    fs.mkdirSync(path.join(work, 'data'));
    await expect(resolveProjectPaths(file, undefined, work, [work])).rejects.toThrow('[run] init_script "');
  });
});

describe('R105 --protect-git finds every .git', () => {
  it('R105 nested repositories, submodule .git files and their gitdirs; parents pinned; a nested symlinked .git refused', async () => {
    fs.mkdirSync(path.join(work, '.git', 'modules', 'sub'), { recursive: true });
    fs.mkdirSync(path.join(work, 'vendor', 'lib', '.git'), { recursive: true });
    writeFile(path.join(work, 'sub', '.git'), 'gitdir: ../.git/modules/sub\n');
    fs.mkdirSync(path.join(work, 'gitdirs', 'wt'), { recursive: true });
    writeFile(path.join(work, 'wt', '.git'), `gitdir: ${path.join(work, 'gitdirs', 'wt')}\n`);
    expect(await resolveProtectedGit([work])).toEqual({
      paths: [
        path.join(work, '.git'),
        path.join(work, 'gitdirs', 'wt'),
        path.join(work, 'sub', '.git'),
        path.join(work, 'vendor', 'lib', '.git'),
        path.join(work, 'wt', '.git'),
      ],
      pinned: [
        path.join(work, 'gitdirs'),
        path.join(work, 'sub'),
        path.join(work, 'vendor'),
        path.join(work, 'vendor', 'lib'),
        path.join(work, 'wt'),
      ],
      warnings: [],
    });
    fs.mkdirSync(path.join(work, 'other'));
    fs.symlinkSync(path.join(work, '.git'), path.join(work, 'other', '.git'));
    await expect(resolveProtectedGit([work])).rejects.toThrow(`--protect-git: ${path.join(work, 'other', '.git')} is a symlink`);
  });
});

describe('R105 --protect-git: names that are not UTF-8 hide nothing', () => {
  const odd = (...parts: Array<string | number[]>) =>
    Buffer.concat([Buffer.from(work), ...parts.map((part) => Buffer.concat([Buffer.from('/'), Buffer.from(part)]))]);

  it('R105 a .git below a directory whose name is not UTF-8 is found (and refused: it cannot be named to docker)', async () => {
    fs.mkdirSync(path.join(work, '.git'));
    fs.mkdirSync(odd([0xff]));
    fs.mkdirSync(odd([0xff], '.git'));
    await expect(resolveProtectedGit([work])).rejects.toThrow('lies below a name that is not UTF-8 and cannot be protected in place');
  });

  it('R105 R109 entries whose names are not UTF-8 count toward the search cap', async () => {
    const { walkTree } = await import('../../scripts/host/tree/tree-walk.js');
    const { TreeDir } = await import('../../scripts/host/tree/safe-tree.js');
    for (let byte = 0x80; byte < 0x85; byte += 1) fs.writeFileSync(odd([byte]), '');
    const root = await TreeDir.openRoot(work);
    try {
      await expect(walkTree(root, { maxEntries: 3, visit: async () => undefined })).rejects.toMatchObject({ reason: 'too-large' });
    } finally {
      await root.close();
    }
  });
});

describe('R103 mount sources pinned right before docker run', () => {
  it("R103 identities are the sources' dev:ino; a source in a tree swapped for a link since is refused", async () => {
    fs.mkdirSync(path.join(work, 'data'));
    const auth = writeFile(path.join(tmp, 'auth.json'), '{}');
    const mounts = [
      { source: work, target: `/app${work}`, readonly: false },
      { source: path.join(work, 'data'), target: `/app${work}/data`, readonly: true },
      { source: auth, target: '/codex_home/auth.json', readonly: true },
    ];
    const ids = await pinMountSources(mounts, [work], { allowMissing: false });
    const want = (file: string) => {
      const info = fs.statSync(file, { bigint: true });
      return `${info.dev}:${info.ino}`;
    };
    if (ids === undefined) return; // not Linux: identities are not sent (R111)
    expect([...ids.entries()].map(([target, id]) => [target, `${id.dev}:${id.ino}`, id.kind])).toEqual([
      [`/app${work}`, want(work), 'dir'],
      [`/app${work}/data`, want(path.join(work, 'data')), 'dir'],
      ['/codex_home/auth.json', want(auth), 'file'],
    ]);
    fs.renameSync(path.join(work, 'data'), path.join(work, 'data-real'));
    fs.symlinkSync(outside, path.join(work, 'data'));
    await expect(pinMountSources(mounts, [work], { allowMissing: false })).rejects.toThrow(
      `mount source ${path.join(work, 'data')} changed since it was checked`,
    );
  });
});

describe('R109 CA files', () => {
  it('R109 a FIFO or a huge file as a CA file in the workdir is refused at once, not read', async () => {
    const { findCaCertificates } = await import('../../scripts/host/engine/ca-certs.js');
    const ctx: HostContext = {
      cwd: work,
      env: {},
      home: path.join(tmp, 'home'),
      uid: 1000,
      gid: 1000,
      stdinIsTTY: false,
      stdoutIsTTY: false,
      pid: 1,
      hostname: 'h',
    };
    mkfifo(path.join(work, 'ca.pem'));
    await expect(findCaCertificates(['ca.pem'], ctx, [work])).rejects.toThrow('is not a regular file');
    fs.writeFileSync(path.join(work, 'big.pem'), '');
    fs.truncateSync(path.join(work, 'big.pem'), 50 * 1024 * 1024 * 1024);
    await expect(findCaCertificates(['big.pem'], ctx, [work])).rejects.toThrow('larger than 4 MiB');
    fs.symlinkSync(path.join(outside, 'secret'), path.join(work, 'link.pem'));
    await expect(findCaCertificates(['link.pem'], ctx, [work])).rejects.toThrow('leading out');
  });
});
