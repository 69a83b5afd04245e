import { AGENT_IDS, DEFAULT_AGENT, type AgentId } from '../agents/agents.js';
import { listBuildEgressArgs, type BuildEgress } from '../egress/build-egress-args.js';
import { UsageError } from '../errors.js';

export const IMAGE_REPOSITORY = 'codex-sandbox';
export const DEFAULT_IMAGE = `${IMAGE_REPOSITORY}:latest`;
export const DEFAULT_NODE_MAJOR = 22;
export const SUPPORTED_NODE_MAJORS: readonly number[] = [18, 20, 22];
/** What `build` installs without `--agents` (R31). */
export const DEFAULT_BUILD_AGENTS: readonly AgentId[] = [DEFAULT_AGENT];

/** npm versions per agent; an absent entry means the registry's latest at build time. */
export type AgentVersions = Partial<Record<AgentId, string>>;

export interface BuildRequest {
  /** The agents to install, in registry order (absent: the default agent only). */
  agents?: readonly AgentId[];
  versions?: AgentVersions;
  node?: number;
  /** Overrides `node:<N>-bookworm-slim` (SANDBOX_BASE_IMAGE, --base-image). */
  baseImage?: string;
  noCache: boolean;
  /** Upstream proxy and extra CAs for the build (absent: no extra arguments). */
  egress?: BuildEgress;
  /**
   * A project's toolchain image (`toolchain-<hash>`, R190): tagged `codex-sandbox:<variant>`
   * and `codex-sandbox:<agents>-node<N>-<variant>`, never `latest`.
   */
  variant?: string;
}

export interface ImageBuildPlan {
  temporaryTag: string;
  baseImage: string;
  agents: AgentId[];
  /** `docker build` arguments before the context directory. */
  buildArgs: string[];
  /** Values of the build args passed by name (the proxy's URL, credentials included). */
  buildEnv: Record<string, string>;
  /** `codex-sandbox:latest` follows builds of the default variant only. */
  updateLatest: boolean;
  variant?: string;
}

/** What a sandbox tag says: `latest` says nothing (every field absent). */
export interface SandboxTag {
  agents?: AgentId[];
  versions?: AgentVersions;
  node?: number;
  /** The default agent's version of a tag that has one (the field from before other agents). */
  codexVersion?: string;
}

/** Short enough that three agents and `-node<N>` stay within Docker's 128 characters per tag. */
const MAX_VERSION_LENGTH = 32;
const VERSION = /^(latest|[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?)$/;
const IMAGE_REFERENCE = /^[a-z0-9][a-z0-9._/:@-]*$/i;
const DOCKER_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function isAgentVersion(version: string): boolean {
  return version.length <= MAX_VERSION_LENGTH && VERSION.test(version);
}

/** `--codex-version`, `--claude-version`, `--gemini-version`: an npm version or `latest`. */
export function validateAgentVersion(version: string, flag: string): string {
  if (!isAgentVersion(version)) {
    throw new UsageError(`${flag} ${JSON.stringify(version)} is not a version: use e.g. 0.169.0 or latest`);
  }
  return version;
}

export function validateImageReference(reference: string, what: string): string {
  if (!IMAGE_REFERENCE.test(reference) || reference.length > 255) {
    throw new UsageError(`${what} ${JSON.stringify(reference)} is not an image reference: use e.g. codex-sandbox:latest`);
  }
  return reference;
}

export function validateNodeMajor(node: number): number {
  if (!SUPPORTED_NODE_MAJORS.includes(node)) {
    throw new UsageError(`--node ${node} is not supported: use one of ${SUPPORTED_NODE_MAJORS.join(', ')}`);
  }
  return node;
}

/**
 * The tag of a built image (R131): `codex-sandbox:<version>-node<N>` for the default agent
 * alone (Codex's tags from before there were several agents), else `codex-sandbox:<id>-<version>_<id>-<version>…-node<N>`
 * in registry order. Versions never hold `_`, so the parts split back unambiguously.
 */
export function formatSandboxTag(versions: AgentVersions, nodeMajor: number | string): string {
  const agents = AGENT_IDS.filter((id) => versions[id] !== undefined);
  const alone = agents.length === 1 && agents[0] === DEFAULT_AGENT;
  const body = alone ? `${versions[DEFAULT_AGENT]}` : agents.map((id) => `${id}-${versions[id]}`).join('_');
  const tag = `${body}-node${nodeMajor}`;
  if (agents.length === 0 || !DOCKER_TAG.test(tag)) throw new UsageError(`cannot make an image tag of ${JSON.stringify(tag)}`);
  return `${IMAGE_REPOSITORY}:${tag}`;
}

/** `<id>-<version>_…` in registry order, each agent once. */
function parseAgentParts(body: string): AgentVersions | undefined {
  const versions: AgentVersions = {};
  let last = -1;
  for (const part of body.split('_')) {
    const index = AGENT_IDS.findIndex((id) => part.startsWith(`${id}-`));
    const id = AGENT_IDS[index];
    if (id === undefined || index <= last || !isAgentVersion(part.slice(id.length + 1))) return undefined;
    versions[id] = part.slice(id.length + 1);
    last = index;
  }
  return versions;
}

/** `codex-sandbox:latest`, `codex-sandbox:<codex>-node<N>` or the several-agent form: images we know how to build. */
export function parseSandboxTag(image: string): SandboxTag | undefined {
  if (image === DEFAULT_IMAGE || image === IMAGE_REPOSITORY) return {};
  const match = /^codex-sandbox:(.+)-node([0-9]{1,3})$/.exec(image);
  const body = match?.[1];
  if (match === null || body === undefined) return undefined;
  const versions: AgentVersions | undefined = isAgentVersion(body) ? { [DEFAULT_AGENT]: body } : parseAgentParts(body);
  if (versions === undefined) return undefined;
  const agents = AGENT_IDS.filter((id) => versions[id] !== undefined);
  const defaultVersion = versions[DEFAULT_AGENT];
  return { agents, versions, node: Number(match[2]), ...(defaultVersion === undefined ? {} : { codexVersion: defaultVersion }) };
}

/** The Dockerfile's build arg that pins an agent's version (image/Dockerfile, R130). */
function versionBuildArg(agent: AgentId): string {
  return `${agent.toUpperCase()}_VERSION`;
}

export function planImageBuild(request: BuildRequest, runId: string): ImageBuildPlan {
  const node = request.node ?? DEFAULT_NODE_MAJOR;
  const baseImage = request.baseImage ?? `node:${node}-bookworm-slim`;
  const temporaryTag = `${IMAGE_REPOSITORY}:build-${runId}`;
  const agents = AGENT_IDS.filter((id) => (request.agents ?? DEFAULT_BUILD_AGENTS).includes(id));
  const buildArgs = ['-t', temporaryTag, '--build-arg', `BASE_IMAGE=${baseImage}`, '--build-arg', `AGENTS=${agents.join(',')}`];
  for (const id of AGENT_IDS) buildArgs.push('--build-arg', `${versionBuildArg(id)}=${request.versions?.[id] ?? 'latest'}`);
  if (request.noCache) buildArgs.push('--no-cache');
  const egress = listBuildEgressArgs(request.egress ?? {});
  buildArgs.push(...egress.args);
  const variant = request.variant === undefined ? {} : { variant: validateVariant(request.variant) };
  const updateLatest = node === DEFAULT_NODE_MAJOR && request.variant === undefined;
  return { temporaryTag, baseImage, agents, buildArgs, buildEnv: egress.env, updateLatest, ...variant };
}

/** A variant becomes part of a tag: short, lowercase, no `_` (R190). */
export function validateVariant(variant: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(variant)) throw new UsageError(`image variant ${JSON.stringify(variant)} is not [a-z0-9-]`);
  return variant;
}

/** `codex 0.171.0, claude latest`: what a build is about to install, for the progress line. */
export function describeAgents(agents: readonly AgentId[], versions: AgentVersions = {}): string {
  return agents.map((id) => `${id} ${versions[id] ?? 'latest'}`).join(', ');
}

/** The one-line fix for an image that lacks an agent: the build command naming every agent it needs. */
export function buildCommandFor(agents: readonly AgentId[]): string {
  return `run-in-container build --agents ${AGENT_IDS.filter((id) => agents.includes(id)).join(',')}`;
}
