import { formatPolicyChange } from '../core/egress/egress-changes.js';
import { parseLiveChunk, startLiveLog, type LiveLogState } from '../core/egress/egress-live.js';
import { eventToSchemaLine, formatSchemaLines, policyToSchemaLine } from '../core/egress/egress-schema.js';
import { formatLiveEvent } from '../core/egress/egress-text.js';
import { EnvironmentError } from '../core/errors.js';
import { describeLiveTarget } from '../core/egress/live-target-choice.js';
import { buildEgressPeekArgs, buildStateArgs, parseContainerState, splitPeekOutput } from '../core/session/session-docker-args.js';
import type { SessionRecord } from '../core/session/session-list.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import { queryDocker } from '../host/engine/docker.js';
import { PEEK_TIMEOUT_MS } from '../host/egress/egress-peek.js';
import type { HostContext } from '../host/host-context.js';
import { pickLiveTarget, type LiveTargetSelector } from './live-target.js';

export interface EgressFollowOptions {
  selector: LiveTargetSelector;
  json: boolean;
}

/** What the loop needs from the outside, replaceable in tests. */
export interface FollowDeps {
  /** Runs docker and resolves with its stdout; throws when it fails (queryDocker). */
  query: (args: readonly string[], timeoutMs: number) => Promise<string>;
  /** Whether the container still runs (after a failed peek: gone, or a real failure). */
  isRunning: (container: string) => Promise<boolean>;
  write: (text: string) => void;
  /** Progress and the last line (stderr). */
  say: (line: string) => void;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  now: () => Date;
}

const FOLLOW_POLL_MS = 500;
/** A peek is at most 1 MiB of lines (the image's bound); more from docker is not read. */
const PEEK_MAX_CHARS = (1 << 20) + 64;

const sleepFor = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

async function containerRuns(container: string): Promise<boolean> {
  try {
    return parseContainerState(await queryDocker(buildStateArgs(container))).running;
  } catch {
    return false;
  }
}

const DEFAULT_DEPS: FollowDeps = {
  query: queryDocker,
  isRunning: containerRuns,
  write: (text) => process.stdout.write(text),
  say: (line) => process.stderr.write(`${line}\n`),
  sleep: sleepFor,
  now: () => new Date(),
};

/** The lines of one peek's text: each event and policy change, human (escaped) or as schema-v1 JSON. */
function renderChunk(text: string, state: LiveLogState, target: SessionRecord, json: boolean, now: Date): string {
  const parsed = parseLiveChunk(text, state, now);
  if (json)
    return formatSchemaLines([
      ...parsed.events.map((event) => eventToSchemaLine(event, target.runId)),
      ...(parsed.changes ?? []).map((change) => policyToSchemaLine(change, target.runId)),
    ]);
  const shown = [...parsed.events.map(formatLiveEvent), ...(parsed.changes ?? []).map(formatPolicyChange)];
  return shown.map((line) => `${escapeTerminalText(line)}\n`).join('');
}

/**
 * The loop of `egress --follow` (R170): every 500 ms `sandbox-egress peek` from where the last
 * one ended, each new event printed as it arrives; read-only (nothing is taken). Ends with 0
 * when the container stops (a peek fails and it no longer runs), 130 on Ctrl-C (`signal`).
 */
export async function followEgress(
  target: SessionRecord,
  json: boolean,
  signal: AbortSignal,
  deps: FollowDeps = DEFAULT_DEPS,
): Promise<number> {
  const where = escapeTerminalText(describeLiveTarget(target));
  const state = startLiveLog();
  while (!signal.aborted) {
    let output: string;
    try {
      output = await deps.query(buildEgressPeekArgs(target.container, state.position), PEEK_TIMEOUT_MS);
    } catch (error) {
      if (signal.aborted) break;
      if (!(await deps.isRunning(target.container))) {
        deps.say(`egress --follow: ${where} stopped`);
        return 0;
      }
      const why = error instanceof Error ? error.message : String(error);
      throw new EnvironmentError(`egress --follow: could not read the egress log of ${where}: ${why}`);
    }
    const peeked = splitPeekOutput(output.slice(-PEEK_MAX_CHARS));
    if (peeked === undefined) throw new EnvironmentError(`egress --follow: ${where} answered something that is not its egress log`);
    const moved = peeked.next.gen !== state.position.gen || peeked.next.offset !== state.position.offset;
    state.position = peeked.next;
    const printed = peeked.text === '' ? '' : renderChunk(peeked.text, state, target, json, deps.now());
    if (printed !== '') deps.write(printed);
    // A full peek: more is waiting, read it at once.
    if (!moved || peeked.text.length < 512 * 1024) await deps.sleep(FOLLOW_POLL_MS, signal);
  }
  return 130;
}

/** `egress --follow [RUN] [--name S] [--last] [--json]`: a live tail of a running sandbox's connections (R170). */
export async function egressFollowCommand(options: EgressFollowOptions, ctx: HostContext): Promise<number> {
  const target = await pickLiveTarget(options.selector, ctx, 'egress --follow');
  process.stderr.write(`following the egress of ${escapeTerminalText(describeLiveTarget(target))} (Ctrl-C ends)\n`);
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.on('SIGINT', interrupt);
  try {
    return await followEgress(target, options.json, controller.signal);
  } finally {
    process.removeListener('SIGINT', interrupt);
  }
}
