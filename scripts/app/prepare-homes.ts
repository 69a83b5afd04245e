import { planHome, type HomeAction } from '../core/agents/agent-home-plan.js';
import type { AgentId } from '../core/agents/agents.js';
import type { ResolvedRun } from '../core/run/assemble-run-plan.js';
import { agentDefaultLayer, type EgressLayer } from '../core/egress/egress-policy.js';
import { inspectAgentHome, type HomeInspection } from '../host/agents/agent-home.js';
import type { HostContext } from '../host/host-context.js';
import type { RunOptions } from './run-options.js';
import type { RunPlaces } from './run-places.js';

export interface PreparedHomes {
  home: HomeInspection;
  /** The host changes for the per-project home and the agent's home (in it or below it). */
  actions: HomeAction[];
  contents: Map<string, Buffer>;
  warnings: string[];
  /** The egress layer the run starts from: the agent's own hosts (R123). */
  defaults: EgressLayer;
  /** The run's agent as the plan needs it: its id, its login file, the variables passed by name. */
  agent: ResolvedRun['agent'];
  /** Values for the variables passed by name that the launcher supplies itself (a stored key). */
  secretEnv: Record<string, string>;
}

/**
 * The homes of a run (R8-R11, R121-R125): the per-project home (every agent's HOME and the
 * init hook's place) and the agent's home in it or below it, with its configuration, login
 * file and keys, all as its registry entry says. Reads only.
 */
export async function prepareHomes(
  agent: AgentId,
  options: RunOptions,
  places: RunPlaces,
  initScript: string | undefined,
  ctx: HostContext,
): Promise<PreparedHomes> {
  const { workdir, envDir, sessionsDir, trees } = places;
  const home = await inspectAgentHome({
    agent,
    workdir,
    envDir,
    sessionsDir,
    trees,
    ...(options.config === undefined ? {} : { configFlag: options.config }),
    ...(options.authFile === undefined ? {} : { authFlag: options.authFile }),
    ...(initScript === undefined ? {} : { initScript }),
    ctx,
  });
  return {
    home,
    actions: planHome(home.facts),
    contents: home.contents,
    warnings: home.warnings,
    defaults: agentDefaultLayer(agent, home.credentialFile !== undefined),
    agent: {
      id: agent,
      ...(home.credentialFile === undefined ? {} : { credentialFile: home.credentialFile }),
      passEnv: [...new Set([...home.passEnv, ...Object.keys(home.secretEnv)])],
    },
    secretEnv: home.secretEnv,
  };
}
