import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { stateDirOf, type HostContext } from '../host-context.js';
import { UsageError } from '../../core/errors.js';
import { isRunId, parseGitChanges, trackDirName, trackRefs, type ChangedFile } from '../../core/track/track-changes.js';
import { git } from './track-git.js';

/**
 * `--track`: the workdir's state before and after a run, as commits in a git directory of
 * our own under ${XDG_STATE_HOME:-~/.local/state}/codex-sandbox/track/ (outside every mount,
 * never the project's .git, never pushed). Contents reach git as `fast-import` blobs and the
 * tree as `update-index --index-info`, so nothing the agent can write (.gitattributes,
 * .gitignore, nested repositories, the project's .git/config) decides what is recorded or
 * runs a command; symlinks are stored as links, never followed. Recording is in
 * record-workspace.ts, the git runner in track-git.ts; here: where runs live and how they are read.
 */

export function trackRoot(ctx: Pick<HostContext, 'env' | 'home'>): string {
  const state = stateDirOf(ctx);
  if (state === undefined) throw new UsageError('--track needs a state directory: set HOME or XDG_STATE_HOME (absolute)');
  return path.join(state, 'track');
}

export function trackGitDir(root: string, workdirHash: string): string {
  return path.join(root, trackDirName(workdirHash));
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
