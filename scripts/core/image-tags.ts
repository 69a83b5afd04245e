import { listBuildEgressArgs, type BuildEgress } from './build-egress-args.js';
import { UsageError } from './errors.js';

export const IMAGE_REPOSITORY = 'codex-sandbox';
export const DEFAULT_IMAGE = `${IMAGE_REPOSITORY}:latest`;
export const DEFAULT_NODE_MAJOR = 22;
export const SUPPORTED_NODE_MAJORS: readonly number[] = [18, 20, 22];

export interface BuildRequest {
  /** npm version of @openai/codex; undefined means latest at build time. */
  codexVersion?: string;
  node?: number;
  /** Overrides `node:<N>-bookworm-slim` (SANDBOX_BASE_IMAGE, --base-image). */
  baseImage?: string;
  noCache: boolean;
  /** Upstream proxy and extra CAs for the build (absent: no extra arguments). */
  egress?: BuildEgress;
}

export interface ImageBuildPlan {
  temporaryTag: string;
  baseImage: string;
  /** `docker build` arguments before the context directory. */
  buildArgs: string[];
  /** `codex-sandbox:latest` follows builds of the default variant only. */
  updateLatest: boolean;
}

const VERSION = /^(latest|[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?)$/;
const IMAGE_REFERENCE = /^[a-z0-9][a-z0-9._/:@-]*$/i;

export function validateCodexVersion(version: string): string {
  if (!VERSION.test(version)) {
    throw new UsageError(`--codex-version ${JSON.stringify(version)} is not a version: use e.g. 0.169.0 or latest`);
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

/** `codex-sandbox:latest` or `codex-sandbox:<version>-node<N>`: images we know how to build. */
export function parseSandboxTag(image: string): Pick<BuildRequest, 'codexVersion' | 'node'> | undefined {
  if (image === DEFAULT_IMAGE || image === IMAGE_REPOSITORY) return {};
  const match = /^codex-sandbox:(.+)-node([0-9]+)$/.exec(image);
  if (match === null || !VERSION.test(match[1] ?? '')) return undefined;
  return { codexVersion: match[1], node: Number(match[2]) };
}

export function planImageBuild(request: BuildRequest, runId: string): ImageBuildPlan {
  const node = request.node ?? DEFAULT_NODE_MAJOR;
  const baseImage = request.baseImage ?? `node:${node}-bookworm-slim`;
  const temporaryTag = `${IMAGE_REPOSITORY}:build-${runId}`;
  const buildArgs = [
    '-t',
    temporaryTag,
    '--build-arg',
    `BASE_IMAGE=${baseImage}`,
    '--build-arg',
    `CODEX_VERSION=${request.codexVersion ?? 'latest'}`,
  ];
  if (request.noCache) buildArgs.push('--no-cache');
  if (request.egress !== undefined) buildArgs.push(...listBuildEgressArgs(request.egress));
  return { temporaryTag, baseImage, buildArgs, updateLatest: node === DEFAULT_NODE_MAJOR };
}
