import path from 'node:path';
import type { SearchPlace } from './agent-spec.js';
import { AGENTS, type AgentId } from './agents.js';

/** Resolved inputs of an agent's host search (R8-R10, R124); all paths absolute. */
export interface SearchInputs {
  /** `--config`: the file it names, or the directory holding the agent's `configFlag` file. */
  configFlag?: { path: string; isDirectory: boolean };
  /** The host's variables; a `checked` place's already resolved to its physical directory by the host layer. */
  env: Readonly<Record<string, string | undefined>>;
  home?: string;
  workdir: string;
  /** The agent's configuration directory in the per-project home (host path). */
  projectDir: string;
  /** Where `run-in-container login` stored the agent's login (`~/.config/codex-sandbox/credentials/<id>`, R136). */
  storeDir?: string;
}

/** The directories searched, in order: for configuration files, for `configDirs`, for the login file. */
export interface SearchDirs {
  config: string[];
  configDirs: string[];
  credential: string[];
}

/** One place of the registry's `hostSearch` as a directory on this host, if it is one here. */
function placeDir(place: SearchPlace, inputs: SearchInputs): string | undefined {
  if ('env' in place) {
    const value = inputs.env[place.env];
    // A relative directory in a variable means nothing to the launcher (a `checked` one was resolved).
    return value === undefined || !path.isAbsolute(value) ? undefined : path.join(value, place.suffix ?? '');
  }
  if ('home' in place) return inputs.home === undefined || inputs.home === '' ? undefined : path.join(inputs.home, place.home);
  if ('workdir' in place) return path.join(inputs.workdir, place.workdir);
  if ('store' in place) return inputs.storeDir;
  return inputs.projectDir;
}

/**
 * The host directories an agent's configuration and login are searched in (R8-R10, R124), in
 * the registry's order. `--config` (its file is taken directly) puts its directory first for
 * the login (a file's parent) and for `configDirs` (only a directory); the login store and the
 * per-project home are searched for the login only.
 */
export function listSearchDirs(agent: AgentId, inputs: SearchInputs): SearchDirs {
  const config: string[] = [];
  const credential: string[] = [];
  for (const place of AGENTS[agent].hostSearch) {
    const dir = placeDir(place, inputs);
    if (dir === undefined) continue;
    credential.push(dir);
    if (!('store' in place) && !('project' in place)) config.push(dir);
  }
  const flag = inputs.configFlag;
  if (flag === undefined) return { config, configDirs: [...config], credential };
  return {
    config,
    configDirs: flag.isDirectory ? [flag.path, ...config] : [...config],
    credential: [flag.isDirectory ? flag.path : path.dirname(flag.path), ...credential],
  };
}
