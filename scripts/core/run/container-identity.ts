import { AGENTS, type AgentId } from '../agents/agents.js';

/** Where the per-project Codex home is mounted inside the container. */
export const CODEX_HOME_TARGET = '/codex_home';

/** Label namespace: every container, network or image we start carries these. */
export const LABEL_PREFIX = 'codex-sandbox';
export const LABELS = {
  managed: `${LABEL_PREFIX}.managed`,
  workdir: `${LABEL_PREFIX}.workdir`,
  runId: `${LABEL_PREFIX}.run-id`,
  launcherPid: `${LABEL_PREFIX}.launcher-pid`,
  launcherHost: `${LABEL_PREFIX}.launcher-host`,
  command: `${LABEL_PREFIX}.command`,
  version: `${LABEL_PREFIX}.version`,
  /** On images: the launcher↔entrypoint contract version (image/CONTRACT.md); absent: no firewall. */
  entrypoint: `${LABEL_PREFIX}.entrypoint`,
  codexVersion: `${LABEL_PREFIX}.codex-version`,
  /** On containers of another agent than Codex: its registry id (R120); absent: codex. */
  agent: `${LABEL_PREFIX}.agent`,
  /** On images: `codex-sandbox.agent.<id>=<version>` per installed agent, and the base's Node (R131). */
  agentPrefix: `${LABEL_PREFIX}.agent.`,
  node: `${LABEL_PREFIX}.node`,
} as const;

/**
 * The entrypoint contract this launcher speaks: 2 = name-checked 80/443 (Squid), R90;
 * 3 = mount identities checked first and the Codex home linked, not bound again (R103);
 * 4 = several agents (SANDBOX_AGENT, agent labels) and login mode (R131-R133); 5 = service
 * groups never the agent's (R34, R96); 6 = names validated before any rule, host:port exact
 * and a record the agent cannot flood, thin or forge (R140-R152); 7 = TLS inspection and
 * credentials outside the agent (R160-R166); 8 = the live policy, `sandbox-policy` (R167-R170):
 * an older image keeps those holes open or lacks the commands, so it is rebuilt, never run.
 */
export const IMAGE_CONTRACT = 8;

/**
 * What an image's labels say about its entrypoint: ours and current, ours but older than
 * this launcher (it would run without the name check), or not ours (no firewall at all).
 */
export function classifyImageContract(labels: Readonly<Record<string, string>>): 'current' | 'outdated' | 'foreign' {
  const value = labels[LABELS.entrypoint];
  if (value === undefined || !/^[1-9][0-9]{0,3}$/.test(value)) return 'foreign';
  return Number(value) >= IMAGE_CONTRACT ? 'current' : 'outdated';
}

/** Docker names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*; keep the readable part short. */
export function slugifyName(basename: string): string {
  const slug = basename
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 30)
    .replace(/[-_.]+$/, '');
  return slug.length > 0 ? slug : 'workdir';
}

/**
 * `codex-<slug>-<8 hex of sha256(realpath)>-<run id>`: readable, yet unique per workdir
 * (so `/a/b.c` and `/a/bc` differ) and per run (so two runs never remove each other).
 * The caller computes the hash and the random run id (core does no I/O or crypto).
 */
export function buildContainerName(basename: string, workdirHash: string, runId: string): string {
  return `codex-${slugifyName(basename)}-${workdirHash.slice(0, 8)}-${runId}`;
}

/** What every launcher container is labelled with: a run's and a login's, so they cannot drift (R17, R120). */
export interface ContainerIdentity {
  /** Absent for a login: it has no workdir. */
  workdir?: string;
  runId: string;
  command: string;
  launcherPid: number;
  launcherHost: string;
  launcherVersion: string;
  agent?: AgentId;
}

/** The labels the reaper, `list` and the sessions find a container by (R17). */
export function listBaseLabels(identity: ContainerIdentity): Array<[string, string]> {
  const labels: Array<[string, string]> = [
    [LABELS.managed, 'true'],
    ...(identity.workdir === undefined ? [] : ([[LABELS.workdir, identity.workdir]] as Array<[string, string]>)),
    [LABELS.runId, identity.runId],
    [LABELS.command, identity.command],
    [LABELS.launcherPid, String(identity.launcherPid)],
    [LABELS.launcherHost, identity.launcherHost],
    [LABELS.version, identity.launcherVersion],
  ];
  if (identity.agent !== undefined) labels.push([LABELS.agent, identity.agent]);
  return labels;
}

/** The entrypoint's common variables: the Codex home (also HOME), the allowed names, the host's uid/gid (R7). */
export function listBaseEnv(base: {
  /** Absent for a login: it has no workdir. */
  workingDir?: string;
  envDir: string;
  domains: readonly string[];
  uid: number;
  gid: number;
}): Array<[string, string]> {
  return [
    ['CODEX_HOME', CODEX_HOME_TARGET],
    ['HOME', CODEX_HOME_TARGET],
    ...(base.workingDir === undefined ? [] : ([['SANDBOX_WORKDIR', base.workingDir]] as Array<[string, string]>)),
    ['SANDBOX_ENV_DIR', base.envDir],
    ['SANDBOX_ALLOWED_DOMAINS', base.domains.join(' ')],
    ['SANDBOX_HOST_UID', String(base.uid)],
    ['SANDBOX_HOST_GID', String(base.gid)],
  ];
}

/**
 * What the entrypoint and the agent need to know about the agent: which one (SANDBOX_AGENT),
 * `agentHome` in its own home variables, and the registry's fixed settings (R121, R122).
 * A run's and a login's container both take it from here.
 */
export function listAgentEnv(agent: AgentId, agentHome: string): Array<[string, string]> {
  const spec = AGENTS[agent];
  const env: Array<[string, string]> = [['SANDBOX_AGENT', agent]];
  for (const name of spec.homeEnv) env.push([name, agentHome]);
  for (const [name, value] of Object.entries(spec.fixedEnv)) env.push([name, value]);
  return env;
}
