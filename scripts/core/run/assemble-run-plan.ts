import path from 'node:path';
import { agentConfigIn, agentHomeIn, AGENTS, selectedAgent, type AgentId } from '../agents/agents.js';
import { buildContainerName, CODEX_HOME_TARGET, listAgentEnv, listBaseEnv, listBaseLabels } from './container-identity.js';
import type { EgressPolicy } from '../egress/egress-policy.js';
import { listCaMounts, listEgressAddHosts, listEgressEnv, listEgressSecrets } from '../egress/egress-run-args.js';
import { containerPathFor, type Mount } from './mount-spec.js';
import { isSameOrInside } from './path-rules.js';
import type { RunPlan } from './run-plan.js';
import { buildSessionContainerName, SESSION_LABELS } from '../session/session-identity.js';
import { serializeMountSet } from '../session/session-mounts.js';
import { HANDBACK_TARGET, handbackDirName } from '../login/login-handback.js';
import { loginCopyName, NO_INSPECT_ENV, SECRETS_TARGET, secretsFileName } from './run-secrets.js';

/** The agent a run starts (R120). */
export const agentIdOf = (run: Pick<ResolvedRun, 'agent'>): AgentId => run.agent.id;

/** `--name NAME [--keep] [--replace|--parallel] [--strict-mounts]`: a named session (R41, R42). */
export interface RunSession {
  name: string;
  keep: boolean;
  replace: boolean;
  parallel: boolean;
  strictMounts: boolean;
}

/**
 * Everything resolved and validated by the host layer, as plain values: the whole truth of a
 * run, how it is driven (tty, session, tracking, headless) included; the flows read nothing else.
 */
export interface ResolvedRun {
  /** 'agent' runs the agent (labelled with its id); 'shell' runs `args` (or a login shell) in the same sandbox. */
  command: 'agent' | 'shell';
  /**
   * The agent (R120-R125): its id, its login file (host path, mounted read-only at the
   * registry's place in its home) and the host variables passed by name.
   */
  agent: { id: AgentId; credentialFile?: string; passEnv: readonly string[] };
  workdir: string;
  envDir: string;
  sessionsDir: string;
  readOnly: readonly string[];
  allowlist: readonly string[];
  /** Ports, denies, host ports and proxy beyond `allowlist` (R80-R86); absent: none. */
  egress?: EgressPolicy;
  /** Extra CA files (host paths) mounted read-only for the entrypoint to trust. */
  caFiles?: readonly string[];
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
  /** `--repo`: cloned by the entrypoint into SANDBOX_WORKDIR/<dir> (R53); absent: no clone. */
  repo?: { url: string; ref?: string; dir: string };
  /** `--protect-git`: host paths of `.git` entries (dir or file) and gitdirs to mount read-only in place. */
  protectedGit?: readonly string[];
  /**
   * `--protect-git`: directories between a workdir and a nested `.git`, bound onto themselves
   * (writable) so the agent cannot rename them away and put its own repository there (R105).
   */
  pinnedDirs?: readonly string[];
  /** More workdirs after the first (R40), each mounted at /app<path>; absent: just one. */
  extraWorkdirs?: readonly string[];
  /** `--name`: a session started detached (SANDBOX_COMMAND=session), entered with docker exec. */
  session?: RunSession;
  /** `--track`: the workdir recorded before and after the run (R54); absent: not recorded. */
  track?: boolean;
  /** `exec` (R50): the agent's headless mode, no TTY, its output captured for a report; absent: interactive. */
  headless?: boolean;
  /**
   * Host dir for the raw egress log, outside every agent-writable tree (set on every run).
   * Mounted for plain runs only: a session keeps its log inside the container and hands it
   * over after each command (`sandbox-egress take`, R95), so nothing raw stays on the host.
   */
  egressLogDir?: string;
  /**
   * `--egress-log FILE` (R171): the physical path, outside every agent-writable tree, that
   * each record's schema-v1 lines are appended to (end of a plain run, each session command).
   */
  egressAppendFile?: string;
  /** `--no-inspect` and `[network] no_inspect` (R160): hosts the proxy passes through unopened. */
  noInspect?: readonly string[];
  /**
   * The run's credentials stay outside (R161-R164): `dir` is the launcher-private directory
   * holding the secrets file and, with `loginCopy`, the login file's placeholder copy mounted
   * instead of it; `names` are the `--secret` variables passed by name. Absent: no credential.
   */
  secrets?: { dir: string; loginCopy: boolean; names: readonly string[] };
}

/** Where the entrypoint writes the capped egress log (image/CONTRACT.md). */
export const EGRESS_LOG_TARGET = '/var/lib/codex-sandbox/private/egress';

/**
 * Where the Codex home is reached in the container. Inside a workdir it is already mounted
 * with it: it is not bound a second time (a second bind would hand docker a path the agent
 * can swap, R103); the entrypoint makes /codex_home a symlink to it instead.
 */
export function codexHomeInContainer(run: Pick<ResolvedRun, 'workdir' | 'extraWorkdirs' | 'envDir'>): string {
  const workdirs = [run.workdir, ...(run.extraWorkdirs ?? [])];
  return workdirs.some((dir) => isSameOrInside(dir, run.envDir)) ? containerPathFor(run.envDir) : CODEX_HOME_TARGET;
}

/** Mounts in a fixed order: workdirs, Codex home (when outside them), auth (read-only), sessions, extra read-only paths. */
function listMounts(run: ResolvedRun): Mount[] {
  const home = codexHomeInContainer(run);
  const mounts: Mount[] = [{ source: run.workdir, target: containerPathFor(run.workdir), readonly: false }];
  if (home === CODEX_HOME_TARGET) mounts.push({ source: run.envDir, target: CODEX_HOME_TARGET, readonly: false });
  if (run.egressLogDir !== undefined && run.session === undefined)
    mounts.push({ source: run.egressLogDir, target: EGRESS_LOG_TARGET, readonly: false });
  const extraWorkdirMounts = (run.extraWorkdirs ?? []).map((dir) => ({ source: dir, target: containerPathFor(dir), readonly: false }));
  mounts.splice(1, 0, ...extraWorkdirMounts);
  const credential = run.agent.credentialFile;
  if (credential !== undefined) {
    const spec = AGENTS[run.agent.id];
    mounts.push(loginMount(run, credential, `${agentConfigIn(home, spec)}/${spec.credentialFile}`));
  }
  if (run.sessionsDir !== path.join(run.envDir, 'sessions')) {
    mounts.push({ source: run.sessionsDir, target: `${home}/sessions`, readonly: false });
  }
  for (const readOnly of run.readOnly) {
    mounts.push({ source: readOnly, target: containerPathFor(readOnly), readonly: true });
  }
  mounts.push(...listCaMounts(run.caFiles ?? []));
  // After the workdir mounts; docker mounts parents first, so these cover the writable .git.
  for (const dir of run.pinnedDirs ?? []) mounts.push({ source: dir, target: containerPathFor(dir), readonly: false });
  for (const gitEntry of run.protectedGit ?? []) {
    mounts.push({ source: gitEntry, target: containerPathFor(gitEntry), readonly: true });
  }
  // Into a root-only directory of the image: the proxy reads it, the agent cannot (R161).
  if (run.secrets !== undefined) {
    mounts.push({ source: path.join(run.secrets.dir, secretsFileName(run.runId)), target: SECRETS_TARGET, readonly: true });
  }
  // A login's refreshed tokens come back through here, root-only inside too (R164).
  if (run.secrets?.loginCopy === true) {
    mounts.push({ source: path.join(run.secrets.dir, handbackDirName(run.runId)), target: HANDBACK_TARGET, readonly: false });
  }
  return mounts;
}

/** A login file, read-only; with credentials kept outside, its placeholder copy in its place (R164). */
function loginMount(run: ResolvedRun, file: string, target: string): Mount {
  if (run.secrets?.loginCopy !== true) return { source: file, target, readonly: true };
  const copy = path.join(run.secrets.dir, loginCopyName(run.runId, path.basename(target)));
  return { source: copy, target, readonly: true, origin: file };
}

/** Labels that find, name and describe the container (R17, R41, R120). */
function listLabels(run: ResolvedRun, mounts: readonly Mount[], workdirs: readonly string[]): Array<[string, string]> {
  const command = run.command === 'shell' ? run.command : run.agent.id;
  const labels = listBaseLabels({ ...run, command, agent: selectedAgent(run.agent.id) });
  if (workdirs.length > 1) labels.push([SESSION_LABELS.workdirs, JSON.stringify(workdirs)]);
  if (run.session !== undefined) {
    labels.push([SESSION_LABELS.session, run.session.name], [SESSION_LABELS.mounts, serializeMountSet(mounts)]);
  }
  return labels;
}

/** The pure step from resolved inputs to the RunPlan that becomes `docker run`. */
export function assembleRunPlan(run: ResolvedRun): RunPlan {
  const workingDir = containerPathFor(run.workdir);
  // R7 promises SANDBOX_ENV_DIR=/app$WORK_DIR/.codex/.environment; a Codex home
  // elsewhere is only visible at /codex_home.
  const envDirInContainer = isSameOrInside(run.workdir, run.envDir) ? containerPathFor(run.envDir) : CODEX_HOME_TARGET;
  const env = listBaseEnv({ workingDir, envDir: envDirInContainer, domains: run.allowlist, uid: run.uid, gid: run.gid });
  if (run.egressLogDir !== undefined) env.push(['SANDBOX_EGRESS_LOG', '1']);
  const home = codexHomeInContainer(run);
  for (const entry of listAgentEnv(run.agent.id, agentHomeIn(home, AGENTS[run.agent.id]))) {
    // The image's default agent starts without SANDBOX_AGENT (image/CONTRACT.md); its home variables may be the base's.
    const wanted = entry[0] === 'SANDBOX_AGENT' ? selectedAgent(run.agent.id) !== undefined : !env.some(([key]) => key === entry[0]);
    if (wanted) env.push(entry);
  }
  if (home !== CODEX_HOME_TARGET) env.push(['SANDBOX_CODEX_HOME', home]);
  const workdirs = [run.workdir, ...(run.extraWorkdirs ?? [])];
  if (workdirs.length > 1) env.push(['SANDBOX_WORKDIRS', workdirs.map(containerPathFor).join('\n')]);
  if (run.session !== undefined) env.push(['SANDBOX_COMMAND', 'session']);
  else if (run.command === 'shell') env.push(['SANDBOX_COMMAND', 'shell']);
  if (run.egress !== undefined) env.push(...listEgressEnv(run.egress));
  if (run.noInspect !== undefined && run.noInspect.length > 0) env.push([NO_INSPECT_ENV, run.noInspect.join(' ')]);
  // Where Docker's embedded resolver forwards: the only DNS root may send out (R96).
  if (run.dns.length > 0) env.push(['SANDBOX_DOCKER_DNS', run.dns.join(' ')]);
  if (run.repo !== undefined) {
    env.push(['SANDBOX_REPO_URL', run.repo.url]);
    if (run.repo.ref !== undefined) env.push(['SANDBOX_REPO_REF', run.repo.ref]);
    env.push(['SANDBOX_REPO_DIR', run.repo.dir]);
  }
  const mounts = listMounts(run);
  const labels = listLabels(run, mounts, workdirs);
  return {
    image: run.image,
    containerName:
      run.session !== undefined
        ? buildSessionContainerName(run.session.name)
        : buildContainerName(path.basename(run.workdir), run.workdirHash, run.runId),
    labels,
    mounts,
    workingDir,
    env,
    tty: run.tty,
    network: run.network,
    dns: run.dns,
    ...listPassEnv(run),
    addHosts: run.egress === undefined ? undefined : listEgressAddHosts(run.egress),
    // A session's container only keeps itself alive; the command comes with `docker exec`.
    args: run.session !== undefined ? [] : run.args,
    ...(run.session !== undefined ? { detach: true } : {}),
  };
}

/** Variables passed by name (`-e NAME`): the agent's keys, `--secret` names (placeholders, R162) and the proxy's login (R84, R125). */
function listPassEnv(run: ResolvedRun): { passEnv?: string[] } {
  const names = [
    ...run.agent.passEnv,
    ...(run.secrets?.names ?? []),
    ...Object.keys(run.egress === undefined ? {} : listEgressSecrets(run.egress)),
  ];
  return names.length === 0 ? {} : { passEnv: [...new Set(names)] };
}
