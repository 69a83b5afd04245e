import path from 'node:path';
import { AGENTS, type AgentId } from './agents.js';

/** One change to the host, planned before anything is touched. */
export type HomeAction =
  | { kind: 'mkdir'; path: string }
  | { kind: 'copy-file'; from: string; to: string; overwrite: boolean; mode?: number }
  /** A file the launcher writes itself (an agent's first-start answers), only when missing. */
  | { kind: 'write-file'; to: string; text: string };

/** What the host layer found for the agent's home (R10, R121): every agent's the same way, from its registry entry. */
export interface AgentHomeFacts {
  agent: AgentId;
  /** Host path of the agent's home (the per-project home itself, or `agents/<id>` below it). */
  home: string;
  homeExists: boolean;
  /** Host path of its configuration directory (the home, or `.gemini` below it). */
  configDir: string;
  configDirExists: boolean;
  /** Each configuration file (but the `configFlag` one): where the host search found it (if anywhere) and whether the home has it. */
  configFiles: ReadonlyArray<{ name: string; from?: string; targetExists: boolean }>;
  /** Each of the registry's `configDirs` found on the host: the directory chosen, its files (relative paths) and which the home has. */
  configDirs: ReadonlyArray<{ name: string; dir: string; files: ReadonlyArray<{ relative: string; targetExists: boolean }> }>;
  /** Each seed file of the registry and whether the home has it. */
  seeds: ReadonlyArray<{ name: string; targetExists: boolean }>;
}

/** What the host layer found for a run's homes: the sandbox's per-project home (every agent's HOME) and the agent's. */
export interface HomeFacts {
  envDir: string;
  envDirExists: boolean;
  sessionsDir: string;
  sessionsDirExists: boolean;
  /** The agent's `configFlag` file: its source, and whether `--config` named it (then it overwrites). */
  configSource?: { path: string; explicit: boolean };
  /** Whether its home already has that file (the model-provider check reads this copy, R83). */
  configTargetExists: boolean;
  /** `--init_script`: copied to the per-project home's init.sh. */
  initScript?: string;
  agent: AgentHomeFacts;
}

/** What the model-provider check (R83) reads of the facts: the `configFlag` file and the per-project home. */
export type ConfigFacts = Pick<
  HomeFacts,
  'envDir' | 'envDirExists' | 'sessionsDir' | 'sessionsDirExists' | 'configSource' | 'configTargetExists'
>;

/**
 * The ordered host changes that assemble a run's homes: the per-project home and its sessions
 * directory, the agent's home below it, the init hook last. The credential is mounted, never copied.
 */
export function planHome(facts: HomeFacts): HomeAction[] {
  const actions: HomeAction[] = [];
  if (!facts.envDirExists) actions.push({ kind: 'mkdir', path: facts.envDir });
  if (!facts.sessionsDirExists) actions.push({ kind: 'mkdir', path: facts.sessionsDir });
  // An agent whose home is the per-project home itself has no directory of its own to create.
  actions.push(...planAgentDirs(facts.agent).filter((action) => action.kind !== 'mkdir' || action.path !== facts.envDir));
  const main = AGENTS[facts.agent.agent].configFlag;
  const source = facts.configSource;
  if (main !== undefined && source !== undefined && (source.explicit || !facts.configTargetExists)) {
    actions.push({ kind: 'copy-file', from: source.path, to: path.join(facts.agent.configDir, main), overwrite: source.explicit });
  }
  actions.push(...planAgentFiles(facts.agent));
  if (facts.initScript !== undefined) {
    actions.push({ kind: 'copy-file', from: facts.initScript, to: path.join(facts.envDir, 'init.sh'), overwrite: true, mode: 0o755 });
  }
  return actions;
}

/**
 * The host changes that assemble an agent's home: its directories, its configuration copied
 * when missing (never overwritten: the agent may have changed it since), the registry's seed
 * files when missing.
 */
export function planAgentHome(facts: AgentHomeFacts): HomeAction[] {
  return [...planAgentDirs(facts), ...planAgentFiles(facts)];
}

function planAgentDirs(facts: AgentHomeFacts): HomeAction[] {
  const actions: HomeAction[] = [];
  if (!facts.homeExists) actions.push({ kind: 'mkdir', path: facts.home });
  if (!facts.configDirExists && facts.configDir !== facts.home) actions.push({ kind: 'mkdir', path: facts.configDir });
  return actions;
}

function planAgentFiles(facts: AgentHomeFacts): HomeAction[] {
  const spec = AGENTS[facts.agent];
  const actions: HomeAction[] = [];
  for (const file of facts.configFiles) {
    if (file.from === undefined || file.targetExists) continue;
    actions.push({ kind: 'copy-file', from: file.from, to: path.join(facts.configDir, file.name), overwrite: false });
  }
  for (const dir of facts.configDirs) {
    for (const file of dir.files) {
      if (file.targetExists) continue;
      const to = path.join(facts.configDir, dir.name, file.relative);
      actions.push({ kind: 'copy-file', from: path.join(dir.dir, file.relative), to, overwrite: false });
    }
  }
  for (const seed of facts.seeds) {
    const text = spec.seedFiles[seed.name];
    if (seed.targetExists || text === undefined) continue;
    actions.push({ kind: 'write-file', to: path.join(facts.configDir, seed.name), text });
  }
  return actions;
}

/** One line per action, for `--dry-run` and progress output. */
export function describeHomeAction(action: HomeAction): string {
  if (action.kind === 'mkdir') return `create ${action.path}`;
  if (action.kind === 'write-file') return `write ${action.to}`;
  const verb = action.overwrite ? 'copy (overwrite)' : 'copy';
  return `${verb} ${action.from} -> ${action.to}`;
}
