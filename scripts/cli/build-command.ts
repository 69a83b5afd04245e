import { randomBytes } from 'node:crypto';
import { validateCodexVersion, validateImageReference, validateNodeMajor } from '../core/image-tags.js';
import type { HostContext } from '../host/host-context.js';
import { buildSandboxImage } from '../host/image.js';

export interface BuildOptions {
  codexVersion?: string;
  node?: number;
  baseImage?: string;
  noCache: boolean;
}

/** `run-in-container build`: prints the versioned tag on stdout, progress on stderr. */
export async function buildCommand(options: BuildOptions, ctx: HostContext): Promise<number> {
  const baseInput = options.baseImage ?? (ctx.env.SANDBOX_BASE_IMAGE || undefined);
  const tag = await buildSandboxImage(
    {
      codexVersion: options.codexVersion === undefined ? undefined : validateCodexVersion(options.codexVersion),
      node: options.node === undefined ? undefined : validateNodeMajor(options.node),
      baseImage: baseInput === undefined ? undefined : validateImageReference(baseInput, '--base-image'),
      noCache: options.noCache,
    },
    randomBytes(4).toString('hex'),
  );
  process.stdout.write(`${tag}\n`);
  return 0;
}
