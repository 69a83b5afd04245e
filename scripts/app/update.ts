import { randomBytes } from 'node:crypto';
import { AGENTS, parseAgentList, type AgentId } from '../core/agents/agents.js';
import type { BuildEgress } from '../core/egress/build-egress-args.js';
import { EnvironmentError } from '../core/errors.js';
import { readImageAgents } from '../core/image/image-labels.js';
import { DEFAULT_IMAGE, describeAgents, validateImageReference, type AgentVersions, type BuildRequest } from '../core/image/image-tags.js';
import { planImageUpdate, planUpdateBase, selectUpdateAgents } from '../core/image/image-update.js';
import { inspectImage, type ImageInfo } from '../host/engine/docker.js';
import type { HostContext } from '../host/host-context.js';
import { buildSandboxImage } from '../host/engine/image.js';
import { lookupLatestVersion } from '../host/npm-registry.js';
import { prepareBuildEgress } from './prepare-egress.js';

export interface UpdateOptions {
  /** `--agents a,b`: the agents to bring to npm's latest (default: every agent the image has). */
  agents?: string;
  /** `--image` (default codex-sandbox:latest). */
  image?: string;
  dryRun: boolean;
  proxy?: string;
  caCerts?: string[];
}

/** The effects `update` needs, replaceable in tests (a fake registry, a fake builder). */
export interface UpdateSteps {
  inspect(image: string): Promise<ImageInfo>;
  latestVersion(pkg: string, fallback: { image: string; egress?: BuildEgress }, env: NodeJS.ProcessEnv): Promise<string>;
  build(request: BuildRequest, runId: string): Promise<string>;
}

const REAL_STEPS: UpdateSteps = { inspect: inspectImage, latestVersion: lookupLatestVersion, build: buildSandboxImage };

async function findLatest(
  agents: readonly AgentId[],
  fallback: { image: string; egress?: BuildEgress },
  ctx: HostContext,
  steps: UpdateSteps,
): Promise<AgentVersions> {
  const found = await Promise.all(agents.map((id) => steps.latestVersion(AGENTS[id].npmPackage, fallback, { ...ctx.env })));
  return Object.fromEntries(agents.map((id, index) => [id, found[index]])) as AgentVersions;
}

/**
 * `run-in-container update` (R192-R194): the image's agents and versions from its labels,
 * npm's latest of each, one line per agent on stdout, and a rebuild on the same base, variant
 * and Node (every agent pinned, the newer ones to the new version) only when one is older.
 * The old image keeps its tags until the new one is tagged at the very end of the build.
 */
export async function updateCommand(options: UpdateOptions, ctx: HostContext, steps: UpdateSteps = REAL_STEPS): Promise<number> {
  const image = validateImageReference(options.image ?? DEFAULT_IMAGE, '--image');
  // Flags are checked before the engine is asked anything.
  const wanted = options.agents === undefined ? undefined : parseAgentList(options.agents);
  const info = await steps.inspect(image);
  if (!info.exists) throw new EnvironmentError(`image ${image} not found: run \`run-in-container build\` first`);
  const installed = readImageAgents(info.labels);
  const checked = selectUpdateAgents(wanted, installed, image);
  const prepared = await prepareBuildEgress({ proxy: options.proxy, caCerts: options.caCerts ?? [] }, ctx, []);
  for (const message of prepared.messages) process.stderr.write(`${message}\n`);
  const egress = prepared.egress;
  const latest = await findLatest(checked, { image, ...(egress === undefined ? {} : { egress }) }, ctx, steps);
  const plan = planImageUpdate(installed, latest, checked);
  for (const line of plan.lines) process.stdout.write(`${line}\n`);
  if (!plan.rebuild) {
    process.stdout.write('up to date\n');
    return 0;
  }
  const request: BuildRequest = {
    agents: plan.agents,
    versions: plan.versions,
    noCache: false,
    ...planUpdateBase(info.labels, ctx.env.SANDBOX_BASE_IMAGE),
    ...(egress === undefined ? {} : { egress }),
  };
  const what = `${describeAgents(plan.agents, plan.versions)}${request.baseImage === undefined ? '' : ` on ${request.baseImage}`}`;
  if (options.dryRun) {
    process.stdout.write(`would rebuild ${image} with ${what}\n`);
    return 0;
  }
  process.stderr.write(`rebuilding ${image} with ${what}\n`);
  const tag = await steps.build(request, randomBytes(4).toString('hex'));
  process.stdout.write(`${tag}\n`);
  return 0;
}
