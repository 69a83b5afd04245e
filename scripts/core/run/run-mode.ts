import { buildHeadlessArgs } from '../agents/agents.js';
import { agentIdOf, codexHomeInContainer, type ResolvedRun, type RunSession } from './assemble-run-plan.js';
import { lastMessagePaths } from './exec-report.js';

/** How a run is driven, as its plan carries it: the flows read these, never the options again. */
export type RunMode = Pick<ResolvedRun, 'tty' | 'session' | 'track' | 'headless'>;

/**
 * The mode from the run's flags and the terminal: `-t` only when both stdin and stdout are
 * terminals and the run is not headless (R50); a session with its switches (R41, R42); --track (R54).
 */
export function resolveRunMode(
  flags: { session?: RunSession; track?: boolean; headless?: boolean },
  terminal: { stdinIsTTY: boolean; stdoutIsTTY: boolean },
): RunMode {
  const headless = flags.headless === true;
  return {
    tty: !headless && terminal.stdinIsTTY && terminal.stdoutIsTTY,
    ...(flags.session === undefined ? {} : { session: { ...flags.session } }),
    ...(flags.track === true ? { track: true } : {}),
    ...(headless ? { headless: true } : {}),
  };
}

/**
 * `exec`'s run (R50, R126): the agent's headless mode with the report's prompt and flags, never
 * -t, and no tracking of its own: --track is the report's (its changes are listed in summary.md).
 * With where that mode leaves the final message.
 */
export function planHeadlessRun(
  run: ResolvedRun,
  prompt: string,
  passThrough: readonly string[],
): { run: ResolvedRun; lastMessage: 'file' | 'stdout' } {
  const { args, lastMessage } = buildHeadlessArgs(
    agentIdOf(run),
    prompt,
    passThrough,
    lastMessagePaths(run.runId, codexHomeInContainer(run)).container,
  );
  return { run: { ...run, tty: false, headless: true, track: false, args }, lastMessage };
}
