import { UsageError } from '../errors.js';
import { isStrictlyInside } from './path-rules.js';

/**
 * Several workdirs (already resolved with realpath, each checked by the workdir rules):
 * duplicates collapse (first occurrence wins, so the first stays the working directory);
 * one inside another is refused, since their mounts would overlap.
 */
export function checkWorkdirSet(workdirs: readonly string[]): string[] {
  const unique = [...new Set(workdirs)];
  for (const outer of unique) {
    const inner = unique.find((candidate) => isStrictlyInside(outer, candidate));
    if (inner !== undefined) {
      throw new UsageError(`workdir ${inner} is inside workdir ${outer}: their mounts would overlap, list only ${outer}`);
    }
  }
  if (unique.length > 1) {
    const bad = unique.find((dir) => dir.includes('\n'));
    // SANDBOX_WORKDIRS is newline-separated: such a path would be split in two.
    if (bad !== undefined)
      throw new UsageError(`workdir ${JSON.stringify(bad)} contains a newline: rename it to use it with other directories`);
  }
  return unique;
}
