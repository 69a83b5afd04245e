import { jest } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { createLogSink, createReportFiles, readLastMessage, readRepoCommit, resolveReportDir } from '../../scripts/host/engine/exec-run.js';
import { resolveProtectedGit } from '../../scripts/host/track/protect-git.js';
import { snapshotWorkspace } from '../../scripts/host/track/workspace-snapshot.js';
import { makeTempDir, removeTempDir, writeFile } from './helpers/temp-dir.js';

describe('exec report files (host, temp dirs)', () => {
  let tmp: string;
  let work: string;

  beforeEach(() => {
    tmp = makeTempDir('codex-sandbox-exec-');
    work = path.join(tmp, 'work');
    fs.mkdirSync(work);
  });

  afterEach(() => removeTempDir(tmp));

  it('default report dir is inside the workdir; a planted .codex/runs symlink is refused', async () => {
    expect(await resolveReportDir(undefined, tmp, work, 'n1', [work])).toBe(path.join(work, '.codex', 'runs', 'n1'));
    fs.mkdirSync(path.join(work, '.codex'));
    fs.symlinkSync(tmp, path.join(work, '.codex', 'runs'));
    await expect(resolveReportDir(undefined, tmp, work, 'n1', [work])).rejects.toThrow('leads outside the workdir (a symlink?)');
  });

  it('--out: new or empty directory only', async () => {
    expect(await resolveReportDir('out', tmp, work, 'n', [work])).toBe(path.join(tmp, 'out'));
    fs.mkdirSync(path.join(tmp, 'empty'));
    expect(await resolveReportDir('empty', tmp, work, 'n', [work])).toBe(path.join(tmp, 'empty'));
    writeFile(path.join(tmp, 'full', 'x'), 'x');
    await expect(resolveReportDir('full', tmp, work, 'n', [work])).rejects.toThrow(
      '--out "full" is not empty: give a new or empty directory',
    );
    writeFile(path.join(tmp, 'file'), 'x');
    await expect(resolveReportDir('file', tmp, work, 'n', [work])).rejects.toThrow('is not a directory');
  });

  it('R108 --out in an extra workdir or the Codex home: no link the agent planted there is followed', async () => {
    const extra = path.join(tmp, 'extra');
    const home = path.join(tmp, 'home');
    fs.mkdirSync(extra);
    fs.mkdirSync(home);
    fs.mkdirSync(path.join(tmp, 'victim'));
    fs.symlinkSync(path.join(tmp, 'victim'), path.join(extra, 'reports'));
    fs.symlinkSync(path.join(tmp, 'victim'), path.join(home, 'reports'));
    const trees = [work, extra, home];
    await expect(resolveReportDir('extra/reports/r', tmp, work, 'n', trees)).rejects.toThrow(`${path.join(extra, 'reports')} is a symlink`);
    await expect(resolveReportDir('home/reports/r', tmp, work, 'n', trees)).rejects.toThrow(`${path.join(home, 'reports')} is a symlink`);
  });

  it('report files are created exclusively and written through their handles; log lines are timestamped', async () => {
    const files = await createReportFiles(path.join(tmp, 'r'), []);
    const sink = createLogSink(files.runLog, () => new Date('2026-01-01T00:00:00.000Z'));
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    sink.onData('stdout', Buffer.from('a\nb'));
    sink.onData('stderr', Buffer.from('err\r\n'));
    sink.onData('stdout', Buffer.from('c\n\npartial'));
    await sink.flush();
    stderr.mockRestore();
    await Promise.all([files.runLog.close(), files.summary.close(), files.exitJson.close()]);
    expect(fs.readFileSync(path.join(tmp, 'r', 'run.log'), 'utf8')).toBe(
      [
        '2026-01-01T00:00:00.000Z stdout a',
        '2026-01-01T00:00:00.000Z stderr err',
        '2026-01-01T00:00:00.000Z stdout bc',
        '2026-01-01T00:00:00.000Z stdout ',
        '2026-01-01T00:00:00.000Z stdout partial',
        '',
      ].join('\n'),
    );
    await expect(createReportFiles(path.join(tmp, 'r'), [])).rejects.toThrow(/EEXIST/);
  });

  it('the last message is read only from a regular file inside the Codex home', async () => {
    const env = path.join(work, '.codex', '.environment');
    writeFile(path.join(env, 'runs', 'a', 'last-message.md'), 'done\n');
    expect(await readLastMessage(env, 'runs/a/last-message.md')).toBe('done\n');
    writeFile(path.join(tmp, 'id_rsa'), 'PRIVATE KEY');
    fs.mkdirSync(path.join(env, 'runs', 'b'));
    fs.symlinkSync(path.join(tmp, 'id_rsa'), path.join(env, 'runs', 'b', 'last-message.md'));
    expect(await readLastMessage(env, 'runs/b/last-message.md')).toBeUndefined();
    fs.symlinkSync(tmp, path.join(env, 'runs', 'c'));
    writeFile(path.join(tmp, 'last-message.md'), 'outside');
    expect(await readLastMessage(env, 'runs/c/last-message.md')).toBeUndefined();
    expect(await readLastMessage(env, 'runs/none/last-message.md')).toBeUndefined();
  });

  it('repo commit from HEAD: detached, loose ref, packed ref; never a command', async () => {
    const repo = path.join(work, 'r');
    const sha = 'a'.repeat(40);
    writeFile(path.join(repo, '.git', 'HEAD'), `${sha}\n`);
    expect(await readRepoCommit(repo)).toBe(sha);
    writeFile(path.join(repo, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFile(path.join(repo, '.git', 'packed-refs'), `# pack-refs\n${'b'.repeat(40)} refs/heads/main\n`);
    expect(await readRepoCommit(repo)).toBe('b'.repeat(40));
    writeFile(path.join(repo, '.git', 'refs', 'heads', 'main'), `${'c'.repeat(40)}\n`);
    expect(await readRepoCommit(repo)).toBe('c'.repeat(40));
    writeFile(path.join(repo, '.git', 'HEAD'), 'ref: refs/../../etc\n');
    expect(await readRepoCommit(repo)).toBeUndefined();
    expect(await readRepoCommit(path.join(work, 'missing'))).toBeUndefined();
  });

  it('snapshot: files and links, .git and top-level .codex and extra prefixes left out', async () => {
    writeFile(path.join(work, 'a.txt'), 'a');
    writeFile(path.join(work, 'sub', '.git', 'HEAD'), 'x');
    writeFile(path.join(work, 'sub', 'b.txt'), 'bb');
    writeFile(path.join(work, '.codex', 'x'), 'x');
    writeFile(path.join(work, 'out', 'r', 'run.log'), 'x');
    fs.symlinkSync('/etc/passwd', path.join(work, 'link'));
    const snapshot = await snapshotWorkspace(work, ['out/r']);
    expect([...snapshot.keys()]).toEqual(['a.txt', 'link', 'sub/b.txt']);
    expect(snapshot.get('sub/b.txt')).toEqual(expect.objectContaining({ size: 2, type: 'file' }));
    expect(snapshot.get('link')?.type).toBe('link');
  });

  it('--protect-git: .git dir or file protected; none warns; a symlink is refused', async () => {
    const withDir = path.join(tmp, 'd');
    const withFile = path.join(tmp, 'f');
    const without = path.join(tmp, 'n');
    const linked = path.join(tmp, 'l');
    fs.mkdirSync(path.join(withDir, '.git'), { recursive: true });
    writeFile(path.join(withFile, '.git'), 'gitdir: /elsewhere\n');
    fs.mkdirSync(without);
    fs.mkdirSync(linked);
    fs.symlinkSync(path.join(withDir, '.git'), path.join(linked, '.git'));
    expect(await resolveProtectedGit([withDir, withFile, without])).toEqual({
      paths: [path.join(withDir, '.git'), path.join(withFile, '.git')],
      pinned: [],
      warnings: [`--protect-git: ${without} has no .git, nothing to protect there`],
    });
    await expect(resolveProtectedGit([linked])).rejects.toThrow('is a symlink and cannot be protected in place');
  });
});
