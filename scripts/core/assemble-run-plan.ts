import path from 'node:path';
import { buildContainerName, LABELS } from './container-identity.js';
import { containerPathFor, type Mount } from './mount-spec.js';
import { isSameOrInside } from './path-rules.js';
import type { RunPlan } from './run-plan.js';

/** Where the per-project Codex home is mounted inside the container. */
export const CODEX_HOME_TARGET = '/codex_home';

/** Everything resolved and validated by the host layer, as plain values. */
export interface ResolvedRun {
  /** 'codex' runs the agent; 'shell' runs `args` (or a login shell) in the same sandbox. */
  command: 'codex' | 'shell';
  workdir: string;
  envDir: string;
  sessionsDir: string;
  authFile?: string;
  readOnly: readonly string[];
  allowlist: readonly string[];
  image: string;
  network?: string;
  dns: readonly string[];
  uid: number;
  gid: number;
  tty: boolean;
  runId: string;
  /** Hex sha256 of the workdir's realpath (the host computes it). */
  workdirHash: string;
  launcherPid: number;
  launcherHost: string;
  launcherVersion: string;
  args: readonly string[];
}

/** Mounts in a fixed order: workdir, Codex home, auth (read-only), sessions, extra read-only paths. */
function listMounts(run: ResolvedRun): Mount[] {
  const mounts: Mount[] = [
    { source: run.workdir, target: containerPathFor(run.workdir), readonly: false },
    { source: run.envDir, target: CODEX_HOME_TARGET, readonly: false },
  ];
  if (run.authFile !== undefined) {
    mounts.push({ source: run.authFile, target: `${CODEX_HOME_TARGET}/auth.json`, readonly: true });
  }
  if (run.sessionsDir !== path.join(run.envDir, 'sessions')) {
    mounts.push({ source: run.sessionsDir, target: `${CODEX_HOME_TARGET}/sessions`, readonly: false });
  }
  for (const readOnly of run.readOnly) {
    mounts.push({ source: readOnly, target: containerPathFor(readOnly), readonly: true });
  }
  return mounts;
}

/** The pure step from resolved inputs to the RunPlan that becomes `docker run`. */
export function assembleRunPlan(run: ResolvedRun): RunPlan {
  const workingDir = containerPathFor(run.workdir);
  // The seed promises SANDBOX_ENV_DIR=/app$WORK_DIR/.codex/.environment; a Codex home
  // elsewhere is only visible at /codex_home.
  const envDirInContainer = isSameOrInside(run.workdir, run.envDir) ? containerPathFor(run.envDir) : CODEX_HOME_TARGET;
  const env: Array<[string, string]> = [
    ['CODEX_HOME', CODEX_HOME_TARGET],
    ['HOME', CODEX_HOME_TARGET],
    ['SANDBOX_WORKDIR', workingDir],
    ['SANDBOX_ENV_DIR', envDirInContainer],
    ['SANDBOX_ALLOWED_DOMAINS', run.allowlist.join(' ')],
    ['SANDBOX_HOST_UID', String(run.uid)],
    ['SANDBOX_HOST_GID', String(run.gid)],
  ];
  if (run.command === 'shell') env.push(['SANDBOX_COMMAND', 'shell']);
  const labels: Array<[string, string]> = [
    [LABELS.managed, 'true'],
    [LABELS.workdir, run.workdir],
    [LABELS.runId, run.runId],
    [LABELS.command, run.command],
    [LABELS.launcherPid, String(run.launcherPid)],
    [LABELS.launcherHost, run.launcherHost],
    [LABELS.version, run.launcherVersion],
  ];
  return {
    image: run.image,
    containerName: buildContainerName(path.basename(run.workdir), run.workdirHash, run.runId),
    labels,
    mounts: listMounts(run),
    workingDir,
    env,
    tty: run.tty,
    network: run.network,
    dns: run.dns,
    args: run.args,
  };
}
