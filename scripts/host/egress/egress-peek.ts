import { buildEgressPeekArgs, splitPeekOutput, type PeekPosition } from '../../core/session/session-docker-args.js';
import { probeDocker } from '../engine/docker.js';

export const PEEK_TIMEOUT_MS = 15000;

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
