import path from 'node:path';
import { UsageError } from '../core/errors.js';
import { isSameOrInside } from '../core/run/path-rules.js';
import { resolveExtraWorkdirs } from '../host/extra-workdirs.js';
import type { HostContext } from '../host/host-context.js';
import { resolveWritableDir } from '../host/tree/input-path.js';
import { resolveWorkdir } from '../host/workdir.js';
import type { RunOptions } from './run-options.js';

/** Where a run lives on the host: every tree the agent can write, and why it needs consent. */
export interface RunPlaces {
  workdir: string;
  /** More workdirs (R40), after the first. */
  extraWorkdirs: string[];
  envDir: string;
  sessionsDir: string;
  /** Every tree the agent can write: workdirs, Codex home, sessions directory (R101). */
  trees: string[];
  /** Reasons this run needs consent (R12): writable mounts outside the workdir. */
  exposures: string[];
}

/**
 * The workdirs (R4-R6, R40), the Codex home (R7) and the sessions directory. The Codex home
 * and the sessions directory are written by the launcher and mounted: no symlink anywhere on
 * the way (R101), so nothing the agent plants redirects them.
 */
export async function resolveRunPlaces(options: RunOptions, ctx: HostContext): Promise<RunPlaces> {
  const workdir = await resolveWorkdir(options.workDir, ctx);
  const extra = await resolveExtraWorkdirs(workdir.path, options.extraWorkDirs ?? [], ctx);
  const exposures = [...workdir.exposures, ...extra.exposures];
  const workdirs = [workdir.path, ...extra.paths];
  const envDir = await resolveHomeDir(
    options.codexHome ?? path.join(workdir.path, '.codex', '.environment'),
    ctx.cwd,
    options.codexHome === undefined ? 'the Codex home' : '--codex-home',
    workdirs,
  );
  refuseRoot(envDir, '--codex-home');
  if (!isSameOrInside(workdir.path, envDir))
    exposures.push(`--codex-home ${envDir} is outside the workdir and will be writable by the agent`);
  const sessionsDir =
    options.sessionsPath === undefined
      ? path.join(envDir, 'sessions')
      : await resolveHomeDir(options.sessionsPath, ctx.cwd, '--sessions-path', [...workdirs, envDir]);
  refuseRoot(sessionsDir, '--sessions-path');
  if (!isSameOrInside(workdir.path, sessionsDir) && !isSameOrInside(envDir, sessionsDir)) {
    exposures.push(`--sessions-path ${sessionsDir} is outside the workdir and will be writable by the agent`);
  }
  return { workdir: workdir.path, extraWorkdirs: extra.paths, envDir, sessionsDir, trees: [...workdirs, envDir, sessionsDir], exposures };
}

function refuseRoot(resolved: string, flag: string): void {
  if (resolved === '/') throw new UsageError(`refusing to mount / with ${flag}: give a dedicated directory`);
}

/** A directory the launcher writes in a tree the agent can write: no symlink on the way inside `trees` (R101); its physical path. */
export async function resolveHomeDir(input: string, cwd: string, what: string, trees: readonly string[]): Promise<string> {
  const found = await resolveWritableDir(input, cwd, trees, (error) =>
    error.reason === 'not-dir'
      ? `${what} ${JSON.stringify(input)} cannot be used (ENOTDIR): check the path`
      : `${error.path} is a symlink in a place the agent can write ` +
        `(${what} ${JSON.stringify(input)} never goes through one): remove it and run again`,
  );
  return found.physical;
}
