import os from 'node:os';

/** What the launcher knows about the machine and the invocation, read once. */
export interface HostContext {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  home?: string;
  uid: number;
  gid: number;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  pid: number;
  hostname: string;
}

export function readHostContext(): HostContext {
  const home = process.env.HOME ?? os.homedir();
  return {
    cwd: process.cwd(),
    env: process.env,
    home: home === '' ? undefined : home,
    uid: process.getuid?.() ?? 1000,
    gid: process.getgid?.() ?? 1000,
    stdinIsTTY: process.stdin.isTTY === true,
    stdoutIsTTY: process.stdout.isTTY === true,
    pid: process.pid,
    hostname: os.hostname(),
  };
}
