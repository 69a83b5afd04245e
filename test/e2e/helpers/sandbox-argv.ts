import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { IMAGE, runLauncher } from './run-launcher.js';
import { TEST_LABEL } from './test-network.js';

/**
 * The image started directly with the launcher's own `docker run` arguments (taken from a
 * dry run, as sandbox-lifecycle's fail-closed test does), so an e2e test can set the
 * entrypoint's variables (SANDBOX_AGENT, SANDBOX_COMMAND, SANDBOX_LOGIN_PORT) itself.
 */
export interface DirectSandbox {
  /** `docker run …` arguments (without `docker`) for one container named `name`. */
  args(name: string, env: Record<string, string>, command: readonly string[], docker?: readonly string[], image?: string): string[];
}

// The test's own variables; and the mount identities, which a dry run cannot know (`0:0` for
// sources it did not create): absent, the entrypoint checks none (as on non-Linux hosts).
const OWN_VARIABLES = /^(SANDBOX_AGENT|SANDBOX_COMMAND|SANDBOX_LOGIN_PORT|SANDBOX_MOUNT_IDS)=/;

export function prepareDirectSandbox(workdir: string, options: { cwd: string; home: string }): DirectSandbox {
  const dry = runLauncher(['--dry-run', '--work_dir', workdir, '--', 'ARGS'], { cwd: options.cwd, env: { HOME: options.home } });
  if (dry.status !== 0) throw new Error(`dry run failed: ${dry.stderr}`);
  const argv = JSON.parse(dry.stdout.split('\n')[0] ?? '') as string[];
  const imageIndex = argv.lastIndexOf(IMAGE);
  if (argv[0] !== 'docker' || argv[1] !== 'run' || imageIndex < 0) throw new Error(`unexpected dry-run argv: ${dry.stdout}`);
  const base: string[] = [];
  for (let i = 1; i < imageIndex; i += 1) {
    const word = argv[i] as string;
    const next = argv[i + 1] ?? '';
    if (word === '--name' || (word === '-e' && OWN_VARIABLES.test(next))) {
      i += 1;
      continue;
    }
    // A dry run creates nothing: make the bind-mount sources a real run would have created.
    const source = argv[i - 1] === '--mount' ? /(?:^|,)source=([^,]+)/.exec(word)?.[1] : undefined;
    if (source !== undefined && !word.includes('readonly')) mkdirSync(source, { recursive: true });
    base.push(word);
  }
  return {
    args: (name, env, command, docker = [], image = IMAGE) => [
      ...base,
      '--name',
      name,
      '--label',
      TEST_LABEL,
      ...docker,
      ...Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]),
      image,
      ...command,
    ],
  };
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export function runSync(args: readonly string[], input = ''): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('docker', args, { encoding: 'utf8', input, timeout: 120000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A container left running (stdin open) until `stop()`; `output` grows with its stdout. */
export interface RunningSandbox {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  stop(): void;
}

export function startSandbox(name: string, args: readonly string[]): RunningSandbox {
  const child = spawn('docker', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return {
    child,
    output: () => out,
    waitFor: async (text, timeoutMs = 90000) => {
      const until = Date.now() + timeoutMs;
      while (!out.includes(text)) {
        if (Date.now() > until || child.exitCode !== null) throw new Error(`"${text}" did not appear: ${out}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    stop: () => {
      spawnSync('docker', ['rm', '-f', name], { encoding: 'utf8', timeout: 30000 });
      child.stdin.destroy();
      child.kill();
    },
  };
}
