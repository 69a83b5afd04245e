import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { docker, runLauncher, type LauncherResult } from './run-launcher.js';

/** What an attacker would want from the host: a private key and an agent socket (like ssh-agent). */
export interface HostSecrets {
  dir: string;
  secret: string;
  /** Connections the socket has received (must stay 0). */
  connections(): number;
  close(): Promise<void>;
}

/**
 * A directory outside every workdir with a key file and a listening unix socket, both
 * usable by the agent's uid if they were ever mounted (so a test on them can fail).
 */
export async function createHostSecrets(scratch: string): Promise<HostSecrets> {
  const dir = path.join(scratch, 'host-secrets');
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const secret = `HOST-SECRET-${randomBytes(6).toString('hex')}`;
  writeFileSync(path.join(dir, 'id_rsa'), `${secret}\n`, { mode: 0o644 });
  let count = 0;
  const server = net.createServer((socket) => {
    count += 1;
    socket.end(`${secret}\n`);
  });
  const socketPath = path.join(dir, 'agent.sock');
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  chmodSync(socketPath, 0o777);
  return {
    dir,
    secret,
    connections: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Type, mode, owner, link target and content hash of every entry below `root` (never following links). */
export function hashTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const info = lstatSync(full);
      const what = info.isSymbolicLink()
        ? `link ${readlinkSync(full)}`
        : info.isFile()
          ? `file ${createHash('sha256').update(readFileSync(full)).digest('hex')}`
          : info.isDirectory()
            ? 'dir'
            : 'other';
      out[path.relative(root, full)] = `${what} ${(info.mode & 0o7777).toString(8)} ${info.uid}:${info.gid}`;
      if (info.isDirectory()) walk(full);
    }
  };
  walk(root);
  return out;
}

/** A fresh workdir owned by `owner` (a normal user's, or root's: then runs need --yes). */
export function makeWorkdir(scratch: string, name: string, owner: 'user' | 'root'): string {
  const dir = path.join(scratch, name);
  mkdirSync(dir, { recursive: true });
  if (owner === 'user' && process.getuid?.() === 0) chownSync(dir, 1000, 1000);
  return dir;
}

/**
 * An agent that keeps running while the launcher works: a kept session on the workdir
 * whose agent (uid of the workdir's owner, no capabilities) runs `loop` in the background.
 */
export class Attacker {
  readonly container: string;

  constructor(
    private readonly workdir: string,
    private readonly env: Record<string, string>,
    readonly name = `hostile-${randomBytes(3).toString('hex')}`,
    private readonly extra: string[] = [],
  ) {
    this.container = `codex-session-${name}`;
  }

  start(): LauncherResult {
    return runLauncher(['shell', '--name', this.name, '--keep', '--yes', '--work_dir', this.workdir, ...this.extra, '--', 'true'], {
      cwd: this.workdir,
      env: this.env,
    });
  }

  /** Runs `script` (sh) as the agent inside the session, detached; it loops until the session is removed. */
  run(script: string): void {
    docker(['exec', '-d', '-w', `/app${this.workdir}`, this.container, '/usr/local/bin/sandbox-enter', 'shell', 'sh', '-c', script]);
  }

  /** Runs `script` as the agent and waits for it. */
  exec(script: string): { status: number | null; stdout: string; stderr: string } {
    const result = spawnSync(
      'docker',
      ['exec', '-w', `/app${this.workdir}`, this.container, '/usr/local/bin/sandbox-enter', 'shell', 'sh', '-c', script],
      { encoding: 'utf8', timeout: 60000 },
    );
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  remove(): void {
    spawnSync('docker', ['rm', '-f', this.container], { encoding: 'utf8' });
  }
}

/** Launcher exit codes that mean "refused, nothing ran": usage (2), environment (1), set-up check (71). */
export const REFUSED = [1, 2, 71];
