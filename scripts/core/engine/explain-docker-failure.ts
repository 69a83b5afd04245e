import type { EngineName } from './engine.js';
import { EnvironmentError } from '../errors.js';
import { escapeTerminalText } from '../terminal-text.js';

/** Fails fast instead of hanging when the engine does not answer (e.g. a dead DOCKER_HOST). */
export const QUERY_TIMEOUT_MS = 4000;

/** What the docker CLI prints when it cannot reach an engine. */
const ENGINE_DOWN =
  /Cannot connect to the Docker daemon|Is the docker daemon running|error during connect|connection refused|no such file or directory/i;

/** Turns a failed engine call into one line that says what to do. */
export function explainDockerFailure(error: unknown, stderr: string, engine: EngineName = 'docker'): EnvironmentError {
  if (engine === 'podman') return explainPodmanFailure(error, stderr);
  const text = `${stderr} ${error instanceof Error ? error.message : ''}`;
  if (typeof error === 'object' && error !== null && (error as { code?: string }).code === 'ENOENT') {
    return new EnvironmentError('docker CLI not found: install Docker (docker.io or Docker Engine) and make sure `docker` is on PATH');
  }
  if ((error as { timedOut?: boolean } | null)?.timedOut === true) {
    return new EnvironmentError(
      `Docker engine did not answer within ${QUERY_TIMEOUT_MS / 1000} s: check that it is running and DOCKER_HOST is right`,
    );
  }
  if (/permission denied/i.test(text)) {
    return new EnvironmentError(
      'permission denied on the Docker socket: add your user to the docker group (sudo usermod -aG docker $USER, then log in again)',
    );
  }
  if (ENGINE_DOWN.test(text)) {
    return new EnvironmentError('Docker engine is not running: start it (e.g. sudo systemctl start docker) or fix DOCKER_HOST');
  }
  const firstLine = stderr.trim().split('\n').pop() ?? 'unknown error';
  return new EnvironmentError(`docker failed: ${firstLine}`);
}

/** Rootless Podman's usual set-up gaps, each with its fix (docs/engines.md, R177). */
const PODMAN_PROBLEMS: ReadonlyArray<readonly [RegExp, string]> = [
  [
    /subuid|subgid|newuidmap|newgidmap/i,
    'rootless Podman needs subordinate ids for your user: install uidmap and add them ' +
      '(sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER), then run `podman system migrate`',
  ],
  [
    /\/dev\/net\/tun/,
    "rootless Podman's network (slirp4netns) cannot open /dev/net/tun: install slirp4netns and make /dev/net/tun usable (mode 0666)",
  ],
  [/setting rlimit|setrlimit/i, "Podman could not set the container's limits: set default_ulimits in containers.conf (docs/engines.md)"],
  [
    /XDG_RUNTIME_DIR|runtime dir/i,
    'rootless Podman needs XDG_RUNTIME_DIR (a directory of your own, as a login session sets it): log in again or set it',
  ],
];

function explainPodmanFailure(error: unknown, stderr: string): EnvironmentError {
  if (typeof error === 'object' && error !== null && (error as { code?: string }).code === 'ENOENT') {
    return new EnvironmentError('podman not found: install it (e.g. sudo apt install podman uidmap slirp4netns) or use --engine docker');
  }
  if ((error as { timedOut?: boolean } | null)?.timedOut === true) {
    return new EnvironmentError(`podman did not answer within ${QUERY_TIMEOUT_MS / 1000} s: check \`podman info\``);
  }
  const text = `${stderr} ${error instanceof Error ? error.message : ''}`;
  const known = PODMAN_PROBLEMS.find(([pattern]) => pattern.test(text));
  if (known !== undefined) return new EnvironmentError(known[1]);
  const firstLine = stderr.trim().split('\n').pop() ?? 'unknown error';
  return new EnvironmentError(`podman failed: ${escapeTerminalText(firstLine.replace(/^Error: /, ''))}`);
}

/** How the docker CLI reports what the daemon (and runc under it) refused: its own form, not an agent's. */
const DAEMON_ERROR = 'docker: Error response from daemon:';

/**
 * Exit 125 is docker's own failure only when docker said so (`docker: …` on stderr); an agent
 * exiting 125 is passed through. 126/127 are also what an agent's shell exits with, and
 * without a TTY the tail holds the agent's stderr: only the daemon's refusal (runc could not
 * set up the container, say a mount source that vanished: R103) counts there, so an agent
 * printing a `docker: …` line cannot turn its own exit into a launcher error. The reason is
 * shown escaped (R100). Returns the one-line error, or undefined.
 */
export function explainRunFailure(stderr: string, exitCode = 125, engine: EngineName = 'docker'): EnvironmentError | undefined {
  if (engine === 'podman') return explainPodmanRunFailure(stderr, exitCode);
  const line = stderr
    .split('\n')
    .map((text) => text.trim())
    .filter((text) => (exitCode === 125 ? text.startsWith('docker: ') : text.startsWith(DAEMON_ERROR)))
    .pop();
  if (line === undefined) return undefined;
  if (/Cannot connect to the Docker daemon|Is the docker daemon running|permission denied while trying to connect/i.test(line)) {
    return explainDockerFailure(undefined, line);
  }
  const reason = escapeTerminalText(line.slice('docker: '.length).replace(/\.?\s*See 'docker run --help'\.?$/, ''));
  return new EnvironmentError(
    `the Docker engine could not start the container: ${reason} (check \`docker info\` and the engine's log, fix it and run again)`,
  );
}

/**
 * Podman says `Error: …` for its own failures; for 126/127 (also a shell's codes) only the
 * OCI runtime's refusal counts, as for docker.
 */
function explainPodmanRunFailure(stderr: string, exitCode: number): EnvironmentError | undefined {
  const own = exitCode === 125 ? /^Error: / : /^Error: .*(OCI|runc|crun|conmon)/;
  const line = stderr
    .split('\n')
    .map((text) => text.trim())
    .filter((text) => own.test(text))
    .pop();
  if (line === undefined) return undefined;
  const known = PODMAN_PROBLEMS.find(([pattern]) => pattern.test(line));
  if (known !== undefined) return new EnvironmentError(known[1]);
  const reason = escapeTerminalText(line.slice('Error: '.length));
  return new EnvironmentError(`Podman could not start the container: ${reason} (check \`podman info\`, fix it and run again)`);
}
