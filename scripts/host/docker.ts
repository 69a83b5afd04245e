import { constants } from 'node:os';
import { EnvironmentError } from '../core/errors.js';

/** The only module that runs `docker`. */

/** Fails fast instead of hanging when the engine does not answer (e.g. a dead DOCKER_HOST). */
const QUERY_TIMEOUT_MS = 4000;

export interface ImageInfo {
  exists: boolean;
  labels: Record<string, string>;
}

/** Turns a failed docker call into one line that says what to do. */
export function explainDockerFailure(error: unknown, stderr: string): EnvironmentError {
  const text = `${stderr} ${error instanceof Error ? error.message : ''}`;
  if (typeof error === 'object' && error !== null && (error as { code?: string }).code === 'ENOENT') {
    return new EnvironmentError('docker CLI not found: install Docker (docker.io or Docker Engine) and make sure `docker` is on PATH');
  }
  if ((error as { timedOut?: boolean } | null)?.timedOut === true) {
    return new EnvironmentError(`Docker engine did not answer within ${QUERY_TIMEOUT_MS / 1000} s: check that it is running and DOCKER_HOST is right`);
  }
  if (/permission denied/i.test(text)) {
    return new EnvironmentError('permission denied on the Docker socket: add your user to the docker group (sudo usermod -aG docker $USER, then log in again)');
  }
  if (/Cannot connect to the Docker daemon|Is the docker daemon running|error during connect|connection refused|no such file or directory/i.test(text)) {
    return new EnvironmentError('Docker engine is not running: start it (e.g. sudo systemctl start docker) or fix DOCKER_HOST');
  }
  const firstLine = stderr.trim().split('\n').pop() ?? 'unknown error';
  return new EnvironmentError(`docker failed: ${firstLine}`);
}

async function loadExeca() {
  const { execa } = await import('execa');
  return execa;
}

/** Image labels, or `exists: false`; engine problems become EnvironmentErrors. */
export async function inspectImage(image: string): Promise<ImageInfo> {
  const execa = await loadExeca();
  try {
    const result = await execa('docker', ['image', 'inspect', '--format', '{{json .Config.Labels}}', image], {
      timeout: QUERY_TIMEOUT_MS,
      reject: true,
    });
    const labels = JSON.parse(result.stdout.trim() || 'null') as Record<string, string> | null;
    return { exists: true, labels: labels ?? {} };
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    if (/No such image|No such object/i.test(stderr)) return { exists: false, labels: {} };
    throw explainDockerFailure(error, stderr);
  }
}

/** Runs `docker ARGS` with the terminal attached; resolves with the exit code (128+signal when killed). */
export async function runDockerAttached(args: readonly string[]): Promise<number> {
  const execa = await loadExeca();
  const child = execa('docker', args, { stdio: 'inherit', reject: false });
  // The docker CLI proxies signals to the container; the launcher only waits for its verdict.
  const forward = (signal: NodeJS.Signals) => () => {
    child.kill(signal);
  };
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => {
    const handler = forward(signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  try {
    const result = await child;
    if (result.failed && result.exitCode === undefined && result.signal === undefined) {
      throw explainDockerFailure(result, String(result.stderr ?? ''));
    }
    if (result.signal !== undefined) return 128 + (constants.signals[result.signal] ?? 0);
    return result.exitCode ?? 1;
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}

/** Runs `docker ARGS` quietly and returns stdout (for short queries). */
export async function queryDocker(args: readonly string[], timeoutMs = QUERY_TIMEOUT_MS): Promise<string> {
  const execa = await loadExeca();
  try {
    const result = await execa('docker', args, { timeout: timeoutMs });
    return result.stdout;
  } catch (error) {
    throw explainDockerFailure(error, String((error as { stderr?: unknown }).stderr ?? ''));
  }
}

/**
 * `docker build` with its progress streamed to stderr (stdout stays for results); on
 * failure the last lines are kept for the error message.
 */
export async function buildDockerImage(args: readonly string[]): Promise<{ ok: boolean; tail: string[] }> {
  const execa = await loadExeca();
  const tail: string[] = [];
  const child = execa('docker', ['build', ...args], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', reject: false, buffer: false });
  const keep = (chunk: Buffer) => {
    process.stderr.write(chunk);
    tail.push(...chunk.toString().split('\n').filter((line) => line.trim() !== ''));
    tail.splice(0, Math.max(0, tail.length - 15));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const result = await child;
  if (result.failed && result.exitCode === undefined) throw explainDockerFailure(result, tail.join('\n'));
  if (result.exitCode !== 0 && tail.some((line) => /Cannot connect|permission denied/i.test(line))) {
    throw explainDockerFailure(result, tail.join('\n'));
  }
  return { ok: result.exitCode === 0, tail };
}
