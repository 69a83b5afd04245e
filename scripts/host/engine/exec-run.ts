import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { UsageError } from '../../core/errors.js';
import { formatLogLine, LineCutter } from '../../core/run/exec-report.js';
import { READ_LIMITS } from '../../core/read-limits.js';
import { resolveWritableDir } from '../tree/input-path.js';
import { TreeDir } from '../tree/safe-tree.js';
import { openHostDir } from '../tree/tree-paths.js';
import { readFileBeneath } from '../tree/read-host-file.js';

/** The three report files, created (exclusively) before the agent starts and held open. */
export interface ReportFiles {
  dir: string;
  runLog: FileHandle;
  summary: FileHandle;
  exitJson: FileHandle;
}

/**
 * Resolves the report directory: `--out DIR` (must not exist or be empty), else
 * WORK_DIR/.codex/runs/<name>. Inside any of the run's `trees` (every tree the agent can
 * write: an --out in an extra workdir or a Codex home elsewhere too) no symlink may lead
 * there (R101, R108). Nothing is created here.
 */
export async function resolveReportDir(
  out: string | undefined,
  cwd: string,
  workdir: string,
  name: string,
  trees: readonly string[],
): Promise<string> {
  if (out === undefined) {
    const runs = path.join(workdir, '.codex', 'runs');
    const found = await resolveWritableDir(
      path.join(runs, name),
      cwd,
      trees,
      () => `${runs} leads outside the workdir (a symlink?): remove it or choose --out DIR`,
    );
    return found.physical;
  }
  const found = await resolveWritableDir(out, cwd, trees, (error) =>
    error.reason === 'not-dir'
      ? `--out ${JSON.stringify(out)} is not a directory: give a new or empty directory`
      : `--out ${JSON.stringify(out)} cannot be used: ${error.detail}: give a new or empty directory`,
  );
  if (found.physical === '/') throw new UsageError('--out / is not a report directory: give a new or empty directory');
  if (!found.exists) return found.physical;
  const { dir } = await openHostDir(found.physical, trees);
  const empty = await dir.isEmpty().finally(() => dir.close());
  if (!empty) throw new UsageError(`--out ${JSON.stringify(out)} is not empty: give a new or empty directory`);
  return found.physical;
}

/**
 * Creates the directory (no link followed on the way) and the three files with
 * O_EXCL|O_NOFOLLOW in it, and keeps them open: later writes go to these files even if the
 * agent renames or replaces the directory.
 */
export async function createReportFiles(dir: string, trees: readonly string[]): Promise<ReportFiles> {
  const { dir: reportDir } = await openHostDir(dir, trees, { mode: 0o755 });
  try {
    return {
      dir,
      runLog: await reportDir.createFile('run.log'),
      summary: await reportDir.createFile('summary.md'),
      exitJson: await reportDir.createFile('exit.json'),
    };
  } finally {
    await reportDir.close();
  }
}

/** Makes the directory codex writes its last message to (in the Codex home), without following links. */
export async function createMessageDir(dir: string, trees: readonly string[]): Promise<void> {
  const { dir: created } = await openHostDir(dir, trees, { mode: 0o755 });
  await created.close();
}

/**
 * Splits a stream's chunks into lines: each complete line goes to run.log with a timestamp,
 * and every chunk is echoed to our stderr (stdout is kept for the final message). Bounded
 * (R108): a line longer than READ_LIMITS.logLine is cut (the rest up to its newline counted,
 * not kept), and run.log stops at READ_LIMITS.runLog with a note of what was left out.
 */
export function createLogSink(
  log: FileHandle,
  now: () => Date = () => new Date(),
  limits = { line: READ_LIMITS.logLine, total: READ_LIMITS.runLog },
) {
  const streams = {
    stdout: new LineCutter(limits.line),
    stderr: new LineCutter(limits.line),
  };
  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  let writes = Promise.resolve();
  let written = 0;
  let dropped = 0;
  const write = (stream: 'stdout' | 'stderr', text: string) => {
    const line = formatLogLine(now().toISOString(), stream, text);
    // The cap is in bytes on disk: a line of multi-byte characters counts as what it writes.
    const bytes = Buffer.byteLength(line, 'utf8');
    if (written + bytes > limits.total) {
      dropped += 1;
      return;
    }
    written += bytes;
    writes = writes.then(() => log.write(line).then(() => undefined));
  };
  return {
    onData(stream: 'stdout' | 'stderr', chunk: Buffer): void {
      process.stderr.write(chunk);
      for (const line of streams[stream].push(decoders[stream].write(chunk))) write(stream, line.replace(/\r$/, ''));
    },
    async flush(): Promise<void> {
      for (const stream of ['stdout', 'stderr'] as const) {
        for (const line of streams[stream].push(decoders[stream].end())) write(stream, line);
        const rest = streams[stream].end();
        if (rest !== undefined) write(stream, rest);
      }
      if (dropped > 0) {
        const note = formatLogLine(
          now().toISOString(),
          'stderr',
          `[codex-sandbox: run.log reached ${limits.total} bytes; ${dropped} more line(s) left out]`,
        );
        writes = writes.then(() => log.write(note).then(() => undefined));
      }
      await writes;
    },
  };
}

/**
 * Reads the final message codex wrote into the Codex home. The agent could have replaced
 * it (or a directory on the way) with a symlink (say, to ~/.ssh/id_rsa) that we would copy
 * into the report: only a regular file reached with no symlink at all, at most
 * READ_LIMITS.lastMessage bytes, is read.
 */
export async function readLastMessage(envDir: string, relative: string): Promise<string | undefined> {
  try {
    const root = await TreeDir.openRoot(envDir);
    try {
      return (await readFileBeneath(root, relative, READ_LIMITS.lastMessage, true)).toString('utf8');
    } finally {
      await root.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * HEAD of the cloned repository after the run, read from files (no git command runs in a
 * repository the agent could write: its config could run commands on the host), through
 * directory descriptors with no link followed and small caps (a FIFO or /dev/zero planted
 * as a ref never blocks or floods).
 */
export async function readRepoCommit(repoPath: string): Promise<string | undefined> {
  let gitDir: TreeDir;
  try {
    gitDir = (await openHostDir(path.join(repoPath, '.git'), [repoPath])).dir;
  } catch {
    return undefined;
  }
  const readSmall = async (relative: string, cap: number) => (await readFileBeneath(gitDir, relative, cap)).toString('utf8');
  try {
    const head = (await readSmall('HEAD', READ_LIMITS.gitFile)).trim();
    if (/^[0-9a-f]{40,64}$/.test(head)) return head;
    const ref = /^ref: (refs\/[A-Za-z0-9._/-]+)$/.exec(head)?.[1];
    if (ref === undefined || ref.split('/').some((part) => part === '..' || part === '.' || part === '')) return undefined;
    const loose = await readSmall(ref, READ_LIMITS.gitFile).catch(() => undefined);
    if (loose !== undefined) return /^[0-9a-f]{40,64}/.exec(loose.trim())?.[0];
    const packed = await readSmall('packed-refs', READ_LIMITS.packedRefs);
    return packed
      .split('\n')
      .map((line) => line.split(' '))
      .find(([, name]) => name === ref)?.[0];
  } catch {
    return undefined;
  } finally {
    await gitDir.close();
  }
}
