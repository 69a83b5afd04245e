import { constants } from 'node:fs';
import { access, lstat, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { HomeFacts } from '../core/codex-home-plan.js';
import { UsageError } from '../core/errors.js';
import { isSameOrInside } from '../core/path-rules.js';
import {
  listAuthCandidates,
  listConfigCandidates,
  listPromptsCandidates,
  type SearchInputs,
} from '../core/search-order.js';
import type { HostContext } from './host-context.js';
import { errorCode, resolveExistingPath } from './resolve-path.js';

export interface HomeInputs {
  workdir: string;
  envDir: string;
  sessionsDir: string;
  configFlag?: string;
  authFlag?: string;
  initScript?: string;
  ctx: HostContext;
}

export interface HomeInspection {
  facts: HomeFacts;
  /** auth.json to mount read-only, if any was found. */
  authFile?: string;
  warnings: string[];
}

/**
 * Reads (never writes) everything the per-project Codex home is assembled from:
 * config.toml, auth.json and prompts in the seed's search orders, and the init script.
 */
export async function inspectCodexHome(inputs: HomeInputs): Promise<HomeInspection> {
  const { ctx } = inputs;
  const warnings: string[] = [];
  // The agent can write these trees: a file found there must not lead outside them
  // (a planted symlink to ~/.ssh/id_rsa must never be copied or mounted).
  const agentWritable = [inputs.workdir, inputs.envDir, inputs.sessionsDir];
  const isUsable = (candidate: string) => isUsableFile(candidate, agentWritable, warnings);

  const search: SearchInputs = { workdir: inputs.workdir, envDir: inputs.envDir, home: ctx.home };
  let explicitConfig: string | undefined;
  if (inputs.configFlag !== undefined) {
    const resolved = await resolveExistingPath(inputs.configFlag, ctx.cwd, '--config', 'any');
    const isDirectory = (await stat(resolved)).isDirectory();
    search.configFlag = { path: resolved, isDirectory };
    explicitConfig = isDirectory ? path.join(resolved, 'config.toml') : resolved;
    if (!(await isRegularFile(explicitConfig))) {
      throw new UsageError(`--config ${JSON.stringify(inputs.configFlag)} has no config.toml: give the file or a directory containing it`);
    }
  }
  const configDirEnv = ctx.env.CODEX_CONFIG_DIR;
  if (configDirEnv !== undefined && configDirEnv !== '') {
    search.configDir = await resolveExistingPath(configDirEnv, ctx.cwd, 'CODEX_CONFIG_DIR', 'directory');
  }

  const configSource =
    explicitConfig !== undefined
      ? { path: explicitConfig, explicit: true }
      : await firstMatch(listConfigCandidates(search), isUsable).then((found) =>
          found === undefined ? undefined : { path: found, explicit: false },
        );

  const authFile = await findAuthFile(inputs, search, isUsable);
  if (authFile === undefined) {
    warnings.push('no auth.json found: Codex will ask you to log in inside the container');
  }

  const promptsDir = await firstMatch(listPromptsCandidates(search), (dir) => isUsableDirectory(dir, agentWritable));
  const prompts =
    promptsDir === undefined
      ? undefined
      : { dir: promptsDir, files: await listPromptFiles(promptsDir, path.join(inputs.envDir, 'prompts')) };

  const initScript =
    inputs.initScript === undefined
      ? undefined
      : await resolveExistingPath(inputs.initScript, ctx.cwd, '--init_script', 'file');

  const facts: HomeFacts = {
    envDir: inputs.envDir,
    envDirExists: await exists(inputs.envDir),
    sessionsDir: inputs.sessionsDir,
    sessionsDirExists: await exists(inputs.sessionsDir),
    configSource,
    configTargetExists: await exists(path.join(inputs.envDir, 'config.toml')),
    prompts,
    initScript,
  };
  return { facts, authFile, warnings };
}

/** `--auth_file`/`CODEX_AUTH_FILE` must exist and be readable; otherwise the first usable file in the seed's order. */
async function findAuthFile(
  inputs: HomeInputs,
  search: SearchInputs,
  isUsable: (candidate: string) => Promise<boolean>,
): Promise<string | undefined> {
  const envValue = inputs.ctx.env.CODEX_AUTH_FILE;
  const explicit = inputs.authFlag ?? (envValue === '' ? undefined : envValue);
  if (explicit !== undefined) {
    const what = inputs.authFlag !== undefined ? '--auth_file' : 'CODEX_AUTH_FILE';
    const resolved = await resolveExistingPath(explicit, inputs.ctx.cwd, what, 'file');
    await access(resolved, constants.R_OK).catch(() => {
      throw new UsageError(`${what} ${JSON.stringify(explicit)} is not readable: fix its permissions`);
    });
    return resolved;
  }
  return firstMatch(listAuthCandidates(search), async (candidate) => {
    // An empty auth.json in the Codex home is the mount point Docker left behind.
    if (!(await isUsable(candidate))) return false;
    return (await stat(candidate)).size > 0;
  });
}

async function firstMatch(candidates: readonly string[], test: (candidate: string) => Promise<boolean>): Promise<string | undefined> {
  for (const candidate of candidates) {
    if (await test(candidate)) return candidate;
  }
  return undefined;
}

/** Does `candidate` exist as a file (or dir), and stay inside the agent-writable tree it lies in? */
async function isUsableEntry(
  candidate: string,
  agentWritable: readonly string[],
  warnings: string[] | undefined,
  wantDirectory: boolean,
): Promise<boolean> {
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return false;
  }
  const info = await stat(real);
  if (wantDirectory ? !info.isDirectory() : !info.isFile()) return false;
  const escapes = agentWritable.some((root) => isSameOrInside(root, candidate) && !isSameOrInside(root, real));
  if (escapes) {
    warnings?.push(`ignoring ${candidate}: it is a link leading out of a directory the agent can write`);
    return false;
  }
  return true;
}

const isUsableFile = (candidate: string, roots: readonly string[], warnings: string[]) =>
  isUsableEntry(candidate, roots, warnings, false);
const isUsableDirectory = (candidate: string, roots: readonly string[]) => isUsableEntry(candidate, roots, undefined, true);

/** Regular files below `dir` (symlinks are skipped: they could point anywhere on the host). */
async function listPromptFiles(dir: string, targetDir: string): Promise<Array<{ relative: string; targetExists: boolean }>> {
  const files: Array<{ relative: string; targetExists: boolean }> = [];
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await readdir(path.join(dir, relative), { withFileTypes: true })) {
      const child = path.join(relative, entry.name);
      if (entry.isDirectory()) await walk(child);
      else if (entry.isFile()) files.push({ relative: child, targetExists: await exists(path.join(targetDir, child)) });
    }
  };
  await walk('');
  return files.sort((a, b) => a.relative.localeCompare(b.relative));
}

async function isRegularFile(file: string): Promise<boolean> {
  return stat(file).then((info) => info.isFile(), () => false);
}

/** lstat, so a dangling symlink counts as "exists" and is never written through. */
async function exists(target: string): Promise<boolean> {
  try {
    await lstat(target);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}
