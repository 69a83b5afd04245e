import os from 'node:os';
import path from 'node:path';

/** What the launcher knows about the machine and the invocation, read once. */
export interface HostContext {
  cwd: string;
  /** The environment with empty variables left out: an empty variable counts as unset (R3). */
  env: Readonly<Record<string, string | undefined>>;
  home?: string;
  uid: number;
  gid: number;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  pid: number;
  hostname: string;
}

/** The one place where an empty variable becomes an unset one (R3), for every reader. */
export function withoutEmptyValues(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
}

export function readHostContext(): HostContext {
  const home = process.env.HOME ?? os.homedir();
  return {
    cwd: process.cwd(),
    env: withoutEmptyValues(process.env),
    home: home === '' ? undefined : home,
    uid: process.getuid?.() ?? 1000,
    gid: process.getgid?.() ?? 1000,
    stdinIsTTY: process.stdin.isTTY === true,
    stdoutIsTTY: process.stdout.isTTY === true,
    pid: process.pid,
    hostname: os.hostname(),
  };
}

/**
 * `${XDG_STATE_HOME:-~/.local/state}/codex-sandbox` (a relative XDG_STATE_HOME is ignored, as
 * the XDG spec says): the launcher's own state — track stores, raw egress logs, pull scratch —
 * outside every tree the agent can write. Undefined without HOME and XDG_STATE_HOME.
 */
export function stateDirOf(ctx: Pick<HostContext, 'env' | 'home'>): string | undefined {
  const xdg = ctx.env.XDG_STATE_HOME;
  const base =
    xdg !== undefined && path.isAbsolute(xdg) ? xdg : ctx.home === undefined ? undefined : path.join(ctx.home, '.local', 'state');
  return base === undefined ? undefined : path.join(base, 'codex-sandbox');
}
