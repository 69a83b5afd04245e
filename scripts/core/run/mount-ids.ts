import type { Mount } from './mount-spec.js';

/**
 * Which file or directory each bind mount must show (R103). The launcher records the
 * (st_dev, st_ino) of every mount source right before `docker run`, opened without
 * following links inside the trees the agent can write; the entrypoint's first step
 * compares them with what is really mounted at each target (image/lib-mounts.sh) and stops
 * with exit 71 on any difference, so a source the agent swapped for a symlink after the
 * check (docker resolves sources again, on every `docker start` too) never reaches the agent.
 */
export interface MountIdentity {
  /** Decimal st_dev and st_ino (as strings: they may exceed 2^53). */
  dev: string;
  ino: string;
  kind: 'file' | 'dir';
}

/** The environment variable that carries them to the entrypoint. */
export const MOUNT_IDS_ENV = 'SANDBOX_MOUNT_IDS';

/** A mount target escaped the way /proc/self/mountinfo prints it: space, tab, newline, backslash as \ooo. */
export function encodeMountPath(target: string): string {
  return target.replace(/[ \t\n\\]/g, (character) => `\\${character.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/**
 * One line per mount, in mount order: `DEV:INO f|d ENCODED_TARGET`. A source that does not
 * exist (a dry run, before the launcher creates it) gets `0:0`, which never matches.
 */
export function formatMountIds(mounts: readonly Mount[], ids: ReadonlyMap<string, MountIdentity>): string {
  return mounts
    .map((mount) => {
      const id = ids.get(mount.target);
      const kind = id?.kind === 'file' ? 'f' : 'd';
      return `${id?.dev ?? '0'}:${id?.ino ?? '0'} ${kind} ${encodeMountPath(mount.target)}`;
    })
    .join('\n');
}
