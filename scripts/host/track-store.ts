import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stateDirOf, type HostContext } from './host-context.js';
import { EnvironmentError, UsageError } from '../core/errors.js';
import { READ_LIMITS } from '../core/read-limits.js';
import { isRunId, parseGitChanges, trackDirName, trackRefs, type ChangedFile } from '../core/track-changes.js';
import { type Name, type TreeDir, UnsafePathError } from './safe-tree.js';
import { walkWorkspace } from './workspace-snapshot.js';

/**
 * `--track`: the workdir's state before and after a run, as commits in a git directory of
 * our own under ${XDG_STATE_HOME:-~/.local/state}/codex-sandbox/track/ (outside every mount,
 * never the project's .git, never pushed). Files are hashed with `--no-filters` and entered
 * with `update-index --index-info`, so nothing the agent can write (.gitattributes,
 * .gitignore, nested repositories, the project's .git/config) decides what is recorded or
 * runs a command; symlinks are stored as links, never followed.
 */

interface CacheEntry {
  size: number;
  mtimeMs: number;
  sha: string;
}

export function trackRoot(ctx: Pick<HostContext, 'env' | 'home'>): string {
  const state = stateDirOf(ctx);
  if (state === undefined) throw new UsageError('--track needs a state directory: set HOME or XDG_STATE_HOME (absolute)');
  return path.join(state, 'track');
}

export function trackGitDir(root: string, workdirHash: string): string {
  return path.join(root, trackDirName(workdirHash));
}

/** Our own repository only: no system or global config, no inherited GIT_* variables. */
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

/** Streams blobs into `git fast-import` (contents as data, never paths); `add` returns the blob id. */
async function startBlobImport(gitDir: string): Promise<{ add(content: Buffer): Promise<string>; finish(): Promise<void> }> {
  let child: ChildProcess | undefined;
  let failed: Error | undefined;
  let stderr = '';
  const exited = () =>
    new Promise<void>((resolve, reject) => {
      if (child === undefined) return resolve();
      child.once('close', (code) =>
        code === 0
          ? resolve()
          : reject(
              new EnvironmentError(`git fast-import failed on the tracking repository ${gitDir}: ${stderr.trim().split('\n').pop() ?? ''}`),
            ),
      );
    });
  let done: Promise<void> | undefined;
  const write = async (chunk: Buffer | string) => {
    if (failed !== undefined) throw failed;
    if (child === undefined) {
      child = spawn('git', [...GIT_SAFETY, 'fast-import', '--quiet', '--done'], {
        env: GIT_ENV(gitDir),
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      child.stderr?.on('data', (data: Buffer) => {
        stderr = `${stderr}${data.toString('utf8')}`.slice(-4096);
      });
      child.on('error', (error) => {
        failed =
          (error as { code?: string }).code === 'ENOENT'
            ? new EnvironmentError('git not found: install git to use --track and diff')
            : error;
      });
      done = exited();
      done.catch(() => undefined);
    }
    if (!(child.stdin?.write(chunk) ?? false)) await new Promise<void>((resolve) => child?.stdin?.once('drain', resolve));
  };
  return {
    async add(content) {
      const sha = createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
      await write(Buffer.concat([Buffer.from(`blob\ndata ${content.length}\n`), content, Buffer.from('\n')]));
      return sha;
    },
    async finish() {
      if (child === undefined) return;
      child.stdin?.end('done\n');
      await done;
      if (failed !== undefined) throw failed;
    },
  };
}

async function git(gitDir: string, args: readonly string[], input?: string): Promise<string> {
  const { execa } = await import('execa');
  try {
    const result = await execa('git', [...GIT_SAFETY, ...args], {
      input,
      extendEnv: false,
      env: GIT_ENV(gitDir),
      stripFinalNewline: false,
    });
    return result.stdout;
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') throw new EnvironmentError('git not found: install git to use --track and diff');
    const stderr = String((error as { stderr?: unknown }).stderr ?? '')
      .trim()
      .split('\n')
      .pop();
    throw new EnvironmentError(`git failed on the tracking repository ${gitDir}: ${stderr}`);
  }
}

async function ensureRepository(gitDir: string): Promise<void> {
  try {
    await lstat(path.join(gitDir, 'HEAD'));
  } catch {
    await mkdir(path.dirname(gitDir), { recursive: true, mode: 0o700 });
    await git(gitDir, ['init', '--bare', '--quiet', gitDir]);
  }
}

async function readCache(file: string): Promise<Map<string, CacheEntry>> {
  try {
    return new Map(Object.entries(JSON.parse(await readFile(file, 'utf8')) as Record<string, CacheEntry>));
  } catch {
    return new Map();
  }
}

/**
 * Records the workdir as a commit labelled with the run id and `phase`; returns the commit id.
 * File names never reach git as text to parse (R106): contents are read here through
 * directory descriptors (no link followed, regular files only, capped) and handed to `git
 * fast-import` as data; the tree is built with `update-index -z --index-info` (NUL-separated
 * names, taken verbatim). Unchanged files (size + mtime) reuse the cached blob id.
 */
export async function recordWorkspace(
  gitDir: string,
  workdir: string,
  runId: string,
  phase: 'before' | 'after',
  exclude: readonly string[] = [],
): Promise<string> {
  await ensureRepository(gitDir);
  const cacheFile = path.join(gitDir, 'codex-sandbox-cache.json');
  const cache = await readCache(cacheFile);
  const blobs = await startBlobImport(gitDir);
  const lines: string[] = [];
  const next: Record<string, CacheEntry> = {};
  let skipped = 0;
  try {
    await walkWorkspace(
      workdir,
      exclude,
      async ({ relative, entry, dir, name }) => {
        const cached = cache.get(relative);
        let sha: string | undefined;
        if (entry.type === 'file' && cached !== undefined && cached.size === entry.size && cached.mtimeMs === entry.mtimeMs) {
          sha = cached.sha;
        } else {
          const content = await readTracked(dir, name, entry.type);
          if (content === undefined) return; // changed under us (not a file any more): not recorded
          sha = await blobs.add(content);
        }
        if (entry.type === 'file') next[relative] = { size: entry.size, mtimeMs: entry.mtimeMs, sha };
        const mode = entry.type === 'link' ? '120000' : ((entry.mode ?? 0) & 0o111) !== 0 ? '100755' : '100644';
        lines.push(`${mode} ${sha}\t${relative}\0`);
      },
      () => {
        skipped += 1;
      },
      16, // files of one directory read at once: hashing is bound by system calls
    );
  } finally {
    await blobs.finish();
  }
  if (skipped > 0) process.stderr.write(`warning: --track: ${skipped} file name(s) that are not UTF-8 were not recorded\n`);
  await writeFile(`${cacheFile}.tmp`, JSON.stringify(next));
  await rename(`${cacheFile}.tmp`, cacheFile);
  const indexFile = path.join(gitDir, `index-${runId}-${phase}`);
  // update-index and write-tree on a private, fresh index file.
  const tree = await gitWithIndex(gitDir, indexFile, lines.sort().join(''));
  const refs = trackRefs(runId);
  const parent = phase === 'after' ? ['-p', `${refs.before}`] : [];
  const commit = (await git(gitDir, ['commit-tree', tree, ...parent, '-m', `${phase} run ${runId} in ${workdir}`])).trim();
  await git(gitDir, ['update-ref', phase === 'before' ? refs.before : refs.after, commit]);
  if (phase === 'after') await writeFile(path.join(gitDir, 'codex-sandbox-last-run'), `${runId}\n`);
  return commit;
}

/** A file's bytes (capped: a larger one is recorded as a note with its size) or a link's target. */
async function readTracked(dir: TreeDir, name: Name, type: string): Promise<Buffer | undefined> {
  try {
    if (type === 'link') return await dir.readLink(name);
    return await dir.readFile(name, READ_LIMITS.trackedFile);
  } catch (error) {
    if (error instanceof UnsafePathError && error.reason === 'too-large') {
      const size = (await dir.lstat(name))?.size ?? 0;
      return Buffer.from(`codex-sandbox: not recorded, ${size} bytes (more than ${READ_LIMITS.trackedFile} bytes)\n`);
    }
    if (error instanceof UnsafePathError || ['ENOENT', 'EINVAL', 'ELOOP'].includes(String((error as { code?: unknown }).code)))
      return undefined;
    throw error;
  }
}

async function gitWithIndex(gitDir: string, indexFile: string, indexInfo: string): Promise<string> {
  const { execa } = await import('execa');
  const env = {
    ...GIT_ENV(gitDir),
    GIT_INDEX_FILE: indexFile,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    LC_ALL: 'C',
  };
  try {
    // Our own repository, never checked out: names git would refuse for a checkout on
    // Windows/macOS (`.GIT`, `git~1`) are recorded like any other.
    await execa('git', ['-c', 'core.protectNTFS=false', '-c', 'core.protectHFS=false', 'update-index', '-z', '--add', '--index-info'], {
      input: indexInfo,
      extendEnv: false,
      env,
    });
    return (await execa('git', ['write-tree'], { extendEnv: false, env })).stdout.trim();
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '')
      .trim()
      .split('\n')
      .pop();
    throw new EnvironmentError(`git failed on the tracking repository ${gitDir}: ${stderr}`);
  } finally {
    await rm(indexFile, { force: true });
  }
}

/** The run to show: the given run id, or the last tracked one. */
export async function resolveTrackedRun(gitDir: string, runId: string | undefined): Promise<string> {
  try {
    await lstat(path.join(gitDir, 'HEAD'));
  } catch {
    throw new UsageError('no tracked runs for this workdir: run with --track first');
  }
  if (runId === undefined) {
    try {
      const last = (await readFile(path.join(gitDir, 'codex-sandbox-last-run'), 'utf8')).trim();
      if (isRunId(last)) return last;
    } catch {
      // fall through
    }
    throw new UsageError('no finished tracked run for this workdir: run with --track first');
  }
  if (!isRunId(runId)) throw new UsageError(`${JSON.stringify(runId)} is not a run id (8 hex digits, shown when a run starts)`);
  const refs = trackRefs(runId);
  const known = await git(gitDir, ['for-each-ref', '--format=%(refname)', refs.after]);
  if (known.trim() === '') throw new UsageError(`no tracked run ${runId} for this workdir: list runs with run-in-container diff --list`);
  return runId;
}

/** Tracked runs of the workdir, newest first: "run id  date". */
export async function listTrackedRuns(gitDir: string): Promise<string[]> {
  const out = await git(gitDir, [
    'for-each-ref',
    '--sort=-committerdate',
    '--format=%(refname) %(committerdate:iso-strict)',
    'refs/codex-runs/',
  ]);
  return out
    .split('\n')
    .map((line) => /^refs\/codex-runs\/([0-9a-f]{8})\/after (.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => `${match[1]}  ${match[2]}`);
}

/** Files changed between the before and after commits of a run. */
export async function listTrackedChanges(gitDir: string, runId: string): Promise<ChangedFile[]> {
  const refs = trackRefs(runId);
  const common = ['diff', '--no-renames', '--no-ext-diff', '--no-textconv', '-z', refs.before, refs.after];
  const numstat = await git(gitDir, [...common.slice(0, 1), '--numstat', ...common.slice(1)]);
  const nameStatus = await git(gitDir, [...common.slice(0, 1), '--name-status', ...common.slice(1)]);
  return parseGitChanges(numstat, nameStatus);
}

/** `git diff` of a run (patch or --stat), uncoloured, as git prints it (names C-quoted by core.quotePath). */
export async function renderTrackedDiff(gitDir: string, runId: string, stat: boolean): Promise<string> {
  const refs = trackRefs(runId);
  return git(gitDir, [
    '-c',
    'core.quotePath=true',
    'diff',
    '--no-ext-diff',
    '--no-textconv',
    '--no-renames',
    '--color=never',
    ...(stat ? ['--stat'] : []),
    refs.before,
    refs.after,
  ]);
}
