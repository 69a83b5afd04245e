import { findAgentId } from '../core/agents/agents.js';
import { randomBytes } from 'node:crypto';
import { chooseExecDir } from '../core/session/session-choice.js';
import { buildEnterArgs } from '../core/session/session-docker-args.js';
import { sessionCodexHome } from '../core/session/session-mounts.js';
import { runDockerAttached } from '../host/engine/docker.js';
import { takeSessionEgress } from '../host/egress/egress-log.js';
import { egressStoreDir } from '../host/egress/egress-store.js';
import type { HostContext } from '../host/host-context.js';
import { pickRunningSession } from './session-pick.js';

export interface AttachOptions {
  name?: string;
  /** CMD ARGS… after `--` (default: a login shell). */
  command: string[];
}

/** `attach [NAME] [-- CMD…]` (R44): a shell (or CMD) in a running session, as the agent user. */
export async function attachCommand(options: AttachOptions, ctx: HostContext): Promise<number> {
  const { session, cwd } = await pickRunningSession(options.name, ctx, 'attach');
  const argv = buildEnterArgs({
    container: session.container,
    tty: ctx.stdinIsTTY && ctx.stdoutIsTTY,
    workingDir: chooseExecDir(cwd, session),
    mode: 'shell',
    args: options.command,
  });
  const exitCode = await runDockerAttached(argv, { keep: true });
  // Like every run in a session, the command ends with its egress summary (R95).
  const envDir = sessionCodexHome(session);
  if (envDir !== undefined) {
    const agent = findAgentId(session.agent);
    const target = { runId: randomBytes(4).toString('hex'), store: egressStoreDir(ctx, envDir), ...(agent === undefined ? {} : { agent }) };
    await takeSessionEgress(session.container, target);
  }
  return exitCode;
}
