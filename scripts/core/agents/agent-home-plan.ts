import path from 'node:path';
import { AGENTS, type AgentId } from './agents.js';
import type { HomeAction } from './codex-home-plan.js';

/** What the host layer found for one agent's home below the Codex home (R121). */
export interface AgentHomeFacts {
  agent: AgentId;
  /** Host path of the agent's home (`<Codex home>/agents/<id>`). */
  home: string;
  homeExists: boolean;
  /** Host path of its configuration directory (the home, or `.gemini` below it). */
  configDir: string;
  configDirExists: boolean;
  /** Each configuration file: where the host search found it (if anywhere) and whether the home has it. */
  configFiles: ReadonlyArray<{ name: string; from?: string; targetExists: boolean }>;
  /** Each seed file of the registry and whether the home has it. */
  seeds: ReadonlyArray<{ name: string; targetExists: boolean }>;
}

/**
 * The host changes that assemble an agent's home: its directories, its configuration copied
 * when missing (never overwritten: the agent may have changed it since), the registry's seed
 * files when missing. The credential is mounted, never copied.
 */
export function planAgentHome(facts: AgentHomeFacts): HomeAction[] {
  const spec = AGENTS[facts.agent];
  const actions: HomeAction[] = [];
  if (!facts.homeExists) actions.push({ kind: 'mkdir', path: facts.home });
  if (!facts.configDirExists && facts.configDir !== facts.home) actions.push({ kind: 'mkdir', path: facts.configDir });
  for (const file of facts.configFiles) {
    if (file.from === undefined || file.targetExists) continue;
    actions.push({ kind: 'copy-file', from: file.from, to: path.join(facts.configDir, file.name), overwrite: false });
  }
  for (const seed of facts.seeds) {
    const text = spec.seedFiles[seed.name];
    if (seed.targetExists || text === undefined) continue;
    actions.push({ kind: 'write-file', to: path.join(facts.configDir, seed.name), text });
  }
  return actions;
}

/**
 * Host directories searched for an agent's configuration and login, in order (R124): the
 * directory its own variable names, the login store of `run-in-container login` (for the
 * login only), then its directory below the home directory.
 */
export function listAgentHostDirs(
  agent: AgentId,
  inputs: { env: Readonly<Record<string, string | undefined>>; home?: string; storeDir?: string },
): { config: string[]; credential: string[] } {
  const { hostConfig } = AGENTS[agent];
  const fromEnv = hostConfig.env === undefined ? undefined : inputs.env[hostConfig.env];
  const envDir = fromEnv === undefined || !path.isAbsolute(fromEnv) ? undefined : path.join(fromEnv, hostConfig.envSuffix ?? '');
  const homeDir = inputs.home === undefined ? undefined : path.join(inputs.home, hostConfig.home);
  const present = (dirs: ReadonlyArray<string | undefined>) => dirs.filter((dir): dir is string => dir !== undefined);
  return { config: present([envDir, homeDir]), credential: present([envDir, inputs.storeDir, homeDir]) };
}
