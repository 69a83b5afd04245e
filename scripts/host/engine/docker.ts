import { execFile, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { adaptEngineArgs, chooseEngine, parseEngineName, type Engine } from '../../core/engine/engine.js';
import { explainDockerFailure, explainRunFailure, QUERY_TIMEOUT_MS } from '../../core/engine/explain-docker-failure.js';
import { findInstalledEngines } from './installed-engines.js';

/**
 * The only module that runs the container engine: `docker`, or `podman` (R173). Every argv
 * is written for docker and adapted here (core/engine.ts), so no other module knows which.
 */

let engineRequest: { flag?: string; env?: string } = {};
let chosen: Engine | undefined;

/** Records `--engine` and CONTAINER_ENGINE (checked now: a bad value exits 2); the PATH is read on first use. */
export function configureEngine(flag: string | undefined, env: string | undefined): void {
  if (flag !== undefined) parseEngineName(flag, '--engine');
  if (env !== undefined) parseEngineName(env, 'CONTAINER_ENGINE');
  engineRequest = { flag, env };
  chosen = undefined;
}

/** The engine of this invocation, chosen once (R173). */
export function currentEngine(): Engine {
  chosen ??= chooseEngine({ ...engineRequest, installed: findInstalledEngines(), uid: process.getuid?.() ?? 1000 });
  return chosen;
}

/** The engine's binary and the argv adapted to it. */
function engineCall(args: readonly string[]): [string, string[]] {
  const engine = currentEngine();
  return [engine.name, adaptEngineArgs(engine, args)];
}

/** The whole command line a run would start, for `--dry-run`. */
export function describeEngineCall(args: readonly string[]): string[] {
  return engineCall(args).flat();
}

export interface ImageInfo {
  exists: boolean;
  labels: Record<string, string>;
}

async function loadExeca() {
  const { execa } = await import('execa');
  return execa;
}

/**
 * `docker ARGS` with output captured, on node's own child_process: importing execa costs
 * ~170 ms, more than the docker call, and these calls sit on every run's start-up path.
 * Rejects with an error carrying `code` (ENOENT), `timedOut`, `stderr`, like execa's.
 */
function captureDocker(args: readonly string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  const [binary, argv] = engineCall(args);
  return new Promise((resolve, reject) => {
    execFile(binary, argv, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error === null) {
        resolve({ stdout: stdout.replace(/\n$/, ''), stderr });
        return;
      }
      // `killed` is set only when node itself killed it: the timeout (docker may exit by code, not signal).
      const timedOut = error.killed === true;
      reject(Object.assign(error, { stdout, stderr, timedOut }));
    });
  });
}

/** An inspection started ahead by prefetchImageInspect: the next inspectImage of that image takes it. */
let ahead: { image: string; startedAt: number; info: Promise<ImageInfo> } | undefined;
/** An answer older than this (say, from before a consent prompt) is not used: the image is asked again. */
const AHEAD_FRESH_MS = 5000;

/**
 * Starts `image inspect IMAGE` now, while the run is still being planned (it changes nothing),
 * so the engine call (~0.1 s) overlaps the host reads instead of following them.
 */
export function prefetchImageInspect(image: string): void {
  const info = inspectImageNow(image);
  info.catch(() => undefined); // a run refused before it needs the image never awaits it
  ahead = { image, startedAt: Date.now(), info };
}

/** Image labels, or `exists: false`; engine problems become EnvironmentErrors. */
export async function inspectImage(image: string): Promise<ImageInfo> {
  const early = ahead;
  ahead = undefined;
  if (early !== undefined && early.image === image && Date.now() - early.startedAt < AHEAD_FRESH_MS) return early.info;
  return inspectImageNow(image);
}

async function inspectImageNow(image: string): Promise<ImageInfo> {
  try {
    let result = await captureDocker(['image', 'inspect', '--format', '{{json .Config.Labels}}', image], QUERY_TIMEOUT_MS);
    // Rootless Podman right after a build sometimes prints nothing, only "Found incomplete layer
    // …, deleting it" on stderr; asked again it has the labels. No labels is `null`, never ''.
    for (let retry = 0; retry < 3 && result.stdout.trim() === '' && currentEngine().name === 'podman'; retry += 1) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      result = await captureDocker(['image', 'inspect', '--format', '{{json .Config.Labels}}', image], QUERY_TIMEOUT_MS);
    }
    const labels = JSON.parse(result.stdout.trim() || 'null') as Record<string, string> | null;
    return { exists: true, labels: labels ?? {} };
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    if (/No such image|No such object|image not known/i.test(stderr)) return { exists: false, labels: {} };
    throw explainDockerFailure(error, stderr, currentEngine().name);
  }
}

/**
 * Hands values to the docker CLIs the launcher starts from now on: `docker run -e NAME` takes
 * NAME's value from the CLI's own environment, so a key never appears on a command line
 * (R84, R125). A variable the user set keeps the user's value, unless `override` (a value the
 * launcher computed, such as the proxy's login, must be exactly that).
 */
export function provideDockerEnv(values: Readonly<Record<string, string>>, override = false): void {
  for (const [name, value] of Object.entries(values)) {
    if (override) process.env[name] = value;
    else process.env[name] ??= value;
  }
}

/** Runs `docker ARGS` with the terminal attached; resolves with the exit code (128+signal when killed). */
export async function runDockerAttached(args: readonly string[], options: AttachedRunOptions = {}): Promise<number> {
  const name = options.containerName;
  // Outside a terminal the docker CLI gets its own process group, so a signal sent to the
  // launcher's group reaches the agent once (through us), not twice. On a terminal it must
  // stay in the foreground group to read stdin (with -t, Ctrl-C is a keystroke anyway).
  const { capture, input } = options;
  const stdin = input !== undefined ? 'pipe' : capture === undefined ? 'inherit' : 'ignore';
  // A login's output goes to stderr: the launcher's stdout is for its result (R23).
  const stdout = capture !== undefined ? 'pipe' : options.outputToStderr === true ? process.stderr : 'inherit';
  const stdio = [stdin, stdout, 'pipe'] as const;
  const ownGroup = capture !== undefined || input !== undefined || process.stdin.isTTY !== true;
  const [binary, argv] = engineCall(args);
  const child = spawn(binary, argv, { stdio: [...stdio], detached: ownGroup });
  // A secret for the container's stdin (R138): through the pipe, never argv or environment.
  child.stdin?.on('error', () => undefined);
  if (input !== undefined) child.stdin?.end(input);
  const watchdog = name !== undefined && options.keep !== true ? startWatchdog(name) : undefined;
  const tail = new StderrTail();
  child.stdout?.on('data', (chunk: Buffer) => capture?.('stdout', chunk));
  child.stderr?.on('data', (chunk: Buffer) => {
    if (capture === undefined) process.stderr.write(chunk);
    else capture('stderr', chunk);
    tail.push(chunk);
  });
  let received: NodeJS.Signals | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => {
    const handler = () => {
      const repeated = received !== undefined;
      received = signal;
      // The docker CLI proxies the signal to the container (tini -g hands it to the agent).
      child.kill(signal);
      if (name === undefined) return;
      // An agent that ignores it, or a second signal, gets the container removed.
      if (repeated) void removeContainer(name);
      else graceTimer ??= setTimeout(() => void removeContainer(name), SIGNAL_GRACE_MS);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  try {
    const [exitCode, exitSignal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve([code, signal]));
    }).catch((error: unknown) => {
      throw explainDockerFailure(error, tail.text(), currentEngine().name);
    });
    if (received !== undefined) {
      // The CLI may have died before the container existed or was removed: make sure.
      if (name !== undefined) await removeContainer(name);
      return 128 + (constants.signals[received] ?? 0);
    }
    // 125, and 126/127 when runc could not set up the container (say, a mount source that
    // vanished: R103), come from docker itself when it said so on stderr.
    if (exitCode === 125 || exitCode === 126 || exitCode === 127) {
      const failure = explainRunFailure(tail.text(), exitCode, currentEngine().name);
      if (failure !== undefined) throw failure;
    }
    if (exitSignal !== null) return 128 + (constants.signals[exitSignal] ?? 0);
    return exitCode ?? 1;
  } finally {
    if (graceTimer !== undefined) clearTimeout(graceTimer);
    for (const [signal, handler] of handlers) process.off(signal, handler);
    watchdog?.stdin?.end('done\n');
  }
}

export interface AttachedRunOptions {
  /** The container `docker run --name` creates: removed if the launcher is interrupted or dies. */
  containerName?: string;
  /** A kept container (sessions) must outlive the launcher: no watchdog. */
  keep?: boolean;
  /** Headless (`exec`): stdin closed, stdout and stderr handed here instead of the terminal. */
  capture?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** Written to the container's stdin, which then ends (a login's API key); the terminal's stdin is not used. */
  input?: string;
  /** The container's stdout goes to the launcher's stderr (stdout is kept for the launcher's result). */
  outputToStderr?: boolean;
}

/** After a forwarded signal, how long the agent may take to exit before the container is removed. */
const SIGNAL_GRACE_MS = 10_000;

/**
 * A tiny process outside the launcher's process group that holds the read end of a pipe
 * only the launcher writes to. When the launcher dies, even by SIGKILL, the pipe closes
 * without "done" and it removes the container (twice: the docker CLI, which survives the
 * launcher, may still be creating it). Constant script, the name is an argument.
 */
const WATCHDOG_SCRIPT = `trap '' INT TERM HUP
read -r word || true
[ "$word" = done ] && exit 0
"$2" rm -f "$1" >/dev/null 2>&1
sleep 2
"$2" rm -f "$1" >/dev/null 2>&1
exit 0`;

function startWatchdog(containerName: string) {
  const watchdog = spawn('sh', ['-c', WATCHDOG_SCRIPT, 'codex-sandbox-watchdog', containerName, currentEngine().name], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.on('error', () => undefined);
  watchdog.stdin?.on('error', () => undefined);
  watchdog.unref();
  return watchdog;
}

/** `docker rm -f NAME`, quietly; a container that is already gone is fine. */
async function removeContainer(name: string): Promise<void> {
  await captureDocker(['rm', '-f', name], 20000).catch(() => undefined);
}

/** The last few KB of docker's stderr, to tell its own start-up failure from the agent's output. */
class StderrTail {
  private chunks: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > 8192 && this.chunks.length > 1) this.size -= this.chunks.shift()?.length ?? 0;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Runs `docker ARGS` quietly and returns stdout (for short queries). */
export async function queryDocker(args: readonly string[], timeoutMs = QUERY_TIMEOUT_MS): Promise<string> {
  try {
    const result = await captureDocker(args, timeoutMs);
    return result.stdout;
  } catch (error) {
    throw explainDockerFailure(error, String((error as { stderr?: unknown }).stderr ?? ''), currentEngine().name);
  }
}

/**
 * Like queryDocker, but a non-zero exit is reported, not thrown (probes such as
 * `docker exec … stat`); a missing CLI, a timeout or an engine that does not answer still throw.
 */
export async function probeDocker(
  args: readonly string[],
  timeoutMs = QUERY_TIMEOUT_MS,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  try {
    return { exitCode: 0, ...(await captureDocker(args, timeoutMs)) };
  } catch (error) {
    const failure = error as { code?: unknown; stdout?: unknown; stderr?: unknown; timedOut?: boolean };
    const stderr = String(failure.stderr ?? '');
    if (
      typeof failure.code !== 'number' ||
      failure.timedOut === true ||
      /Cannot connect to the Docker daemon|permission denied while trying to connect/i.test(stderr)
    ) {
      throw explainDockerFailure(error, stderr, currentEngine().name);
    }
    return { exitCode: failure.code, stdout: String(failure.stdout ?? ''), stderr };
  }
}

/**
 * `docker build` with its progress streamed to stderr (stdout stays for results); on
 * failure the last lines are kept for the error message.
 */
export async function buildDockerImage(
  args: readonly string[],
  dockerfile?: string,
  env: Readonly<Record<string, string>> = {},
): Promise<{ ok: boolean; tail: string[] }> {
  const execa = await loadExeca();
  const tail: string[] = [];
  // A Dockerfile on stdin (`docker build … -`): the metadata-only build that labels an image.
  const stdin = dockerfile === undefined ? ({ stdin: 'ignore' } as const) : ({ input: dockerfile } as const);
  // `env`: the values of build args given by name (`--build-arg NAME`), never in the argv.
  const [binary, argv] = engineCall(['build', ...args]);
  const child = execa(binary, argv, { ...stdin, env, stdout: 'pipe', stderr: 'pipe', reject: false, buffer: false });
  const keep = (chunk: Buffer) => {
    process.stderr.write(chunk);
    tail.push(
      ...chunk
        .toString()
        .split('\n')
        .filter((line) => line.trim() !== ''),
    );
    tail.splice(0, Math.max(0, tail.length - 15));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const result = await child;
  if (result.failed && result.exitCode === undefined) throw explainDockerFailure(result, tail.join('\n'), currentEngine().name);
  if (result.exitCode !== 0 && tail.some((line) => /Cannot connect|permission denied/i.test(line))) {
    throw explainDockerFailure(result, tail.join('\n'), currentEngine().name);
  }
  return { ok: result.exitCode === 0, tail };
}
