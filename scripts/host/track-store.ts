import { lstat, mkdir, readFile, readlink, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError, UsageError } from '../core/errors.js';
import { isRunId, parseGitChanges, trackDirName, trackRefs, type ChangedFile, type Snapshot } from '../core/track-changes.js';
import { snapshotWorkspace } from './workspace-snapshot.js';

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

export function trackRoot(env: Readonly<Record<string, string | undefined>>, home: string | undefined): string {
  const state = env.XDG_STATE_HOME || (home === undefined ? undefined : path.join(home, '.local', 'state'));
  if (state === undefined || !path.isAbsolute(state)) {
    throw new UsageError('--track needs a state directory: set HOME or XDG_STATE_HOME (absolute)');
  }
  return path.join(state, 'codex-sandbox', 'track');
}

export function trackGitDir(root: string, workdirHash: string): string {
  return path.join(root, trackDirName(workdirHash));
}

async function git(gitDir: string, args: readonly string[], input?: string): Promise<string> {
  const { execa } = await import('execa');
  try {
    const result = await execa('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', ...args], {
      input,
      extendEnv: false,
      // Our own repository only: no system or global config, no inherited GIT_* variables.
      env: {
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
      },
      stripFinalNewline: false,
    });
    return result.stdout;
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') throw new EnvironmentError('git not found: install git to use --track and diff');
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim().split('\n').pop();
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

/** Blob ids for every snapshot entry; unchanged files (size + mtime) reuse the cached id. */
async function hashEntries(gitDir: string, workdir: string, snapshot: Snapshot): Promise<Map<string, string>> {
  const cacheFile = path.join(gitDir, 'codex-sandbox-cache.json');
  const cache = await readCache(cacheFile);
  const shas = new Map<string, string>();
  const toHash: string[] = [];
  for (const [file, entry] of snapshot) {
    const cached = cache.get(file);
    if (entry.type === 'link') {
      const target = await readlink(path.join(workdir, file));
      shas.set(file, (await git(gitDir, ['hash-object', '-w', '--stdin'], target)).trim());
    } else if (cached !== undefined && cached.size === entry.size && cached.mtimeMs === entry.mtimeMs) {
      shas.set(file, cached.sha);
    } else {
      toHash.push(file);
    }
  }
  if (toHash.length > 0) {
    // --no-filters: attributes in the workdir must not run commands or change what is stored.
    const out = await git(gitDir, ['hash-object', '-w', '--no-filters', '--stdin-paths'], toHash.map((file) => path.join(workdir, file)).join('\n') + '\n');
    out.trim().split('\n').forEach((sha, index) => shas.set(toHash[index] ?? '', sha));
  }
  const next: Record<string, CacheEntry> = {};
  for (const [file, entry] of snapshot) {
    const sha = shas.get(file);
    if (entry.type === 'file' && sha !== undefined) next[file] = { size: entry.size, mtimeMs: entry.mtimeMs, sha };
  }
  await writeFile(`${cacheFile}.tmp`, JSON.stringify(next));
  await rename(`${cacheFile}.tmp`, cacheFile);
  return shas;
}

/** Records the workdir as a commit labelled with the run id and `phase`; returns the commit id. */
export async function recordWorkspace(
  gitDir: string,
  workdir: string,
  runId: string,
  phase: 'before' | 'after',
  exclude: readonly string[] = [],
): Promise<string> {
  await ensureRepository(gitDir);
  const snapshot = await snapshotWorkspace(workdir, exclude);
  const shas = await hashEntries(gitDir, workdir, snapshot);
  const lines: string[] = [];
  for (const [file, entry] of snapshot) {
    const mode = entry.type === 'link' ? '120000' : ((entry.mode ?? 0) & 0o111) !== 0 ? '100755' : '100644';
    lines.push(`${mode} ${shas.get(file) ?? ''}\t${file}\0`);
  }
  const indexFile = path.join(gitDir, `index-${runId}-${phase}`);
  // update-index and write-tree on a private, fresh index file.
  const tree = await gitWithIndex(gitDir, indexFile, lines.join(''));
  const refs = trackRefs(runId);
  const parent = phase === 'after' ? ['-p', `${refs.before}`] : [];
  const commit = (await git(gitDir, ['commit-tree', tree, ...parent, '-m', `${phase} run ${runId} in ${workdir}`])).trim();
  await git(gitDir, ['update-ref', phase === 'before' ? refs.before : refs.after, commit]);
  if (phase === 'after') await writeFile(path.join(gitDir, 'codex-sandbox-last-run'), `${runId}\n`);
  return commit;
}

async function gitWithIndex(gitDir: string, indexFile: string, indexInfo: string): Promise<string> {
  const { execa } = await import('execa');
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: gitDir,
    GIT_DIR: gitDir,
    GIT_INDEX_FILE: indexFile,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    LC_ALL: 'C',
  };
  try {
    await execa('git', ['update-index', '-z', '--add', '--index-info'], { input: indexInfo, extendEnv: false, env });
    return (await execa('git', ['write-tree'], { extendEnv: false, env })).stdout.trim();
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim().split('\n').pop();
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
  const out = await git(gitDir, ['for-each-ref', '--sort=-committerdate', '--format=%(refname) %(committerdate:iso-strict)', 'refs/codex-runs/']);
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

/** `git diff` of a run (patch or --stat), as text for stdout. */
export async function renderTrackedDiff(gitDir: string, runId: string, stat: boolean, color: boolean): Promise<string> {
  const refs = trackRefs(runId);
  return git(gitDir, ['diff', '--no-ext-diff', '--no-textconv', '--no-renames', `--color=${color ? 'always' : 'never'}`, ...(stat ? ['--stat'] : []), refs.before, refs.after]);
}
