import { probeDocker } from './docker.js';

/** Where a reader of a live sandbox's log is: the capper's file generation and the byte offset in it (R170). */
export interface PeekPosition {
  gen: number;
  offset: number;
}

export const PEEK_START: PeekPosition = { gen: 0, offset: 0 };
const PEEK_TIMEOUT_MS = 15000;

/** `docker exec -u 0 -w / C sandbox-egress peek GEN OFFSET`: the log from there, nothing removed. */
export function buildEgressPeekArgs(container: string, position: PeekPosition): string[] {
  return ['exec', '-u', '0', '-w', '/', container, '/usr/local/bin/sandbox-egress', 'peek', String(position.gen), String(position.offset)];
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

/**
 * One peek (at most 1 MiB of complete lines). `gone`: the container is not running any more;
 * `nolog`: it keeps no log (exit 3).
 */
export async function peekEgressLog(
  container: string,
  position: PeekPosition,
): Promise<{ text: string; next: PeekPosition } | 'gone' | 'nolog'> {
  const result = await probeDocker(buildEgressPeekArgs(container, position), PEEK_TIMEOUT_MS);
  if (result.exitCode === 3) return 'nolog';
  if (result.exitCode !== 0) return 'gone';
  return splitPeekOutput(result.stdout.slice(0, 2 << 20)) ?? 'gone';
}
