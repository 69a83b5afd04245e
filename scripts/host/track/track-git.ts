import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError } from '../../core/errors.js';

/**
 * git on the tracking repository of `--track` (R54): our own bare repository, no system or
 * global config, no inherited GIT_* variables, hooks and fsmonitor off.
 */

const GIT_ENV = (gitDir: string): Record<string, string> => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: gitDir,
  GIT_DIR: gitDir,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'codex-sandbox',
  GIT_AUTHOR_EMAIL: 'codex-sandbox@localhost',
  GIT_COMMITTER_NAME: 'codex-sandbox',
  GIT_COMMITTER_EMAIL: 'codex-sandbox@localhost',
  LC_ALL: 'C',
});
const GIT_SAFETY = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false'];
const GIT_MISSING = 'git not found: install git to use --track and diff';

const lastLine = (text: string): string => text.trim().split('\n').pop() ?? '';

/** Runs git on the tracking repository; `env` is added to (never replaces) its environment. */
export async function git(
  gitDir: string,
  args: readonly string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const { execa } = await import('execa');
  try {
    const result = await execa('git', [...GIT_SAFETY, ...args], {
      input: options.input,
      extendEnv: false,
      env: { ...GIT_ENV(gitDir), ...options.env },
      stripFinalNewline: false,
    });
    return result.stdout;
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') throw new EnvironmentError(GIT_MISSING);
    throw new EnvironmentError(
      `git failed on the tracking repository ${gitDir}: ${lastLine(String((error as { stderr?: unknown }).stderr ?? ''))}`,
    );
  }
}

export async function ensureRepository(gitDir: string): Promise<void> {
  try {
    await lstat(path.join(gitDir, 'HEAD'));
  } catch {
    await mkdir(path.dirname(gitDir), { recursive: true, mode: 0o700 });
    await git(gitDir, ['init', '--bare', '--quiet', gitDir]);
  }
}

export interface BlobImport {
  /** Queues `content` as a blob; returns its id (computed here) once git has taken it. */
  add(content: Buffer): Promise<string>;
  /** Ends the stream and waits for git to store everything; throws the import's one error. */
  finish(): Promise<void>;
}

/**
 * Streams blobs into `git fast-import` (contents as data, never paths), started on the first
 * blob. A git that dies mid-stream must not crash the launcher (EPIPE on its stdin) nor leave
 * a write waiting for a 'drain' that never comes: every wait also ends when git exits, and the
 * error reported is git's own exit (its last stderr line) rather than the broken pipe.
 */
export function startBlobImport(gitDir: string): BlobImport {
  let child: ReturnType<typeof spawn> | undefined;
  let exited: Promise<void> | undefined;
  let failure: Error | undefined;
  let exitFailure: Error | undefined;
  let stderr = '';
  const start = () => {
    const started = spawn('git', [...GIT_SAFETY, 'fast-import', '--quiet', '--done'], {
      env: GIT_ENV(gitDir),
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    started.stderr?.on('data', (data: Buffer) => {
      stderr = `${stderr}${data.toString('utf8')}`.slice(-4096);
    });
    started.stdin?.on('error', (error) => {
      failure ??= error;
    });
    exited = new Promise<void>((resolve) => {
      started.on('error', (error) => {
        exitFailure ??= (error as { code?: string }).code === 'ENOENT' ? new EnvironmentError(GIT_MISSING) : error;
        resolve();
      });
      started.on('close', (code) => {
        if (code !== 0)
          exitFailure ??= new EnvironmentError(`git fast-import failed on the tracking repository ${gitDir}: ${lastLine(stderr)}`);
        resolve();
      });
    });
    return started;
  };
  let gone = false;
  const fail = async (): Promise<never> => {
    await exited;
    throw exitFailure ?? failure ?? new EnvironmentError(`git fast-import on the tracking repository ${gitDir} ended early`);
  };
  return {
    async add(content) {
      if (gone || failure !== undefined) return fail();
      child ??= start();
      const stdin = child.stdin;
      if (stdin === null) return fail();
      stdin.write(`blob\ndata ${content.length}\n`);
      stdin.write(content);
      if (!stdin.write('\n')) {
        const drained = new Promise<void>((resolve) => stdin.once('drain', resolve));
        await Promise.race([drained, exited?.then(() => (gone = true))]);
      }
      if (gone || failure !== undefined) return fail();
      return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
    },
    async finish() {
      if (child === undefined) return;
      child.stdin?.end('done\n');
      await exited;
      if (exitFailure !== undefined || failure !== undefined) await fail();
    },
  };
}
