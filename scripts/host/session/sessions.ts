import { askYesNo } from '../confirm.js';
import { AbortError, EnvironmentError, SandboxError, UsageError } from '../../core/errors.js';
import {
  buildAgentIdArgs,
  buildListArgs,
  buildLogsTailArgs,
  buildReadyProbeArgs,
  buildRemoveArgs,
  buildStartArgs,
  buildStateArgs,
  buildStopArgs,
  isReadyMarkerFresh,
  parseContainerState,
  type ContainerState,
} from '../../core/session/session-docker-args.js';
import { parsePsOutput, type SessionRecord } from '../../core/session/session-list.js';
import { escapeTerminalText } from '../../core/terminal-text.js';
import { probeDocker, queryDocker } from '../engine/docker.js';

/** Session effects: every container is found by its labels (never by parsing names). */

const docker = (argv: readonly string[], timeoutMs?: number) => queryDocker(argv, timeoutMs);

/** Every container labelled codex-sandbox.managed=true, sessions or not. */
export async function listManagedContainers(): Promise<SessionRecord[]> {
  return parsePsOutput(await docker(buildListArgs(), 20000));
}

export async function readContainerState(container: string): Promise<ContainerState> {
  return parseContainerState(await docker(buildStateArgs(container)));
}

export async function startContainer(container: string): Promise<void> {
  await docker(buildStartArgs(container), 60000);
}

export async function stopContainers(containers: readonly string[]): Promise<void> {
  if (containers.length > 0) await docker(buildStopArgs(containers), 120000);
}

export async function removeContainers(containers: readonly string[]): Promise<void> {
  if (containers.length > 0) await docker(buildRemoveArgs(containers), 120000);
}

/** The agent's uid/gid inside a running session. */
export async function readAgentIds(container: string): Promise<{ uid: number; gid: number }> {
  const read = async (which: 'u' | 'g') => {
    const text = (await docker(buildAgentIdArgs(container, which))).trim();
    if (!/^[0-9]+$/.test(text))
      throw new EnvironmentError(`could not read the agent's ${which}id in ${container}: is it a codex-sandbox session?`);
    return Number(text);
  };
  return { uid: await read('u'), gid: await read('g') };
}

const POLL_MS = 150;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the session's entrypoint finished setup in its current start (firewall,
 * user, init hook): the readiness marker exists and is newer than State.StartedAt.
 * A container that exits first is an error carrying its exit code and last log lines.
 * Ctrl-C while waiting: `onInterrupt` runs (e.g. removes a container just created).
 */
export async function waitForSessionReady(container: string, onInterrupt: () => Promise<void>): Promise<void> {
  let interrupted = false;
  const handler = () => {
    interrupted = true;
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, handler);
  let told = false;
  const started = Date.now();
  try {
    for (;;) {
      if (interrupted) {
        await onInterrupt();
        throw new AbortError(`interrupted while session ${container} was being set up`);
      }
      const state = await readContainerState(container);
      if (!state.running) throw await explainSetupExit(container, state.exitCode);
      const probe = await probeDocker(buildReadyProbeArgs(container));
      if (probe.exitCode === 0 && isReadyMarkerFresh(probe.stdout, state.startedAt)) return;
      if (!told && Date.now() - started > 3000) {
        process.stderr.write(`waiting for session ${container} to finish its setup (firewall, init hook)…\n`);
        told = true;
      }
      await sleep(POLL_MS);
    }
  } finally {
    for (const signal of signals) process.off(signal, handler);
  }
}

/** The exit code a failed setup hands back, with the container's last log lines on stderr. */
export class SessionSetupError extends SandboxError {
  constructor(message: string, containerExitCode: number) {
    super(message, containerExitCode === 0 ? 1 : containerExitCode);
  }
}

async function explainSetupExit(container: string, exitCode: number): Promise<SessionSetupError> {
  const logs = await probeDocker(buildLogsTailArgs(container, 15)).catch(() => ({ stdout: '', stderr: '' }));
  const lines = `${logs.stdout}\n${logs.stderr}`.split('\n').filter((line) => line.trim() !== '');
  // The container's output: the init hook and the agent chose it (R100).
  for (const line of lines) process.stderr.write(`  | ${escapeTerminalText(line.slice(0, 2000))}\n`);
  const last = (lines.filter((line) => line.startsWith('codex-sandbox:')).pop() ?? lines.pop() ?? 'no output').slice(0, 2000);
  return new SessionSetupError(`session ${container} stopped during setup (exit ${exitCode}): ${last}`, exitCode);
}

/**
 * destroy: removing more than one asks first ([y/N] on stderr) unless --force;
 * without a terminal and without --force it refuses.
 */
export async function confirmRemoval(names: readonly string[], options: { force: boolean; interactive: boolean }): Promise<void> {
  if (names.length <= 1 || options.force) return;
  if (!options.interactive) {
    throw new UsageError(`refusing to destroy ${names.length} sessions (${names.join(', ')}) without confirmation: rerun with --force`);
  }
  if (!(await askYesNo(`Destroy ${names.length} sessions (${names.join(', ')})?`)))
    throw new AbortError('not confirmed: nothing was removed');
}
