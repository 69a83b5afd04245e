import { UsageError } from '../errors.js';
import type { AgentSpec } from './agent-spec.js';
import { CLAUDE } from './claude.js';
import { CODEX } from './codex.js';
import { COPILOT } from './copilot.js';
import { GEMINI } from './gemini.js';
import { OPENCODE } from './opencode.js';

export type { AgentSpec, SecretHosts } from './agent-spec.js';

/**
 * The registry of agents (R120-R123): everything the launcher and the image need to know
 * about one agent CLI, as plain data, one file per agent in this folder. Adding an agent is
 * its file, its id here and its docs (ARCHITECTURE.md, "Adding an agent"); the flows read
 * this table and never name an agent themselves.
 */
export const AGENT_IDS = ['codex', 'claude', 'gemini', 'copilot', 'opencode'] as const;
export type AgentId = (typeof AGENT_IDS)[number];
export const DEFAULT_AGENT: AgentId = 'codex';

export const AGENTS: Readonly<Record<AgentId, AgentSpec>> = {
  codex: CODEX,
  claude: CLAUDE,
  gemini: GEMINI,
  copilot: COPILOT,
  opencode: OPENCODE,
};

/** A registry id as found in data (a label, a record), or undefined. */
export function findAgentId(value: string | undefined): AgentId | undefined {
  return AGENT_IDS.find((id) => id === value);
}

/** `--agent NAME` / `[run] agent = NAME`: one of the registry's ids. */
export function parseAgentId(value: string, source: string): AgentId {
  const id = value.trim().toLowerCase();
  if ((AGENT_IDS as readonly string[]).includes(id)) return id as AgentId;
  throw new UsageError(`${source} ${JSON.stringify(value)} is not an agent: use ${AGENT_IDS.join(', ')}`);
}

/** `build --agents codex,claude`: known ids, each once, in registry order. */
export function parseAgentList(value: string, source = '--agents'): AgentId[] {
  const ids = value
    .split(/[\s,]+/)
    .filter((part) => part !== '')
    .map((part) => parseAgentId(part, source));
  if (ids.length === 0) throw new UsageError(`${source} is empty: name at least one of ${AGENT_IDS.join(', ')}`);
  return AGENT_IDS.filter((id) => ids.includes(id));
}

/**
 * The headless argv of `exec` (R50, R126) from the agent's template (AgentSpec.headless): the
 * user's flags where '{args}' stands, the prompt and the last-message file inside elements.
 */
export function buildHeadlessArgs(
  agent: AgentId,
  prompt: string,
  passThrough: readonly string[],
  lastMessagePath: string,
): { args: string[]; lastMessage: 'file' | 'stdout' } {
  const { headless } = AGENTS[agent];
  const args = headless.args.flatMap((part) =>
    part === '{args}'
      ? [...passThrough]
      : [part.replace(/\{(prompt|lastMessage)\}/g, (_all, name: string) => (name === 'prompt' ? prompt : lastMessagePath))],
  );
  return { args, lastMessage: headless.lastMessage };
}

/**
 * The agent a container names (SANDBOX_AGENT, its agent label): none for the image's default,
 * which the entrypoint starts when none is named (image/CONTRACT.md), so a default run's argv
 * is the one from before there were several agents (and older launchers read it alike).
 */
export function selectedAgent(id: AgentId): AgentId | undefined {
  return id === DEFAULT_AGENT ? undefined : id;
}

/** The agent's home in the container: the per-project home's container path, or its `homeDir` below it. */
export function agentHomeIn(codexHome: string, agent: AgentSpec): string {
  return agent.homeDir === '' ? codexHome : `${codexHome}/${agent.homeDir}`;
}

/** Its configuration directory in the container (Codex: its home). */
export function agentConfigIn(codexHome: string, agent: AgentSpec): string {
  const home = agentHomeIn(codexHome, agent);
  return agent.configDir === '' ? home : `${home}/${agent.configDir}`;
}
