import { agentIdOf } from '../core/run/assemble-run-plan.js';
import { UsageError } from '../core/errors.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import { buildDockerRunArgs, type RunPlan } from '../core/run/run-plan.js';
import { chooseExecDir, listSessionNames } from '../core/session/session-choice.js';
import { buildEnterArgs } from '../core/session/session-docker-args.js';
import { pickParallelName, SESSION_LABELS } from '../core/session/session-identity.js';
import { isRunning, type SessionRecord } from '../core/session/session-list.js';
import { compareMountSets, describeMountDiff } from '../core/session/session-mounts.js';
import { queryDocker, runDockerAttached } from '../host/engine/docker.js';
import { takeSessionEgress } from '../host/egress/egress-log.js';
import { writeBackLogin } from './login-writeback.js';
import { egressStoreDir } from '../host/egress/egress-store.js';
import type { HostContext } from '../host/host-context.js';
import { removeRunPrivateFiles } from '../host/tree/private-files.js';
import {
  listManagedContainers,
  removeContainers,
  SessionSetupError,
  startContainer,
  waitForSessionReady,
} from '../host/session/sessions.js';
import type { EgressOutcome } from '../host/egress/egress-log.js';
import { replanRun, type PreparedRun } from './prepare-run.js';

const say = (line: string) => process.stderr.write(`${escapeTerminalText(line)}\n`);

/**
 * `--name NAME`: find the session by its label; create it (detached, SANDBOX_COMMAND=session)
 * or re-enter it, wait until its setup is done, then run the agent (or the shell command)
 * with `docker exec … sandbox-enter`. A session this run created without --keep is removed
 * afterwards; one that existed before is never removed by a run (R41, R42). Resolves with the
 * command's exit code and the egress record of that command (R95).
 */
export async function runSession(
  prepared: PreparedRun,
  ctx: Pick<HostContext, 'env' | 'home' | 'uid'>,
): Promise<{ exitCode: number; egress: EgressOutcome; kept: boolean }> {
  const { session } = prepared.resolved;
  if (session === undefined) throw new Error('runSession: the plan has no session');
  const records = await listManagedContainers();
  const existing = records.find((record) => record.name === session.name);
  let reentered: SessionRecord | undefined;
  let plan: RunPlan = prepared.plan;
  if (existing !== undefined && session.replace) {
    say(`replacing session ${session.name}: removing ${existing.container}`);
    await removeContainers([existing.container]);
    await removeRunPrivateFiles(ctx, existing.runId);
  } else if (session.parallel) {
    const name = pickParallelName(session.name, listSessionNames(records));
    // Same mounts, another name: the pinned identities stay valid (R103).
    if (name !== session.name) plan = replanRun(prepared, { ...prepared.resolved, session: { ...session, name } }).plan;
  } else if (existing !== undefined) {
    reentered = existing;
  }

  const container = reentered?.container ?? plan.containerName;
  const name = reentered?.name ?? sessionNameOf(plan);
  if (reentered === undefined) {
    await createSession(plan, name);
  } else {
    await reenterSession(reentered, prepared, session.strictMounts);
  }

  const removeAfter = reentered === undefined && !session.keep;
  const argv = buildEnterArgs({
    container,
    tty: prepared.resolved.tty,
    workingDir: reentered === undefined ? plan.workingDir : chooseExecDir(prepared.resolved.workdir, reentered),
    mode: prepared.resolved.command === 'shell' ? 'shell' : agentIdOf(prepared.resolved),
    args: prepared.resolved.args,
  });
  try {
    const exitCode = await runDockerAttached(argv, removeAfter ? { containerName: container } : { keep: true });
    // Every command in a session ends with its egress summary; nothing raw stays (R95).
    const { envDir, runId } = prepared.resolved;
    const appendTo = prepared.resolved.egressAppendFile;
    const target = { runId, store: egressStoreDir(ctx, envDir), agent: prepared.resolved.agent.id, ...(appendTo ? { appendTo } : {}) };
    const egress = await takeSessionEgress(container, target);
    // `sandbox-egress take` handed back what the proxy rotated (R164).
    await writeBackLogin(prepared, reentered?.runId ?? runId);
    // The credentials of a session this run created stay while it does (R161); a re-entered one has its own.
    return { exitCode, egress, kept: reentered === undefined && !removeAfter };
  } finally {
    if (removeAfter) await removeContainers([container]).catch(() => undefined);
    else say(`session ${name} is still running: run-in-container attach ${name} | stop ${name} | destroy ${name}`);
  }
}

function sessionNameOf(plan: RunPlan): string {
  return plan.labels.find(([key]) => key === SESSION_LABELS.session)?.[1] ?? plan.containerName;
}

async function createSession(plan: RunPlan, name: string): Promise<void> {
  say(`starting session ${name} (container ${plan.containerName})`);
  await queryDocker(buildDockerRunArgs(plan), 120000);
  const remove = () => removeContainers([plan.containerName]).catch(() => undefined);
  try {
    await waitForSessionReady(plan.containerName, remove);
  } catch (error) {
    // A session that never finished its setup is of no use: nothing is left behind.
    if (error instanceof SessionSetupError) await remove();
    throw error;
  }
}

async function reenterSession(record: SessionRecord, prepared: PreparedRun, strict: boolean): Promise<void> {
  const agent = agentIdOf(prepared.resolved);
  if (prepared.resolved.command !== 'shell' && record.agent !== agent) {
    // Its homes, login and allowlist were set up for that agent when it was created (R120).
    throw new UsageError(
      `session ${record.name} runs ${record.agent}: use --agent ${record.agent}, or add --replace to recreate it for ${agent}`,
    );
  }
  const diff = compareMountSets(record.mounts, prepared.plan.mounts);
  if (!diff.same) {
    if (strict) {
      throw new UsageError(
        `session ${record.name} has other mounts (${describeMountDiff(diff)}): ` +
          'drop --strict-mounts to use it anyway, or add --replace to recreate it',
      );
    }
    say(
      `warning: session ${record.name} has other mounts than asked for (${describeMountDiff(diff)}); ` +
        'using it as it is (--replace recreates it)',
    );
  }
  say(`re-entering session ${record.name}`);
  if (!isRunning(record)) {
    say(`session ${record.name} is ${record.status}: starting it (the firewall is set up again)`);
    await startContainer(record.container);
    await waitForSessionReady(record.container, async () => undefined);
  }
}
