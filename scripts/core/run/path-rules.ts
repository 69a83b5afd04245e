import path from 'node:path';

/** True when `child` is `parent` itself or below it (both absolute, already resolved). */
export function isSameOrInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** True when `child` is strictly below `parent`. */
export function isStrictlyInside(parent: string, child: string): boolean {
  return parent !== child && isSameOrInside(parent, child);
}

/**
 * Mounting the home directory (or one of its ancestors) writable would hand the agent
 * ~/.ssh, shell start-up files and every credential there: it needs explicit consent.
 */
export function exposesHome(workdir: string, home: string | undefined): boolean {
  return home !== undefined && home !== '' && isSameOrInside(workdir, home);
}
