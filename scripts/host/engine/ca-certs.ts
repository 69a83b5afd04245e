import { splitList } from '../../core/split-list.js';
import { UsageError } from '../../core/errors.js';
import { READ_LIMITS } from '../../core/read-limits.js';
import type { HostContext } from '../host-context.js';
import { readInputFile } from '../tree/input-path.js';

const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----';

export interface CaCertificates {
  /** Resolved paths of readable PEM certificate files, deduplicated, in the order given. */
  files: string[];
  /** Their contents, concatenated (for `build`). */
  pem: string;
  warnings: string[];
}

/**
 * Extra CA certificates: `--ca-cert FILE` (repeatable), then SANDBOX_CA_CERTS, then the
 * host's NODE_EXTRA_CA_CERTS. Each must be a readable PEM certificate file; an unusable
 * NODE_EXTRA_CA_CERTS is only a warning (it was not given to us on purpose).
 */
export async function findCaCertificates(flags: readonly string[], ctx: HostContext, trees: readonly string[]): Promise<CaCertificates> {
  const inputs: Array<{ path: string; what: string; optional: boolean }> = [
    ...flags.map((file) => ({ path: file, what: '--ca-cert', optional: false })),
    ...splitList(ctx.env.SANDBOX_CA_CERTS, /[:,]/).map((file) => ({ path: file, what: 'SANDBOX_CA_CERTS', optional: false })),
  ];
  const nodeExtra = ctx.env.NODE_EXTRA_CA_CERTS;
  if (nodeExtra !== undefined) inputs.push({ path: nodeExtra, what: 'NODE_EXTRA_CA_CERTS', optional: true });

  const files: string[] = [];
  const contents: string[] = [];
  const warnings: string[] = [];
  for (const input of inputs) {
    try {
      // A CA file may lie in a tree the agent can write: resolved beneath it, read capped (R102, R109).
      const { physical: file, bytes } = await readInputFile(input.path, ctx.cwd, input.what, trees, READ_LIMITS.caCert);
      const text = bytes.toString('utf8');
      if (!text.includes(PEM_CERTIFICATE)) {
        throw new UsageError(
          `${input.what} ${JSON.stringify(input.path)} is not a PEM certificate (no ${PEM_CERTIFICATE} line): give the CA in PEM form`,
        );
      }
      if (files.includes(file)) continue;
      files.push(file);
      contents.push(text.endsWith('\n') ? text : `${text}\n`);
    } catch (error) {
      if (!input.optional || !(error instanceof UsageError)) throw error;
      warnings.push(`ignoring ${error.message}`);
    }
  }
  return { files, pem: contents.join(''), warnings };
}
