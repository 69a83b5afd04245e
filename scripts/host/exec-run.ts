import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, realpath, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../core/errors.js';
import { codexVersionFromTags, formatLogLine } from '../core/exec-report.js';
import { isSameOrInside } from '../core/path-rules.js';
import { queryDocker } from './docker.js';
import { resolveFuturePath } from './resolve-path.js';

/** The three report files, created (exclusively) before the agent starts and held open. */
export interface ReportFiles {
  dir: string;
  runLog: FileHandle;
  summary: FileHandle;
  exitJson: FileHandle;
}

/** Largest final message copied into the report and printed (codex messages are small). */
const MAX_MESSAGE_BYTES = 1024 * 1024;

/**
 * Resolves the report directory: `--out DIR` (must not exist or be empty), else
 * WORK_DIR/.codex/runs/<name>, which must stay inside the workdir (a planted symlink is
 * refused). Nothing is created here.
 */
export async function resolveReportDir(out: string | undefined, cwd: string, workdir: string, name: string): Promise<string> {
  if (out === undefined) {
    const dir = await resolveFuturePath(path.join(workdir, '.codex', 'runs', name), cwd, 'the report directory');
    if (!isSameOrInside(workdir, dir)) {
      throw new UsageError(`${path.join(workdir, '.codex', 'runs')} leads outside the workdir (a symlink?): remove it or choose --out DIR`);
    }
    return dir;
  }
  const dir = await resolveFuturePath(out, cwd, '--out');
  if (dir === '/') throw new UsageError('--out / is not a report directory: give a new or empty directory');
  const existing = await readdir(dir).catch((error: { code?: string }) => (error.code === 'ENOENT' ? [] : undefined));
  if (existing === undefined) throw new UsageError(`--out ${JSON.stringify(out)} cannot be read: give a new or empty directory`);
  if (existing.length > 0) throw new UsageError(`--out ${JSON.stringify(out)} is not empty: give a new or empty directory`);
  return dir;
}

/**
 * Creates the directory and the three files with O_EXCL|O_NOFOLLOW and keeps them open:
 * later writes go to these files even if the agent renames or replaces the directory.
 */
export async function createReportFiles(dir: string): Promise<ReportFiles> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const create = (name: string) => open(path.join(dir, name), flags, 0o644);
  return { dir, runLog: await create('run.log'), summary: await create('summary.md'), exitJson: await create('exit.json') };
}

/**
 * Splits a stream's chunks into lines: each complete line goes to run.log with a timestamp,
 * and every chunk is echoed to our stderr (stdout is kept for the final message).
 */
export function createLogSink(log: FileHandle, now: () => Date = () => new Date()) {
  const pending = { stdout: '', stderr: '' };
  let writes = Promise.resolve();
  const write = (stream: 'stdout' | 'stderr', text: string) => {
    const line = formatLogLine(now().toISOString(), stream, text);
    writes = writes.then(() => log.write(line).then(() => undefined));
  };
  return {
    onData(stream: 'stdout' | 'stderr', chunk: Buffer): void {
      process.stderr.write(chunk);
      const lines = (pending[stream] + chunk.toString('utf8')).split('\n');
      pending[stream] = lines.pop() ?? '';
      for (const line of lines) write(stream, line.replace(/\r$/, ''));
    },
    async flush(): Promise<void> {
      for (const stream of ['stdout', 'stderr'] as const) {
        if (pending[stream] !== '') write(stream, pending[stream]);
        pending[stream] = '';
      }
      await writes;
    },
  };
}

/**
 * Reads the final message codex wrote into the Codex home. The agent could have replaced
 * it with a symlink (say, to ~/.ssh/id_rsa) that we would copy into the report: only a
 * regular file whose real path stays in the Codex home is read.
 */
export async function readLastMessage(envDir: string, relative: string): Promise<string | undefined> {
  const file = path.join(envDir, relative);
  try {
    const real = await realpath(file);
    const home = await realpath(envDir);
    const info = await lstat(file);
    if (!info.isFile() || real !== file.replace(envDir, home) || !isSameOrInside(home, real)) return undefined;
    const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const buffer = Buffer.alloc(Math.min(info.size, MAX_MESSAGE_BYTES));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      return buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * HEAD of the cloned repository after the run, read from files (no git command runs in a
 * repository the agent could write: its config could run commands on the host).
 */
export async function readRepoCommit(repoPath: string): Promise<string | undefined> {
  const gitDir = path.join(repoPath, '.git');
  const readSmall = async (file: string) => {
    const info = await lstat(file);
    if (!info.isFile() || info.size > 1024 * 1024) throw new Error('not a plain file');
    return readFile(file, 'utf8');
  };
  try {
    const info = await lstat(gitDir);
    if (!info.isDirectory()) return undefined;
    const head = (await readSmall(path.join(gitDir, 'HEAD'))).trim();
    if (/^[0-9a-f]{40,64}$/.test(head)) return head;
    const ref = /^ref: (refs\/[A-Za-z0-9._/-]+)$/.exec(head)?.[1];
    if (ref === undefined || ref.includes('..')) return undefined;
    const loose = await readSmall(path.join(gitDir, ref)).catch(() => undefined);
    if (loose !== undefined) return /^[0-9a-f]{40,64}/.exec(loose.trim())?.[0];
    const packed = await readSmall(path.join(gitDir, 'packed-refs'));
    return packed.split('\n').map((line) => line.split(' ')).find(([, name]) => name === ref)?.[0];
  } catch {
    return undefined;
  }
}

/** The codex version: from the image's `codex-sandbox:<ver>-node<N>` tag, else one short docker run. */
export async function readCodexVersion(image: string): Promise<string | undefined> {
  try {
    const tags = JSON.parse(await queryDocker(['image', 'inspect', '--format', '{{json .RepoTags}}', image])) as string[] | null;
    const fromTag = codexVersionFromTags(tags ?? []);
    if (fromTag !== undefined) return fromTag;
    const text = await queryDocker(['run', '--rm', '--network', 'none', '--entrypoint', 'cat', image, '/etc/codex-sandbox/codex-version'], 30000);
    return text.trim() === '' ? undefined : text.trim();
  } catch {
    return undefined; // the report says "unknown" rather than failing a finished run
  }
}
