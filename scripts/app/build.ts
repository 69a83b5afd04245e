import { randomBytes } from 'node:crypto';
import { AGENT_IDS, AGENTS, parseAgentList, type AgentId } from '../core/agents.js';
import { UsageError } from '../core/errors.js';
import {
  DEFAULT_BUILD_AGENTS,
  validateAgentVersion,
  validateImageReference,
  validateNodeMajor,
  type AgentVersions,
  type BuildRequest,
} from '../core/image-tags.js';
import type { HostContext } from '../host/host-context.js';
import { buildSandboxImage } from '../host/image.js';
import { prepareBuildEgress } from './prepare-egress.js';

export interface BuildOptions {
  /** `--agents codex,claude,gemini` (registry ids; default codex). */
  agents?: string;
  /** `--codex-version`, `--claude-version`, `--gemini-version`. */
  versions?: Partial<Record<AgentId, string>>;
  node?: number;
  baseImage?: string;
  noCache: boolean;
  /** `--proxy` (else the host's proxy variables) and `--ca-cert` files for the build. */
  proxy?: string;
  caCerts?: string[];
}

/** The agents and their pinned versions; a version flag for an agent not being built is a mistake (R131). */
function readAgentChoice(options: BuildOptions): Pick<BuildRequest, 'agents' | 'versions'> {
  const agents = options.agents === undefined ? [...DEFAULT_BUILD_AGENTS] : parseAgentList(options.agents);
  const versions: AgentVersions = {};
  for (const id of AGENT_IDS) {
    const version = options.versions?.[id];
    if (version === undefined) continue;
    const flag = AGENTS[id].versionFlag;
    if (!agents.includes(id)) {
      throw new UsageError(
        `${flag} pins ${id}, which this build does not install: add it to --agents (e.g. --agents ${[...agents, id].join(',')})`,
      );
    }
    versions[id] = validateAgentVersion(version, flag);
  }
  return { agents, versions };
}

/** `run-in-container build`: prints the versioned tag on stdout, progress on stderr. */
export async function buildCommand(options: BuildOptions, ctx: HostContext): Promise<number> {
  const baseInput = options.baseImage ?? ctx.env.SANDBOX_BASE_IMAGE;
  const request: BuildRequest = {
    ...readAgentChoice(options),
    node: options.node === undefined ? undefined : validateNodeMajor(options.node),
    baseImage: baseInput === undefined ? undefined : validateImageReference(baseInput, '--base-image'),
    noCache: options.noCache,
  };
  // `build` has no workdir: no tree an agent of this command writes.
  const build = await prepareBuildEgress({ proxy: options.proxy, caCerts: options.caCerts ?? [] }, ctx, []);
  for (const message of build.messages) process.stderr.write(`${message}\n`);
  const tag = await buildSandboxImage(
    build.egress === undefined ? request : { ...request, egress: build.egress },
    randomBytes(4).toString('hex'),
  );
  process.stdout.write(`${tag}\n`);
  return 0;
}
