import type { AgentId } from '../core/agents/agents.js';
import type { RunSession } from '../core/run/assemble-run-plan.js';

/**
 * Typed options of the run commands (the default command, `shell`, `exec`): what a flow gets
 * after cli/ mapped the flags (cli/run-flags.ts). Plain values only.
 */

/** `--allow`, `--deny`, `--allow-host-port`, `--proxy`, `--ca-cert`, `--no-provider-allow` (R80-R85). */
export interface EgressFlags {
  allow: string[];
  deny: string[];
  allowHostPorts: string[];
  proxy?: string;
  caCerts: string[];
  /** `--no-provider-allow` turns off the automatic model-provider hosts (R83). */
  providerAllow: boolean;
  /** `--no-inspect HOST` (R160): raw values, checked with the settings files' `[network] no_inspect`. */
  noInspect: string[];
  /** `--read-only-web` (R165). */
  readOnlyWeb?: boolean;
  /** `--ask [--ask-timeout]` (R172): seconds a name not yet decided is held for `approve`. */
  ask?: number;
}

/** `--secret NAME=HOST,…` and the `--secret-from CMD` values paired with them in order (R163). */
export interface SecretFlags {
  secrets: string[];
  commands: string[];
}

/** `--name NAME [--keep] [--replace|--parallel] [--strict-mounts]`: a named session (R41, R42), carried as is into the plan. */
export type SessionOptions = RunSession;

export interface RunOptions {
  /** `exec` (R50): never waits on a prompt, so `[network] ask` of the settings does not apply (R172). */
  headless?: boolean;
  /** `--agent` (R120); absent: the settings files' `[run] agent`, else codex. */
  agent?: AgentId;
  workDir?: string;
  /** More workdirs (repeated --work_dir or positional DIR…); absent: just one (R40). */
  extraWorkDirs?: string[];
  /** Absent: a plain run. */
  session?: SessionOptions;
  config?: string;
  authFile?: string;
  initScript?: string;
  readOnly: string[];
  sessionsPath?: string;
  codexHome?: string;
  yes: boolean;
  image?: string;
  network?: string;
  dns: string[];
  dryRun: boolean;
  /** Everything after `--`, untouched. */
  passThrough: string[];
  egress: EgressFlags;
  /** Credentials the container's proxy injects for the agent; absent: none given. */
  secrets?: SecretFlags;
  /** `--repo URL [--ref REF] [--repo-dir NAME]`: clone into the workdir first (R53). */
  repo?: string;
  repoRef?: string;
  repoDir?: string;
  /** `--track`: record the workdir before and after the run (R54). */
  track?: boolean;
  /** `--protect-git`: every .git read-only (R55, R105). */
  protectGit?: boolean;
  /** `--egress-log FILE`: append each egress record's schema-v1 lines to FILE (R171; command line only). */
  egressLog?: string;
}

/** `exec PROMPT [--out DIR]` (R50, R51). */
export interface ExecOptions extends RunOptions {
  prompt: string;
  out?: string;
}
