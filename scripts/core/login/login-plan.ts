import { AGENTS } from '../agents/agents.js';
import { CODEX_HOME_TARGET, listAgentEnv, listBaseEnv, listBaseLabels } from '../run/container-identity.js';
import type { EgressLayer, EgressPolicy } from '../egress/egress-policy.js';
import { listCaMounts, listEgressAddHosts, listEgressEnv, listEgressSecrets } from '../egress/egress-run-args.js';
import type { ContainerLogin } from './login-flows.js';
import type { RunPlan } from '../run/run-plan.js';

/** Everything a login's container needs, resolved by the host layer (R135). */
export interface ResolvedLogin {
  flow: ContainerLogin;
  image: string;
  runId: string;
  /** The fresh private directory (host path) that is the container's whole Codex home. */
  loginDir: string;
  egress: EgressPolicy;
  caFiles: readonly string[];
  network?: string;
  uid: number;
  gid: number;
  /** `-t`: a terminal on both ends, and the key not on stdin. */
  tty: boolean;
  launcherPid: number;
  launcherHost: string;
  launcherVersion: string;
  /** The user's arguments for the agent's login command (after `--`). */
  args: readonly string[];
}

/** The egress layer a login starts from: the agent's login hosts and nothing else (R135). */
export function loginEgressDefaults(flow: Pick<ContainerLogin, 'agent'>): EgressLayer {
  const spec = AGENTS[flow.agent];
  return { source: `login hosts (${spec.title})`, allow: spec.loginHosts };
}

/** `codex-login-<agent>-<run id>`: recognisable in `docker ps`, unique per run. */
function buildLoginContainerName(flow: Pick<ContainerLogin, 'agent'>, runId: string): string {
  return `codex-login-${flow.agent}-${runId}`;
}

/**
 * The variables of a login's container: the entrypoint's login mode (SANDBOX_COMMAND=login,
 * SANDBOX_AGENT, SANDBOX_LOGIN_PORT), the login home as HOME, CODEX_HOME and the agent's own
 * home variables (its credential lands at the registry's place below it), the agent's fixed
 * settings and the flow's (R122, R135).
 */
function listLoginEnv(login: ResolvedLogin): Array<[string, string]> {
  const { flow } = login;
  const env = listBaseEnv({ envDir: CODEX_HOME_TARGET, domains: login.egress.domains, uid: login.uid, gid: login.gid });
  env.push(['SANDBOX_COMMAND', 'login']);
  // The login home is the agent's whole home; Codex's CODEX_HOME is already set above.
  for (const entry of listAgentEnv(flow.agent, CODEX_HOME_TARGET)) if (!env.some(([key]) => key === entry[0])) env.push(entry);
  if (flow.callbackPort !== undefined) env.push(['SANDBOX_LOGIN_PORT', String(flow.callbackPort)]);
  for (const [name, value] of flow.env) env.push([name, value]);
  env.push(...listEgressEnv(login.egress));
  return env;
}

/**
 * The pure step from a resolved login to the plan that becomes `docker run` through the
 * one argv builder (R19): no workdir, the login directory as /codex_home, the CA files, the
 * callback port published on the host's loopback only, the agent's login command.
 */
export function assembleLoginPlan(login: ResolvedLogin): RunPlan {
  const { flow } = login;
  const labels = listBaseLabels({ ...login, command: 'login', agent: flow.agent });
  const port = flow.callbackPort;
  // The proxy's login by name only (R84): the launcher hands docker its value.
  const secretNames = Object.keys(listEgressSecrets(login.egress));
  return {
    image: login.image,
    containerName: buildLoginContainerName(flow, login.runId),
    labels,
    mounts: [{ source: login.loginDir, target: CODEX_HOME_TARGET, readonly: false }, ...listCaMounts(login.caFiles)],
    workingDir: CODEX_HOME_TARGET,
    env: listLoginEnv(login),
    tty: login.tty,
    network: login.network,
    dns: [],
    addHosts: listEgressAddHosts(login.egress),
    ...(secretNames.length === 0 ? {} : { passEnv: secretNames }),
    ...(port === undefined ? {} : { publish: [`127.0.0.1:${port}:${port}`] }),
    args: [...flow.argv, ...login.args],
  };
}
