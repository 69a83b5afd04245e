import type { AgentId } from '../agents/agents.js';
import { LABELS } from '../run/container-identity.js';
import { SESSION_READY_FILE } from './session-identity.js';
import { PS_FORMAT } from './session-list.js';

/** Every docker argv the session commands use (after `docker`), as whole arrays (never shell strings). */

const SANDBOX_ENTER = '/usr/local/bin/sandbox-enter';
const SANDBOX_EGRESS = '/usr/local/bin/sandbox-egress';

export function buildListArgs(): string[] {
  return ['ps', '-a', '--no-trunc', '--filter', `label=${LABELS.managed}=true`, '--format', PS_FORMAT];
}

export interface EnterRequest {
  container: string;
  /** `-t` only when stdin and stdout are terminals. */
  tty: boolean;
  /** Working directory inside the container (`/app<workdir>`). */
  workingDir: string;
  /** The agent to run (sandbox-enter's first word), or `shell`. */
  mode: AgentId | 'shell';
  args: readonly string[];
}

/** `docker exec` into a ready session; sandbox-enter drops to the agent like the entrypoint. */
export function buildEnterArgs(request: EnterRequest): string[] {
  const argv = ['exec', '-i'];
  if (request.tty) argv.push('-t');
  argv.push('-w', request.workingDir, request.container, SANDBOX_ENTER, request.mode, ...request.args);
  return argv;
}

/** `sandbox-egress take` as root: hands over (and removes) what the session logged since the last take (R95). */
export function buildEgressTakeArgs(container: string): string[] {
  return ['exec', '-u', '0', container, SANDBOX_EGRESS, 'take'];
}

/** Where a reader of a live sandbox's log is: the capper's file generation and the byte offset in it (R170). */
export interface PeekPosition {
  gen: number;
  offset: number;
}

/**
 * `sandbox-egress peek GEN OFFSET` as root (R170): the log from there on (complete lines, at
 * most 1 MiB, later generations following), nothing removed; its last line is `\x01POS GEN OFFSET`.
 */
export function buildEgressPeekArgs(container: string, position: PeekPosition): string[] {
  return ['exec', '-u', '0', '-w', '/', container, SANDBOX_EGRESS, 'peek', String(position.gen), String(position.offset)];
}

/** Splits a peek's output into its lines and the `\x01POS GEN OFFSET` trailer (undefined when it is missing: a broken answer). */
export function splitPeekOutput(stdout: string): { text: string; next: PeekPosition } | undefined {
  const match = /(?:^|\n)\x01POS ([0-9]{1,9}) ([0-9]{1,12})\n?$/.exec(stdout);
  if (match === null) return undefined;
  return {
    text: stdout.slice(0, match.index + (match[0].startsWith('\n') ? 1 : 0)),
    next: { gen: Number(match[1]), offset: Number(match[2]) },
  };
}

/** Readiness: the marker's mtime (nanoseconds), compared with State.StartedAt. */
export function buildReadyProbeArgs(container: string): string[] {
  return ['exec', container, 'stat', '-c', '%.9Y', SESSION_READY_FILE];
}

export function buildStateArgs(container: string): string[] {
  return ['inspect', '--type', 'container', '--format', '{{json .State}}', container];
}

export function buildStartArgs(container: string): string[] {
  return ['start', container];
}

export function buildStopArgs(containers: readonly string[]): string[] {
  return ['stop', ...containers];
}

export function buildRemoveArgs(containers: readonly string[]): string[] {
  return ['rm', '-f', ...containers];
}

export function buildLogsTailArgs(container: string, lines: number): string[] {
  return ['logs', '--tail', String(lines), container];
}

/** The agent's uid or gid inside the session (user mapping may have changed it). */
export function buildAgentIdArgs(container: string, which: 'u' | 'g'): string[] {
  return ['exec', container, 'id', `-${which}`, 'codex'];
}

/** `docker cp -a HOST CONTAINER:DIR/` (host path absolute, so never read as an option or as `-`). */
export function buildCopyInArgs(hostPath: string, container: string, containerDir: string): string[] {
  return ['cp', '-a', hostPath, `${container}:${containerDir}/`];
}

/** Hands exactly the copied paths to the agent; -h and -R without -L: symlinks are never followed. */
export function buildChownArgs(container: string, uid: number, gid: number, containerPaths: readonly string[]): string[] {
  return ['exec', container, 'chown', '-hR', `${uid}:${gid}`, '--', ...containerPaths];
}

export function buildCopyOutArgs(container: string, containerPath: string, hostDir: string): string[] {
  return ['cp', `${container}:${containerPath}`, hostDir];
}

export interface ContainerState {
  running: boolean;
  exitCode: number;
  /** RFC 3339 with nanoseconds. */
  startedAt: string;
}

/** Parses `{{json .State}}`. */
export function parseContainerState(json: string): ContainerState {
  const state = JSON.parse(json) as { Running?: boolean; ExitCode?: number; StartedAt?: string };
  return { running: state.Running === true, exitCode: state.ExitCode ?? 0, startedAt: state.StartedAt ?? '' };
}

/**
 * The marker counts only when written during the current start: the container layer
 * survives stop/start, so an old marker would let the agent in before the firewall is back.
 * Compared as decimal strings of seconds.nanoseconds, no float rounding.
 */
export function isReadyMarkerFresh(markerMtime: string, startedAt: string): boolean {
  const marker = /^(\d+)(?:\.(\d{1,9}))?$/.exec(markerMtime.trim());
  const started = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(startedAt.trim());
  if (marker === null || started === null) return false;
  const startSeconds = Date.parse(`${started[1]}Z`) / 1000;
  if (!Number.isFinite(startSeconds)) return false;
  const toNanos = (seconds: number | string, fraction: string | undefined) =>
    BigInt(seconds) * 1_000_000_000n + BigInt((fraction ?? '').padEnd(9, '0'));
  return toNanos(marker[1]!, marker[2]) >= toNanos(startSeconds, started[2]);
}
