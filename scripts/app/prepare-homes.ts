import { planAgentHome } from '../core/agents/agent-home-plan.js';
import { AGENTS, type AgentId } from '../core/agents/agents.js';
import type { ResolvedRun } from '../core/run/assemble-run-plan.js';
import { planCodexHome, type HomeAction } from '../core/agents/codex-home-plan.js';
import { agentDefaultLayer, type EgressLayer } from '../core/egress/egress-policy.js';
import { UsageError } from '../core/errors.js';
import { inspectAgentHome } from '../host/agents/agent-home.js';
import { inspectCodexHome, type HomeInspection } from '../host/agents/codex-home.js';
import type { HostContext } from '../host/host-context.js';
import type { RunOptions } from './run-options.js';
import type { RunPlaces } from './run-places.js';

export interface PreparedHomes {
  codex: HomeInspection;
  /** The host changes for the Codex home and, for another agent, its home below it. */
  actions: HomeAction[];
  contents: Map<string, Buffer>;
  warnings: string[];
  /** The egress layer the run starts from: the agent's own hosts (R123). */
  defaults: EgressLayer;
  /** Another agent than Codex, as the plan needs it; absent for Codex. */
  agent?: NonNullable<ResolvedRun['agent']>;
  /** Values for the variables passed by name that the launcher supplies itself (a stored key). */
  secretEnv: Record<string, string>;
}

/**
 * The homes of a run (R8-R11, R121-R125): the per-project Codex home (every agent's HOME and
 * the init hook's place) and, for Claude Code or Gemini CLI, that agent's home below it with
 * its configuration, login file and keys. Reads only.
 */
export async function prepareHomes(
  agent: AgentId,
  options: RunOptions,
  places: RunPlaces,
  initScript: string | undefined,
  ctx: HostContext,
): Promise<PreparedHomes> {
  const codexRun = agent === 'codex';
  if (!codexRun && options.config !== undefined) {
    const where = AGENTS[agent].hostConfig;
    throw new UsageError(
      `--config names Codex's config.toml: ${AGENTS[agent].title} reads its settings from ~/${where.home}` +
        `${where.env === undefined ? '' : ` (or ${where.env})`}; drop --config`,
    );
  }
  const { workdir, envDir, sessionsDir, trees } = places;
  const codex = await inspectCodexHome({
    workdir,
    envDir,
    sessionsDir,
    trees,
    configFlag: options.config,
    ...(codexRun ? { authFlag: options.authFile } : {}),
    initScript,
    ctx,
    codexFiles: codexRun,
  });
  const actions = planCodexHome(codex.facts);
  if (codexRun) {
    return { codex, actions, contents: codex.contents, warnings: codex.warnings, defaults: agentDefaultLayer(agent, false), secretEnv: {} };
  }
  const home = await inspectAgentHome({
    agent,
    envDir,
    trees,
    ...(options.authFile === undefined ? {} : { authFlag: options.authFile }),
    ctx,
  });
  const contents = new Map([...codex.contents, ...home.contents]);
  return {
    codex,
    actions: [...actions, ...planAgentHome(home.facts)],
    contents,
    warnings: [...codex.warnings, ...home.warnings],
    defaults: agentDefaultLayer(agent, home.credentialFile !== undefined),
    agent: {
      id: agent,
      ...(home.credentialFile === undefined ? {} : { credentialFile: home.credentialFile }),
      passEnv: [...new Set([...home.passEnv, ...Object.keys(home.secretEnv)])],
    },
    secretEnv: home.secretEnv,
  };
}
