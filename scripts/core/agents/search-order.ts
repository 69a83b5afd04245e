import path from 'node:path';

/** Resolved inputs of the search orders (R8-R10) (all paths absolute). */
export interface SearchInputs {
  /** `--config`: the file it names, or the directory holding config.toml. */
  configFlag?: { path: string; isDirectory: boolean };
  /** `CODEX_CONFIG_DIR`. */
  configDir?: string;
  home?: string;
  workdir: string;
  /** The per-project Codex home (`WORK_DIR/.codex/.environment` or `--codex-home`). */
  envDir: string;
  /** Where `run-in-container login` stored Codex's login (`~/.config/codex-sandbox/credentials/codex`, R136). */
  storeDir?: string;
}

/** Directories searched after the explicit ones, in the order of R8. */
function sharedDirs(inputs: SearchInputs): string[] {
  const dirs: string[] = [];
  if (inputs.configDir !== undefined) dirs.push(inputs.configDir);
  if (inputs.home !== undefined && inputs.home !== '') {
    dirs.push(path.join(inputs.home, '.codex'), path.join(inputs.home, '.config', 'codex'));
  }
  dirs.push(path.join(inputs.workdir, 'codex'), path.join(inputs.workdir, '.codex'));
  return dirs;
}

/** The directory `--config` points into: itself when a directory, else its parent. */
function configFlagDir(inputs: SearchInputs): string | undefined {
  const flag = inputs.configFlag;
  if (flag === undefined) return undefined;
  return flag.isDirectory ? flag.path : path.dirname(flag.path);
}

/** config.toml sources after `--config`: CODEX_CONFIG_DIR, ~/.codex, ~/.config/codex, WORK/codex, WORK/.codex. */
export function listConfigCandidates(inputs: SearchInputs): string[] {
  return sharedDirs(inputs).map((dir) => path.join(dir, 'config.toml'));
}

/**
 * auth.json after `--auth_file`/`CODEX_AUTH_FILE`: the `--config` directory, then the shared
 * directories with the login store after CODEX_CONFIG_DIR (before ~/.codex and the workdir),
 * then an auth.json already in the Codex home.
 */
export function listAuthCandidates(inputs: SearchInputs): string[] {
  const flagDir = configFlagDir(inputs);
  const shared = sharedDirs(inputs);
  if (inputs.storeDir !== undefined) shared.splice(inputs.configDir === undefined ? 0 : 1, 0, inputs.storeDir);
  const dirs = flagDir === undefined ? shared : [flagDir, ...shared];
  return [...dirs, inputs.envDir].map((dir) => path.join(dir, 'auth.json'));
}

/** `prompts/` directories: the `--config` directory (only if it is one), then the shared ones. */
export function listPromptsCandidates(inputs: SearchInputs): string[] {
  const flag = inputs.configFlag;
  const first = flag !== undefined && flag.isDirectory ? [flag.path] : [];
  return [...first, ...sharedDirs(inputs)].map((dir) => path.join(dir, 'prompts'));
}
