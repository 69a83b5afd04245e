import path from 'node:path';

/** One change to the host, planned before anything is touched. */
export type HomeAction =
  | { kind: 'mkdir'; path: string }
  | { kind: 'copy-file'; from: string; to: string; overwrite: boolean; mode?: number }
  /** A file the launcher writes itself (an agent's first-start answers), only when missing. */
  | { kind: 'write-file'; to: string; text: string };

/** What the host layer found; the planner decides what to do with it. */
export interface HomeFacts {
  envDir: string;
  envDirExists: boolean;
  sessionsDir: string;
  sessionsDirExists: boolean;
  /** config.toml source, and whether it was given explicitly (`--config` overwrites). */
  configSource?: { path: string; explicit: boolean };
  configTargetExists: boolean;
  /** The `prompts/` directory chosen, its files (relative paths) and which already exist. */
  prompts?: { dir: string; files: ReadonlyArray<{ relative: string; targetExists: boolean }> };
  initScript?: string;
}

/** The ordered list of host changes that assemble the per-project Codex home. */
export function planCodexHome(facts: HomeFacts): HomeAction[] {
  const actions: HomeAction[] = [];
  if (!facts.envDirExists) actions.push({ kind: 'mkdir', path: facts.envDir });
  if (!facts.sessionsDirExists) actions.push({ kind: 'mkdir', path: facts.sessionsDir });
  const config = facts.configSource;
  if (config !== undefined && (config.explicit || !facts.configTargetExists)) {
    actions.push({
      kind: 'copy-file',
      from: config.path,
      to: path.join(facts.envDir, 'config.toml'),
      overwrite: config.explicit,
    });
  }
  if (facts.prompts !== undefined) {
    for (const file of facts.prompts.files) {
      if (file.targetExists) continue;
      actions.push({
        kind: 'copy-file',
        from: path.join(facts.prompts.dir, file.relative),
        to: path.join(facts.envDir, 'prompts', file.relative),
        overwrite: false,
      });
    }
  }
  if (facts.initScript !== undefined) {
    actions.push({
      kind: 'copy-file',
      from: facts.initScript,
      to: path.join(facts.envDir, 'init.sh'),
      overwrite: true,
      mode: 0o755,
    });
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
