import { checkWorkdirSet } from '../core/run/workdir-set.js';
import type { HostContext } from './host-context.js';
import { resolveWorkdir } from './workdir.js';

/**
 * More workdirs after the first: each through the same rules as the first (realpath, not
 * `/`, inside WORKSPACE_ROOT_DIR, home needs consent); duplicates collapse, nesting is refused.
 */
export async function resolveExtraWorkdirs(
  first: string,
  inputs: readonly string[],
  ctx: HostContext,
): Promise<{ paths: string[]; exposures: string[] }> {
  const exposures: string[] = [];
  const resolved: string[] = [];
  for (const input of inputs) {
    const workdir = await resolveWorkdir(input, ctx, 'workdir');
    exposures.push(...workdir.exposures);
    resolved.push(workdir.path);
  }
  const [, ...paths] = checkWorkdirSet([first, ...resolved]);
  return { paths, exposures: [...new Set(exposures)] };
}
