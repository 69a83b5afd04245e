import { randomBytes } from 'node:crypto';
import { validateCodexVersion, validateImageReference, validateNodeMajor } from '../core/image-tags.js';
import type { HostContext } from '../host/host-context.js';
import { buildSandboxImage } from '../host/image.js';
import { prepareBuildEgress } from './prepare-egress.js';

export interface BuildOptions {
  codexVersion?: string;
  node?: number;
  baseImage?: string;
  noCache: boolean;
  /** `--proxy` (else the host's proxy variables) and `--ca-cert` files for the build. */
  proxy?: string;
  caCerts?: string[];
}

/** `run-in-container build`: prints the versioned tag on stdout, progress on stderr. */
export async function buildCommand(options: BuildOptions, ctx: HostContext): Promise<number> {
  const baseInput = options.baseImage ?? ctx.env.SANDBOX_BASE_IMAGE;
  const request = {
    codexVersion: options.codexVersion === undefined ? undefined : validateCodexVersion(options.codexVersion),
    node: options.node === undefined ? undefined : validateNodeMajor(options.node),
    baseImage: baseInput === undefined ? undefined : validateImageReference(baseInput, '--base-image'),
    noCache: options.noCache,
  };
  const build = await prepareBuildEgress({ proxy: options.proxy, caCerts: options.caCerts ?? [] }, ctx);
  for (const message of build.messages) process.stderr.write(`${message}\n`);
  const tag = await buildSandboxImage(
    build.egress === undefined ? request : { ...request, egress: build.egress },
    randomBytes(4).toString('hex'),
  );
  process.stdout.write(`${tag}\n`);
  return 0;
}
