import { AGENT_IDS, AGENTS, DEFAULT_AGENT, type AgentId } from './agents.js';
import { classifyImageContract } from '../run/container-identity.js';
import { readImageAgents } from '../image/image-labels.js';
import { buildCommandFor, parseSandboxTag, type AgentVersions, type BuildRequest } from '../image/image-tags.js';

/** What a run needs done before it can start `agent` in `image` (R31, R134). */
export type ImageDecision =
  /** Nothing to build: later checks (entrypoint contract) still apply. */
  | { kind: 'use' }
  /** Build first; `message` is the progress line, `request` the build. */
  | { kind: 'build'; message: string; request: Pick<BuildRequest, 'agents' | 'versions' | 'node'> }
  /** Refuse with this one line. */
  | { kind: 'refuse'; message: string };

const ONE_TIME = '(one-time, a few minutes)';
const OUTDATED = "predates this launcher's entrypoint (name-checked egress, mount checks, agents): rebuilding it first";

function listIds(agents: readonly AgentId[]): string {
  return agents.join(', ');
}

/**
 * `codex-sandbox:latest` follows what users run: a missing or outdated one is built, and
 * one that lacks the agent is rebuilt with the agents it has (at the versions its labels
 * name) plus that agent (latest). An image from before the agent labels had the default agent (Codex) only.
 */
function decideForLatest(image: string, info: { exists: boolean; labels: Record<string, string> }, agent: AgentId): ImageDecision {
  if (!info.exists) {
    return { kind: 'build', message: `image ${image} not found: building it first ${ONE_TIME}`, request: { agents: [agent] } };
  }
  const contract = classifyImageContract(info.labels);
  if (contract === 'foreign') return { kind: 'use' };
  const versions: AgentVersions = readImageAgents(info.labels);
  const has = AGENT_IDS.filter((id) => versions[id] !== undefined);
  if (contract === 'current' && has.includes(agent)) return { kind: 'use' };
  const kept = contract === 'outdated' && has.length === 0 ? [DEFAULT_AGENT] : has;
  const agents = AGENT_IDS.filter((id) => id === agent || kept.includes(id));
  const message =
    contract === 'outdated'
      ? `image ${image} ${OUTDATED} ${ONE_TIME}`
      : `image ${image} has no ${AGENTS[agent].title}: building it with ${listIds(agents)} first ${ONE_TIME}`;
  return { kind: 'build', message, request: { agents, versions } };
}

function lacksAgent(image: string, agent: AgentId, has: readonly AgentId[]): ImageDecision {
  return {
    kind: 'refuse',
    message:
      `image ${image} has no ${AGENTS[agent].title}: build an image with it (\`${buildCommandFor([...has, agent])}\`) ` +
      'and use that, or use codex-sandbox:latest',
  };
}

/**
 * Decides from `docker image inspect` (exists + labels) alone, so the effects stay in the
 * host layer. A versioned sandbox tag is built as named when missing or outdated, provided
 * its agents include `agent`; any other image lacking the agent is refused.
 */
export function decideImageForAgent(
  image: string,
  info: { exists: boolean; labels: Record<string, string> },
  agent: AgentId,
): ImageDecision {
  const tag = parseSandboxTag(image);
  if (tag !== undefined && tag.agents === undefined) return decideForLatest(image, info, agent);
  const labelled = AGENT_IDS.filter((id) => readImageAgents(info.labels)[id] !== undefined);
  if (tag?.agents !== undefined) {
    if (!tag.agents.includes(agent)) return lacksAgent(image, agent, tag.agents);
    const contract = info.exists ? classifyImageContract(info.labels) : 'missing';
    if (contract === 'missing' || contract === 'outdated') {
      const message =
        contract === 'missing' ? `image ${image} not found: building it first ${ONE_TIME}` : `image ${image} ${OUTDATED} ${ONE_TIME}`;
      return { kind: 'build', message, request: { agents: tag.agents, versions: tag.versions ?? {}, node: tag.node } };
    }
    if (contract === 'current' && !labelled.includes(agent)) return lacksAgent(image, agent, labelled);
    return { kind: 'use' };
  }
  if (!info.exists) {
    return { kind: 'refuse', message: `image ${image} not found: build it with \`run-in-container build\` or pull it` };
  }
  if (classifyImageContract(info.labels) === 'current' && !labelled.includes(agent)) return lacksAgent(image, agent, labelled);
  return { kind: 'use' };
}
