import { LABELS } from '../../core/run/container-identity.js';
import { orphanQueryFormat, parseContainerRows, selectOrphans } from '../../core/session/orphan-containers.js';
import { queryDocker } from './docker.js';
import { finishOrphanedEgressLogs } from '../egress/egress-log.js';
import type { HostContext } from '../host-context.js';
import { removeRunPrivateFiles } from '../tree/private-files.js';

/** True unless `pid` names no process (EPERM: it exists, owned by someone else). */
function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code !== 'ESRCH';
  }
}

/**
 * Backstop for launchers that died without their watchdog (see runDockerAttached):
 * removes containers this host's launchers started whose launcher process is gone.
 * One `docker ps`; never throws (the run itself reports engine problems).
 */
export async function reapOrphanContainers(hostname: string, ctx?: HostContext): Promise<void> {
  try {
    const text = await queryDocker([
      'ps',
      '-a',
      '--no-trunc',
      '--filter',
      `label=${LABELS.managed}=true`,
      '--filter',
      `label=${LABELS.launcherHost}=${hostname}`,
      '--format',
      orphanQueryFormat(),
    ]);
    const rows = parseContainerRows(text);
    // Raw egress logs of dead launchers whose containers are gone (R95).
    if (ctx !== undefined)
      await finishOrphanedEgressLogs(
        ctx,
        rows.map((row) => row.name),
      );
    if (rows.length === 0) return;
    const dead = new Set(rows.map((row) => row.launcherPid).filter((pid): pid is number => pid !== undefined && !isProcessAlive(pid)));
    const orphans = selectOrphans(rows, dead, Date.now());
    if (orphans.length === 0) return;
    await queryDocker(['rm', '-f', ...orphans.map((row) => row.id)], 20000);
    for (const row of orphans) {
      process.stderr.write(`removed container ${row.name}: its launcher (pid ${row.launcherPid}) is gone\n`);
      // A plain run's name ends with its run id: its secrets file and login copy go too (R161).
      const runId = /-([0-9a-f]{8})$/.exec(row.name)?.[1];
      if (ctx !== undefined && runId !== undefined) await removeRunPrivateFiles(ctx, runId);
    }
  } catch {
    // best effort: a broken engine is reported by the run itself
  }
}
