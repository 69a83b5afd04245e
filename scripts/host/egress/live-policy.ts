import { EnvironmentError, UsageError } from '../../core/errors.js';
import {
  buildPolicyChangeArgs,
  buildPolicyShowArgs,
  parseLiveEntries,
  parsePendingNames,
  type LiveChange,
  type LiveEntry,
} from '../../core/egress/live-policy.js';
import { escapeTerminalText } from '../../core/terminal-text.js';
import { probeDocker } from '../engine/docker.js';

const POLICY_TIMEOUT_MS = 20000;

/** The last line the image printed, without its `codex-sandbox: ` prefix, escaped (it comes from inside the container). */
function lastLine(stderr: string): string {
  const line = stderr.trim().split('\n').at(-1) ?? '';
  return escapeTerminalText(line.replace(/^codex-sandbox: /, '').slice(0, 300));
}

/** Maps a failed `docker exec … sandbox-policy` to the one line the user sees (R167). */
function explainPolicyFailure(result: { exitCode: number; stderr: string }, where: string): Error {
  if (result.exitCode === 2) return new UsageError(lastLine(result.stderr));
  if (result.exitCode === 3) return new EnvironmentError(`${where} is still starting: try again in a moment`);
  if (result.exitCode === 126 || result.exitCode === 127 || /executable file not found|no such file/i.test(result.stderr))
    return new EnvironmentError(
      `${where} runs an image without a live policy (older than contract 8): start it again with a current image`,
    );
  if (/is not running/i.test(result.stderr)) return new UsageError(`${where} is not running: it has no live policy to change`);
  return new EnvironmentError(`could not change the policy of ${where}: ${lastLine(result.stderr) || `exit ${result.exitCode}`}`);
}

/** Applies a live change through the engine, as root in the container (the only control channel, R168). */
export async function applyLiveChange(change: LiveChange, where: string): Promise<void> {
  const result = await probeDocker(buildPolicyChangeArgs(change), POLICY_TIMEOUT_MS);
  if (result.exitCode !== 0) throw explainPolicyFailure(result, where);
}

/** The live changes a sandbox has now (for `approve`: decided names are not asked again). */
export async function readLiveEntries(container: string, where: string): Promise<LiveEntry[]> {
  const result = await probeDocker(buildPolicyShowArgs(container), POLICY_TIMEOUT_MS);
  if (result.exitCode !== 0) throw explainPolicyFailure(result, where);
  return parseLiveEntries(result.stdout.slice(0, 1 << 20));
}

/** The names `--ask` holds now in a sandbox, with when each hold ends (none when it does not ask, R172). */
export async function readPendingNames(container: string): Promise<Map<string, number>> {
  const result = await probeDocker(buildPolicyShowArgs(container, 'pending'), POLICY_TIMEOUT_MS);
  return result.exitCode === 0 ? parsePendingNames(result.stdout.slice(0, 1 << 20)) : new Map();
}
