import { AGENT_IDS, type AgentId } from '../agents/agents.js';
import { LABELS } from '../run/container-identity.js';
import { EnvironmentError } from '../errors.js';
import {
  DEFAULT_IMAGE,
  formatSandboxTag,
  IMAGE_REPOSITORY,
  isAgentVersion,
  type AgentVersions,
  type ImageBuildPlan,
} from './image-tags.js';

/**
 * After a build, the real versions are read back from the image (R131): the agents'
 * version files (/etc/codex-sandbox/agents/<id>, image/Dockerfile) and the base image's
 * Node. They become the tag and the labels `codex-sandbox.agent.<id>` / `codex-sandbox.node`,
 * which a second, metadata-only build (`FROM <temporary tag>` on stdin) adds.
 */
export const READ_BACK_SCRIPT =
  'for f in /etc/codex-sandbox/agents/*; do [ -f "$f" ] && printf "agent %s %s\\n" "${f##*/}" "$(head -n 1 "$f")"; done; ' +
  'printf "node %s\\n" "$(node --version)"';

export interface ImageReadBack {
  agents: AgentVersions;
  /** The base image's Node, `18.20.4` (what `-node<N>` in the tag names). */
  node: string;
}

const NODE_VERSION = /^v?([0-9]+)\.[0-9]+\.[0-9]+$/;

/** Parses the output of READ_BACK_SCRIPT; anything unexpected is a broken build. */
export function parseImageReadBack(output: string): ImageReadBack {
  const agents: AgentVersions = {};
  let node: string | undefined;
  for (const line of output.split('\n')) {
    const [kind, first, second, ...rest] = line.trim().split(/\s+/);
    if (kind === 'agent') {
      const known = (AGENT_IDS as readonly string[]).includes(first ?? '');
      if (!known || second === undefined || rest.length > 0 || !isAgentVersion(second) || second === 'latest') {
        throw new EnvironmentError(`the built image records ${first} version ${JSON.stringify([second, ...rest].join(' '))}: rebuild it`);
      }
      agents[first as AgentId] = second;
    } else if (kind === 'node' && second === undefined && NODE_VERSION.test(first ?? '')) {
      node = (first ?? '').replace(/^v/, '');
    }
  }
  if (node === undefined) throw new EnvironmentError('the built image has no working node: rebuild it');
  return { agents, node };
}

/** The base the image was built on and its variant (R193): what `update` rebuilds on. */
export const BASE_LABEL = 'codex-sandbox.base';
export const VARIANT_LABEL = 'codex-sandbox.variant';

/** `codex-sandbox.agent.<id>`: the label holding an agent's installed version. */
function agentLabel(agent: AgentId): string {
  return `${LABELS.agentPrefix}${agent}`;
}

/** The agents an image carries and their versions, from its labels (pure; absent = not in the image). */
export function readImageAgents(labels: Readonly<Record<string, string>>): AgentVersions {
  const agents: AgentVersions = {};
  for (const id of AGENT_IDS) {
    const version = labels[agentLabel(id)];
    if (version !== undefined && isAgentVersion(version) && version !== 'latest') agents[id] = version;
  }
  return agents;
}

export interface ImageFinishPlan {
  /** The versioned tag first, then `codex-sandbox:latest` when it follows this build. */
  tags: string[];
  /** `docker build` arguments of the metadata-only build (its Dockerfile comes on stdin). */
  labelBuildArgs: string[];
  dockerfile: string;
}

/** Tags and labels of a finished build; refuses a build that lacks an agent it was asked for. */
export function planImageFinish(plan: ImageBuildPlan, readBack: ImageReadBack): ImageFinishPlan {
  const missing = plan.agents.filter((id) => readBack.agents[id] === undefined);
  if (missing.length > 0) throw new EnvironmentError(`the built image lacks ${missing.join(', ')}: see the build output above`);
  const versions: AgentVersions = {};
  for (const id of plan.agents) versions[id] = readBack.agents[id];
  const nodeMajor = NODE_VERSION.exec(readBack.node)?.[1] ?? 'unknown';
  const versioned = formatSandboxTag(versions, nodeMajor);
  // A toolchain variant (R190): its own stable tag instead of `latest`.
  const tags =
    plan.variant === undefined
      ? [versioned, ...(plan.updateLatest ? [DEFAULT_IMAGE] : [])]
      : [
          // Docker allows 128 characters after the colon: three long versions and the variant may not fit.
          ...(versioned.length + plan.variant.length + 1 - IMAGE_REPOSITORY.length - 1 <= 128 ? [`${versioned}-${plan.variant}`] : []),
          `${IMAGE_REPOSITORY}:${plan.variant}`,
        ];
  const labelBuildArgs: string[] = [];
  for (const tag of tags) labelBuildArgs.push('-t', tag);
  for (const id of plan.agents) labelBuildArgs.push('--label', `${agentLabel(id)}=${versions[id]}`);
  labelBuildArgs.push('--label', `${LABELS.node}=${readBack.node}`, '--label', `${BASE_LABEL}=${plan.baseImage}`);
  if (plan.variant !== undefined) labelBuildArgs.push('--label', `${VARIANT_LABEL}=${plan.variant}`);
  labelBuildArgs.push('-');
  return { tags, labelBuildArgs, dockerfile: `FROM ${plan.temporaryTag}\n` };
}
