import { randomBytes } from 'node:crypto';
import { AGENT_IDS, AGENTS, parseAgentList, type AgentId } from '../core/agents/agents.js';
import { UsageError } from '../core/errors.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import {
  DEFAULT_BUILD_AGENTS,
  IMAGE_REPOSITORY,
  validateAgentVersion,
  validateNodeMajor,
  type AgentVersions,
  type BuildRequest,
} from '../core/image/image-tags.js';
import type { HostContext } from '../host/host-context.js';
import { buildSandboxImage } from '../host/engine/image.js';
import { buildDevcontainerBase } from '../host/engine/base-build.js';
import { readDevcontainer, toolchainVariant } from '../host/devcontainer-file.js';
import { chooseBuildBase, refuseTwoBases } from './build-base.js';
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
  /** `--from-devcontainer [DIR]` ('' = the current directory): the project's toolchain image (R187). */
  fromDevcontainer?: string;
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
  refuseTwoBases(options.baseImage, options.fromDevcontainer);
  const request: BuildRequest = {
    ...readAgentChoice(options),
    node: options.node === undefined ? undefined : validateNodeMajor(options.node),
    noCache: options.noCache,
  };
  // Everything in the devcontainer file is checked before anything is built (R188).
  const devcontainer = options.fromDevcontainer === undefined ? undefined : await readDevcontainer(options.fromDevcontainer, ctx.cwd);
  for (const warning of devcontainer?.warnings ?? []) process.stderr.write(`warning: ${escapeTerminalText(warning)}\n`);
  const chosen = devcontainer === undefined ? await chooseBuildBase(options.baseImage, ctx) : undefined;
  // `build` has no workdir: no tree an agent of this command writes.
  const build = await prepareBuildEgress({ proxy: options.proxy, caCerts: options.caCerts ?? [] }, ctx, []);
  for (const message of build.messages) process.stderr.write(`${message}\n`);
  if (chosen?.image !== undefined && chosen.source !== '--base-image')
    process.stderr.write(`base image ${chosen.image} (from ${chosen.source})\n`);
  const baseImage = devcontainer === undefined ? chosen?.image : await buildDevcontainerBase(devcontainer, build.egress);
  const variant = devcontainer === undefined ? {} : { variant: toolchainVariant(devcontainer.dir) };
  const tag = await buildSandboxImage(
    {
      ...request,
      ...(baseImage === undefined ? {} : { baseImage }),
      ...variant,
      ...(build.egress === undefined ? {} : { egress: build.egress }),
    },
    randomBytes(4).toString('hex'),
  );
  if (devcontainer !== undefined) {
    const stable = `${IMAGE_REPOSITORY}:${variant.variant ?? ''}`;
    process.stderr.write(`run it with --image ${stable}, or put "[run] image = ${stable}" in the project's .codex/sandbox.ini\n`);
  }
  process.stdout.write(`${tag}\n`);
  return 0;
}
