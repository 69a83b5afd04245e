import { UsageError } from '../core/errors.js';
import { chooseExecDir, findSession, pickDefaultSession } from '../core/session-choice.js';
import { buildEnterArgs } from '../core/session-docker-args.js';
import { validateSessionName } from '../core/session-identity.js';
import { isRunning } from '../core/session-list.js';
import { runDockerAttached } from '../host/docker.js';
import type { HostContext } from '../host/host-context.js';
import { listManagedContainers } from '../host/sessions.js';
import { randomBytes } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { sessionCodexHome } from '../core/session-mounts.js';
import { takeSessionEgress } from '../host/egress-log.js';

/** `attach [NAME] [-- CMD…]`: a shell (or CMD) in a running session, as the agent user. */
export async function attachCommand(name: string | undefined, command: readonly string[], ctx: HostContext): Promise<number> {
  if (name !== undefined) validateSessionName(name, 'attach: NAME');
  const records = await listManagedContainers();
  const cwd = await realpath(ctx.cwd).catch(() => ctx.cwd);
  const session = name === undefined ? pickDefaultSession(records, cwd, true, 'attach') : findSession(records, name);
  if (!isRunning(session)) {
    throw new UsageError(`session ${session.name} is ${session.status}: start it again with run-in-container shell --name ${session.name} --keep -- true`);
  }
  const argv = buildEnterArgs({
    container: session.container,
    tty: ctx.stdinIsTTY && ctx.stdoutIsTTY,
    workingDir: chooseExecDir(cwd, session),
    mode: 'shell',
    args: command,
  });
  const exitCode = await runDockerAttached(argv.slice(1), { keep: true });
  // Like every run in a session, the command ends with its egress summary (R95).
  const envDir = sessionCodexHome(session);
  if (envDir !== undefined) await takeSessionEgress(session.container, { envDir, runId: randomBytes(4).toString('hex') });
  return exitCode;
}
