import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildEgress } from '../../core/egress/build-egress-args.js';
import { classifyImageContract, LABELS } from '../../core/run/container-identity.js';
import { EnvironmentError } from '../../core/errors.js';
import { DEFAULT_AGENT, type AgentId } from '../../core/agents/agents.js';
import { decideImageForAgent } from '../../core/agents/image-for-agent.js';
import { parseImageReadBack, planImageFinish, READ_BACK_SCRIPT, readImageAgents } from '../../core/image/image-labels.js';
import { buildCommandFor, describeAgents, planImageBuild, type AgentVersions, type BuildRequest } from '../../core/image/image-tags.js';
import { checkBaseImage } from './base-image-probe.js';
import { createBuildContext } from './build-context.js';
import { buildDockerImage, inspectImage, queryDocker } from './docker.js';

/** The directory holding image/Dockerfile, from the installed package (dist/ or sources). */
function findImageContext(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'image', 'Dockerfile'))) return path.join(dir, 'image');
    const parent = path.dirname(dir);
    if (parent === dir) throw new EnvironmentError('image/Dockerfile not found next to the launcher: reinstall codex-sandbox');
    dir = parent;
  }
}

/**
 * Builds the sandbox image with the requested agents (R130, R131), reads the real versions
 * back, labels and tags it (`codex-sandbox:<codex>-node<N>` for Codex alone, else
 * `codex-sandbox:<id>-<version>_…-node<N>`, and `latest` for the default variant).
 * Returns the versioned tag.
 */
export async function buildSandboxImage(request: BuildRequest, runId: string): Promise<string> {
  const plan = planImageBuild(request, runId);
  // A base other than the standard node:<N>-bookworm-slim is checked first (R189): refused in one line, nothing built.
  if (request.baseImage !== undefined) await checkBaseImage(request.baseImage, plan.agents);
  process.stderr.write(`building ${plan.temporaryTag} from ${plan.baseImage} (${describeAgents(plan.agents, request.versions)})\n`);
  // A temporary copy of the context: the agents' facts and layers from the registry, extra CAs (R86, R130).
  const context = await createBuildContext(findImageContext(), request.egress?.caPem);
  const { ok, tail } = await buildDockerImage([...plan.buildArgs, context.dir], undefined, plan.buildEnv).finally(() => context.remove());
  if (!ok) {
    throw new EnvironmentError(`image build failed: ${tail.slice(-3).join(' | ')} (full output above)`);
  }
  try {
    const output = await queryDocker(
      ['run', '--rm', '--network', 'none', '--entrypoint', 'sh', plan.temporaryTag, '-c', READ_BACK_SCRIPT],
      60000,
    );
    const finish = planImageFinish(plan, parseImageReadBack(output));
    // Labels need a new image: a metadata-only build on top of the temporary one (legacy builder).
    const labelled = await buildDockerImage(finish.labelBuildArgs, finish.dockerfile);
    if (!labelled.ok) throw new EnvironmentError(`labelling the image failed: ${labelled.tail.slice(-3).join(' | ')}`);
    process.stderr.write(`tagged ${finish.tags.join(' and ')}\n`);
    return finish.tags[0] ?? plan.temporaryTag;
  } finally {
    await queryDocker(['rmi', plan.temporaryTag]).catch(() => undefined);
  }
}

/**
 * Makes sure `image` exists, carries our entrypoint and has `agent` (R31, R134). A missing
 * or outdated sandbox image is built first (saying so), `codex-sandbox:latest` also when it
 * lacks the agent (with the agents it has plus that one); any other missing image, one
 * lacking the agent, or one without our entrypoint (it would run unfirewalled), is refused.
 * Resolves with the agents its labels name and their versions (R131): what `exec` reports,
 * without inspecting the image again.
 */
export async function ensureSandboxImage(
  image: string,
  baseImage: string | undefined,
  runId: string,
  /** Proxy and extra CAs for an automatic build (R86); read only when a build is needed. */
  loadEgress: () => Promise<BuildEgress | undefined> = async () => undefined,
  agent: AgentId = DEFAULT_AGENT,
): Promise<AgentVersions> {
  let info = await inspectImage(image);
  const decision = decideImageForAgent(image, info, agent);
  if (decision.kind === 'refuse') throw new EnvironmentError(decision.message);
  if (decision.kind === 'build') {
    process.stderr.write(`${decision.message}\n`);
    const egress = await loadEgress();
    await buildSandboxImage({ ...decision.request, baseImage, noCache: false, ...(egress === undefined ? {} : { egress }) }, runId);
    info = await inspectImage(image);
    if (!info.exists) throw new EnvironmentError(`image ${image} still missing after the build: run \`run-in-container build\``);
    if (readImageAgents(info.labels)[agent] === undefined) {
      throw new EnvironmentError(`image ${image} still has no ${agent} after the build: run \`${buildCommandFor([agent])}\``);
    }
  }
  const contract = classifyImageContract(info.labels);
  if (contract === 'outdated') {
    throw new EnvironmentError(
      `image ${image} was built for an older launcher (label ${LABELS.entrypoint}=${info.labels[LABELS.entrypoint] ?? ''}): ` +
        'its egress is not checked by name, its mounts are not checked or it cannot run other agents; ' +
        'rebuild it with `run-in-container build`',
    );
  }
  if (contract === 'foreign') {
    throw new EnvironmentError(
      `image ${image} lacks the codex-sandbox entrypoint (label ${LABELS.entrypoint}), so it would run without the firewall: ` +
        'use an image built by `run-in-container build`',
    );
  }
  return readImageAgents(info.labels);
}
