import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildEgress } from '../core/build-egress-args.js';
import { classifyImageContract, LABELS } from '../core/container-identity.js';
import { EnvironmentError } from '../core/errors.js';
import { planImageBuild, parseSandboxTag, type BuildRequest } from '../core/image-tags.js';
import { createCaBuildContext } from './ca-certs.js';
import { buildDockerImage, inspectImage, queryDocker } from './docker.js';

/** The directory holding image/Dockerfile, from the installed package (dist/ or sources). */
export function findImageContext(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'image', 'Dockerfile'))) return path.join(dir, 'image');
    const parent = path.dirname(dir);
    if (parent === dir) throw new EnvironmentError('image/Dockerfile not found next to the launcher: reinstall codex-sandbox');
    dir = parent;
  }
}

/** Builds the sandbox image and tags it `codex-sandbox:<codex>-node<N>` (and `latest`). Returns the versioned tag. */
export async function buildSandboxImage(request: BuildRequest, runId: string): Promise<string> {
  const plan = planImageBuild(request, runId);
  process.stderr.write(`building ${plan.temporaryTag} from ${plan.baseImage} (codex ${request.codexVersion ?? 'latest'})\n`);
  // Extra CAs go into a temporary copy of the context (R86; see image/build-certs/).
  const caPem = request.egress?.caPem;
  const caContext = caPem === undefined || caPem === '' ? undefined : await createCaBuildContext(findImageContext(), caPem);
  const { ok, tail } = await buildDockerImage([...plan.buildArgs, caContext?.dir ?? findImageContext()]).finally(() => caContext?.remove());
  if (!ok) {
    throw new EnvironmentError(`image build failed: ${tail.slice(-3).join(' | ')} (full output above)`);
  }
  const versions = await queryDocker(
    [
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'sh',
      plan.temporaryTag,
      '-c',
      'cat /etc/codex-sandbox/codex-version; node --version',
    ],
    60000,
  );
  const [codexVersion = 'unknown', nodeVersion = ''] = versions.trim().split('\n');
  const nodeMajor = /^v(\d+)/.exec(nodeVersion)?.[1] ?? 'unknown';
  const tags = [`codex-sandbox:${codexVersion.trim()}-node${nodeMajor}`];
  if (plan.updateLatest) tags.push('codex-sandbox:latest');
  for (const tag of tags) await queryDocker(['tag', plan.temporaryTag, tag]);
  await queryDocker(['rmi', plan.temporaryTag]);
  process.stderr.write(`tagged ${tags.join(' and ')}\n`);
  return tags[0] ?? plan.temporaryTag;
}

/**
 * Makes sure `image` exists and carries our entrypoint. A missing sandbox image is
 * built first (saying so); any other missing image, or one without our entrypoint
 * (it would run unfirewalled), is refused.
 */
export async function ensureSandboxImage(
  image: string,
  baseImage: string | undefined,
  runId: string,
  /** Proxy and extra CAs for an automatic build (R86); read only when a build is needed. */
  loadEgress: () => Promise<BuildEgress | undefined> = async () => undefined,
): Promise<void> {
  let info = await inspectImage(image);
  const tag = parseSandboxTag(image);
  const outdated = info.exists && classifyImageContract(info.labels) === 'outdated';
  if (!info.exists || (outdated && tag !== undefined)) {
    if (tag === undefined) {
      throw new EnvironmentError(`image ${image} not found: build it with \`run-in-container build\` or pull it`);
    }
    process.stderr.write(
      outdated
        ? `image ${image} predates this launcher's entrypoint (name-checked egress, mount checks): ` +
            'rebuilding it first (one-time, a few minutes)\n'
        : `image ${image} not found: building it first (one-time, a few minutes)\n`,
    );
    const egress = await loadEgress();
    await buildSandboxImage({ ...tag, baseImage, noCache: false, ...(egress === undefined ? {} : { egress }) }, runId);
    info = await inspectImage(image);
    if (!info.exists) throw new EnvironmentError(`image ${image} still missing after the build: run \`run-in-container build\``);
  }
  const contract = classifyImageContract(info.labels);
  if (contract === 'outdated') {
    throw new EnvironmentError(
      `image ${image} was built for an older launcher (label ${LABELS.entrypoint}=${info.labels[LABELS.entrypoint] ?? ''}): ` +
        'its egress is not checked by name or its mounts are not checked; rebuild it with `run-in-container build`',
    );
  }
  if (contract === 'foreign') {
    throw new EnvironmentError(
      `image ${image} lacks the codex-sandbox entrypoint (label ${LABELS.entrypoint}), so it would run without the firewall: ` +
        'use an image built by `run-in-container build`',
    );
  }
}
