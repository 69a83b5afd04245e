import type { ChangedFile } from '../../core/track/track-changes.js';
import type { HostContext } from '../host-context.js';
import { recordWorkspace } from './record-workspace.js';
import { listTrackedChanges, trackGitDir, trackRoot } from './track-store.js';

export interface TrackedRun {
  gitDir: string;
  /** Records the state after the run; returns what changed. */
  finish(): Promise<ChangedFile[]>;
}

/** `--track`: records the workdir now (before the agent starts) and again on finish(). */
export async function startTracking(
  ctx: HostContext,
  run: { workdir: string; workdirHash: string; runId: string },
  exclude: readonly string[] = [],
): Promise<TrackedRun> {
  const gitDir = trackGitDir(trackRoot(ctx), run.workdirHash);
  await recordWorkspace(gitDir, run.workdir, run.runId, 'before', exclude);
  process.stderr.write(`tracking run ${run.runId}: see the changes later with run-in-container diff ${run.runId}\n`);
  return {
    gitDir,
    async finish() {
      await recordWorkspace(gitDir, run.workdir, run.runId, 'after', exclude);
      return listTrackedChanges(gitDir, run.runId);
    },
  };
}
