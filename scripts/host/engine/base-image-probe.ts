import type { AgentId } from '../../core/agents/agents.js';
import { BASE_PROBE_SCRIPT, checkBaseFacts, parseBaseProbe } from '../../core/image/base-image-check.js';
import { UsageError } from '../../core/errors.js';
import { escapeTerminalText } from '../../core/terminal-text.js';
import { probeDocker } from './docker.js';

/**
 * Before a build on a base that is not the standard one (R189): one throwaway container of
 * the base, no network, as root (what the Dockerfile's RUN steps are), reports its package
 * manager, glibc, Node and release; a base that cannot carry the image is refused in one line
 * and nothing is built. Pulling a missing base is the engine's ordinary `docker run`.
 */
export async function checkBaseImage(image: string, agents: readonly AgentId[]): Promise<void> {
  const probe = await probeDocker(
    ['run', '--rm', '--network', 'none', '--user', '0:0', '--entrypoint', 'sh', image, '-c', BASE_PROBE_SCRIPT],
    300000,
  );
  // 125: the engine could not start it at all (a base that cannot be pulled, a registry that is
  // down): the build that follows fails at FROM with the engine's own words (exit 1, R31).
  if (probe.exitCode === 125) return;
  if (probe.exitCode !== 0) {
    const why = probe.stderr.trim().split('\n').pop() ?? '';
    const reason = probe.exitCode === 127 || /executable file not found|no such file/i.test(why) ? 'has no /bin/sh' : 'cannot be run';
    throw new UsageError(`base image ${image} ${reason} (${escapeTerminalText(why.slice(0, 160))}): use a Debian bookworm based image`);
  }
  const result = checkBaseFacts(image, parseBaseProbe(probe.stdout), agents);
  if (result.message !== undefined) process.stderr.write(`${result.message}\n`);
}
