import { formatMountIds, MOUNT_IDS_ENV, type MountIdentity } from './mount-ids.js';
import { formatMount, type Mount } from './mount-spec.js';

/** Everything `docker run` needs, as plain values computed after all I/O is done. */
export interface RunPlan {
  image: string;
  containerName: string;
  labels: ReadonlyArray<readonly [string, string]>;
  mounts: readonly Mount[];
  /** Working directory inside the container (`/app<workdir>`). */
  workingDir: string;
  env: ReadonlyArray<readonly [string, string]>;
  /**
   * Variables passed by name (`-e NAME`): docker takes each value from its own environment,
   * so API keys never appear on a command line or in `--dry-run` (R125).
   */
  passEnv?: readonly string[];
  /** `-t`: only when both stdin and stdout are terminals. */
  tty: boolean;
  network?: string;
  dns: readonly string[];
  /** `--add-host NAME:ADDR` entries (host.docker.internal:host-gateway for --allow-host-port). */
  addHosts?: readonly string[];
  /** `-p` entries: only a login's callback port, on the host's 127.0.0.1 (R137). */
  publish?: readonly string[];
  /** Arguments after the image: codex's (or the shell command's), untouched. */
  args: readonly string[];
  /** Named sessions: `docker run -d` (no --rm, no -i/-t); absent for plain runs. */
  detach?: boolean;
  /** Identity of each mount source by target (R103), checked first by the entrypoint; absent: not checked. */
  mountIds?: ReadonlyMap<string, MountIdentity>;
}

/**
 * Capabilities the entrypoint needs as root to set up DNS, the firewall and the user
 * mapping; `setpriv` empties the bounding set before the agent or init hook starts.
 * Docker's other defaults (MKNOD, SYS_CHROOT, AUDIT_WRITE, SETFCAP, FSETID) are dropped.
 */
export const ENTRYPOINT_CAPABILITIES: readonly string[] = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'KILL',
  'SETUID',
  'SETGID',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'NET_ADMIN',
  'NET_RAW',
];

/** The sandbox's sysctls, for `docker run --sysctl` and a Kubernetes pod's (R19, R183). */
export const CONTAINER_SYSCTLS: ReadonlyArray<readonly [string, string]> = [
  // Docker lets any user of the container bind ports below 1024: the agent may not (R152).
  ['net.ipv4.ip_unprivileged_port_start', '1024'],
  // Per-connection byte counts for the egress record of extra ports (R151).
  ['net.netfilter.nf_conntrack_acct', '1'],
];

/**
 * The plan with the identities pinned for its mount sources (R103); `ids` undefined: unchanged.
 * The one place they are attached: a plan assembled again for the same mounts (exec's headless
 * argv, a parallel session's name) keeps them, a target without one gets `0:0` and never matches.
 */
export function attachMountIds(plan: RunPlan, ids: ReadonlyMap<string, MountIdentity> | undefined): RunPlan {
  return ids === undefined ? plan : { ...plan, mountIds: ids };
}

/** The one place a RunPlan becomes the arguments of `docker run` (after `docker`; never a shell string). */
export function buildDockerRunArgs(plan: RunPlan): string[] {
  // A named session starts detached and stays (the agent enters it with `docker exec`).
  const argv = plan.detach === true ? ['run', '-d'] : ['run', '--rm', '-i'];
  if (plan.tty && plan.detach !== true) argv.push('-t');
  argv.push('--name', plan.containerName);
  for (const [key, value] of plan.labels) argv.push('--label', `${key}=${value}`);
  argv.push('--cap-drop', 'ALL');
  for (const cap of ENTRYPOINT_CAPABILITIES) argv.push('--cap-add', cap);
  argv.push('--security-opt', 'no-new-privileges');
  for (const [name, value] of CONTAINER_SYSCTLS) argv.push('--sysctl', `${name}=${value}`);
  if (plan.network !== undefined) argv.push('--network', plan.network);
  for (const server of plan.dns) argv.push('--dns', server);
  for (const entry of plan.addHosts ?? []) argv.push('--add-host', entry);
  for (const entry of plan.publish ?? []) argv.push('-p', entry);
  for (const mount of plan.mounts) argv.push('--mount', formatMount(mount));
  argv.push('-w', plan.workingDir);
  if (plan.mountIds !== undefined) argv.push('-e', `${MOUNT_IDS_ENV}=${formatMountIds(plan.mounts, plan.mountIds)}`);
  for (const [key, value] of plan.env) argv.push('-e', `${key}=${value}`);
  for (const name of plan.passEnv ?? []) argv.push('-e', name);
  argv.push(plan.image, ...plan.args);
  return argv;
}
