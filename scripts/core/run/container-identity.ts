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
