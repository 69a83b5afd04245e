import { isRunning } from '../core/session/session-list.js';
import type { HostContext } from '../host/host-context.js';
import { stopContainers } from '../host/session/sessions.js';
import { pickTargets } from './session-pick.js';

export interface StopOptions {
  name?: string;
  all: boolean;
}

/** `stop [NAME] [--all]` (R44): docker stop; the session can be re-entered later (it starts again). */
export async function stopCommand(options: StopOptions, ctx: HostContext): Promise<number> {
  const targets = (await pickTargets(options, ctx, 'stop')).filter(isRunning);
  if (targets.length === 0) {
    process.stderr.write('no running session to stop\n');
    return 0;
  }
  await stopContainers(targets.map((record) => record.container));
  for (const record of targets) process.stdout.write(`${record.name}\n`);
  process.stderr.write(`stopped ${targets.length} session(s)\n`);
  return 0;
}
