import { UsageError } from '../core/errors.js';
import { SESSION_LABELS, validateSessionName } from '../core/session/session-identity.js';
import { LABELS } from '../core/run/container-identity.js';
import { renderDiffForTerminal } from '../core/track/diff-view.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import { isRunId } from '../core/track/track-changes.js';
import { queryDocker } from '../host/engine/docker.js';
import type { HostContext } from '../host/host-context.js';
import { listTrackedRuns, renderTrackedDiff, resolveTrackedRun, trackGitDir, trackRoot } from '../host/track/track-store.js';
import { hashWorkdir, resolveWorkdir } from '../host/workdir.js';

export interface DiffOptions {
  /** A run id (8 hex) or a session name; default: the last tracked run of the workdir. */
  target?: string;
  workDir?: string;
  stat: boolean;
  list: boolean;
}

/** The workdir a session was started for (its container's workdir label). */
async function sessionWorkdir(name: string): Promise<string> {
  validateSessionName(name, 'diff');
  const out = await queryDocker([
    'ps',
    '-a',
    '--filter',
    `label=${SESSION_LABELS.session}=${name}`,
    '--format',
    `{{.Label "${LABELS.workdir}"}}`,
  ]);
  const workdir = out.split('\n').find((line) => line.trim() !== '');
  if (workdir === undefined)
    throw new UsageError(`no session named ${name} and no run id ${JSON.stringify(name)}: give a run id (8 hex) or a session name`);
  return workdir.trim();
}

/**
 * `run-in-container diff [NAME|RUN] [--stat] [--list]`: what a `--track` run changed, from
 * the tracking repository of the workdir (never the project's own .git). Output on stdout.
 */
export async function diffCommand(options: DiffOptions, ctx: HostContext): Promise<number> {
  const target = options.target;
  let workdir: string;
  let runId: string | undefined;
  if (target !== undefined && !isRunId(target)) {
    if (options.workDir !== undefined) throw new UsageError('give either a session name or --work_dir, not both');
    workdir = await sessionWorkdir(target);
  } else {
    workdir = (await resolveWorkdir(options.workDir, ctx)).path;
    runId = target;
  }
  const gitDir = trackGitDir(trackRoot(ctx), hashWorkdir(workdir));
  if (options.list) {
    const runs = await listTrackedRuns(gitDir).catch(() => []);
    if (runs.length === 0) throw new UsageError(`no tracked runs for ${workdir}: run with --track first`);
    process.stdout.write(`${runs.join('\n')}\n`);
    return 0;
  }
  const run = await resolveTrackedRun(gitDir, runId);
  process.stderr.write(`changes of run ${run} in ${escapeTerminalText(workdir)}\n`);
  const text = await renderTrackedDiff(gitDir, run, options.stat);
  // On a terminal, what the agent wrote is shown escaped (R100); piped, the patch as git made it.
  process.stdout.write(process.stdout.isTTY === true ? renderDiffForTerminal(text, true) : text);
  if (text === '') process.stderr.write('no files changed\n');
  return 0;
}
