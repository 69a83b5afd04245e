import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { InstalledEngines } from '../../core/engine/engine.js';

/** Which engine CLIs are on PATH (R173): a stat per directory, no process started. */
export function findInstalledEngines(): InstalledEngines {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((dir) => path.isAbsolute(dir));
  const onPath = (name: string) =>
    dirs.some((dir) => {
      try {
        accessSync(path.join(dir, name), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  return { docker: onPath('docker'), podman: onPath('podman') };
}
