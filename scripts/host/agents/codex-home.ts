import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { HomeFacts } from '../../core/agents/codex-home-plan.js';
import { UsageError } from '../../core/errors.js';
import { READ_LIMITS } from '../../core/read-limits.js';
import { listAuthCandidates, listConfigCandidates, listPromptsCandidates, type SearchInputs } from '../../core/agents/search-order.js';
import { credentialStoreDir } from './credential-store.js';
import type { HostContext } from '../host-context.js';
import { errorCode } from '../tree/resolve-path.js';
import { UnsafePathError } from '../tree/unsafe-path-error.js';
import { listTreeFiles } from '../tree/tree-walk.js';
import { statHostPath, withHostBase, type HostEntry } from '../tree/tree-paths.js';
import { readHostFile } from '../tree/read-host-file.js';
import { readInputFile, resolveInputPath } from '../tree/input-path.js';

export interface HomeInputs {
  workdir: string;
  envDir: string;
  sessionsDir: string;
  /** Every tree the agent can write (workdirs, Codex home, sessions); default the three above. */
  trees?: readonly string[];
  configFlag?: string;
  authFlag?: string;
  initScript?: string;
  ctx: HostContext;
  /** Another agent than Codex: Codex's config, login and prompts are neither read nor mounted (R121). */
  codexFiles?: boolean;
}

export interface HomeInspection {
  facts: HomeFacts;
  /** auth.json to mount read-only, if any was found (its physical, symlink-free path). */
  authFile?: string;
  /** The bytes of every file to copy, read once now (R101): what was checked is what is written. */
  contents: Map<string, Buffer>;
  warnings: string[];
}

/**
 * Reads (never writes) everything the per-project Codex home is assembled from:
 * config.toml, auth.json and prompts in their search orders (R8-R10), and the init script.
 * Anything in a tree the agent can write is resolved beneath that tree (R102): a planted
 * symlink leading out (to ~/.ssh/id_rsa, say) is ignored with a warning, never followed.
 */
export async function inspectCodexHome(inputs: HomeInputs): Promise<HomeInspection> {
  const { ctx } = inputs;
  const trees = inputs.trees ?? [inputs.workdir, inputs.envDir, inputs.sessionsDir];
  const warnings: string[] = [];
  const contents = new Map<string, Buffer>();
  const usable = (candidate: string, want: 'file' | 'dir') => findUsable(candidate, trees, want, warnings);

  const storeDir = credentialStoreDir(ctx, 'codex');
  const search: SearchInputs = {
    workdir: inputs.workdir,
    envDir: inputs.envDir,
    home: ctx.home,
    ...(storeDir === undefined ? {} : { storeDir }),
  };
  let explicitConfig: string | undefined;
  if (inputs.configFlag !== undefined) {
    const resolved = await resolveInputPath(inputs.configFlag, ctx.cwd, '--config', 'any', trees);
    const isDirectory = resolved.isDirectory;
    search.configFlag = { path: resolved.physical, isDirectory };
    explicitConfig = isDirectory ? await usable(path.join(resolved.physical, 'config.toml'), 'file') : resolved.physical;
    if (explicitConfig === undefined) {
      throw new UsageError(`--config ${JSON.stringify(inputs.configFlag)} has no config.toml: give the file or a directory containing it`);
    }
  }
  const configDirEnv = ctx.env.CODEX_CONFIG_DIR;
  if (configDirEnv !== undefined) {
    search.configDir = (await resolveInputPath(configDirEnv, ctx.cwd, 'CODEX_CONFIG_DIR', 'directory', trees)).physical;
  }

  const codexFiles = inputs.codexFiles !== false;
  const configPath = !codexFiles
    ? undefined
    : (explicitConfig ?? (await firstMatch(listConfigCandidates(search), (candidate) => usable(candidate, 'file'))));
  const configSource = configPath === undefined ? undefined : { path: configPath, explicit: explicitConfig !== undefined };
  if (configSource !== undefined)
    contents.set(configSource.path, await readSource(configSource.path, trees, READ_LIMITS.configToml, 'config.toml'));

  const authFile = codexFiles ? await findAuthFile(inputs, search, trees, warnings) : undefined;
  if (codexFiles && authFile === undefined) {
    warnings.push('no auth.json found: log in with `run-in-container login` (or Codex asks you inside the container)');
  }

  const promptsDir = !codexFiles
    ? undefined
    : await firstMatch(listPromptsCandidates(search), (dir) => findUsable(dir, trees, 'dir', undefined));
  const prompts = promptsDir === undefined ? undefined : await readPrompts(promptsDir, inputs.envDir, trees, contents);

  let initScript: string | undefined;
  if (inputs.initScript !== undefined) {
    const read = await readInputFile(inputs.initScript, ctx.cwd, '--init_script', trees, READ_LIMITS.initScript);
    initScript = read.physical;
    contents.set(initScript, read.bytes);
  }

  const facts: HomeFacts = {
    envDir: inputs.envDir,
    envDirExists: await exists(inputs.envDir, trees),
    sessionsDir: inputs.sessionsDir,
    sessionsDirExists: await exists(inputs.sessionsDir, trees),
    configSource,
    configTargetExists: await exists(path.join(inputs.envDir, 'config.toml'), trees),
    prompts,
    initScript,
  };
  return { facts, authFile, contents, warnings };
}

/** `--auth_file`/`CODEX_AUTH_FILE`, else the first usable auth.json in the search order (R9). */
async function findAuthFile(
  inputs: HomeInputs,
  search: SearchInputs,
  trees: readonly string[],
  warnings: string[],
): Promise<string | undefined> {
  const explicit =
    inputs.authFlag !== undefined
      ? { input: inputs.authFlag, what: '--auth_file' }
      : inputs.ctx.env.CODEX_AUTH_FILE === undefined
        ? undefined
        : { input: inputs.ctx.env.CODEX_AUTH_FILE, what: 'CODEX_AUTH_FILE' };
  return findLoginFile(explicit, listAuthCandidates(search), inputs.ctx.cwd, trees, warnings);
}

/**
 * A login file to mount (auth.json, an agent's credential): one named by a flag or variable
 * must be a readable file; otherwise the first usable, non-empty candidate (an empty one in
 * the Codex home is the mount point Docker left behind).
 */
export async function findLoginFile(
  explicit: { input: string; what: string } | undefined,
  candidates: readonly string[],
  cwd: string,
  trees: readonly string[],
  warnings: string[],
): Promise<string | undefined> {
  if (explicit !== undefined) {
    const resolved = (await resolveInputPath(explicit.input, cwd, explicit.what, 'file', trees)).physical;
    await access(resolved, constants.R_OK).catch(() => {
      throw new UsageError(`${explicit.what} ${JSON.stringify(explicit.input)} is not readable: fix its permissions`);
    });
    return resolved;
  }
  for (const candidate of candidates) {
    const entry = await findUsableEntry(candidate, trees, 'file', warnings);
    if (entry !== undefined && entry.info.size > 0) return entry.physical;
  }
  return undefined;
}

async function firstMatch(
  candidates: readonly string[],
  test: (candidate: string) => Promise<string | undefined>,
): Promise<string | undefined> {
  for (const candidate of candidates) {
    const found = await test(candidate);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The physical path of `candidate` when it is a file (or directory) that, inside an
 * agent-writable tree, resolves beneath that tree; undefined otherwise (with a warning for
 * a link leading out).
 */
export async function findUsable(
  candidate: string,
  trees: readonly string[],
  want: 'file' | 'dir',
  warnings: string[] | undefined,
): Promise<string | undefined> {
  return (await findUsableEntry(candidate, trees, want, warnings))?.physical;
}

async function findUsableEntry(
  candidate: string,
  trees: readonly string[],
  want: 'file' | 'dir',
  warnings: string[] | undefined,
): Promise<HostEntry | undefined> {
  try {
    const entry = await statHostPath(candidate, trees);
    if (entry === undefined) return undefined;
    return (want === 'dir' ? entry.info.isDirectory() : entry.info.isFile()) ? entry : undefined;
  } catch (error) {
    if (error instanceof UnsafePathError && (error.reason === 'link-out' || error.reason === 'loop')) {
      warnings?.push(`ignoring ${candidate}: it is a link leading out of a directory the agent can write`);
      return undefined;
    }
    if (error instanceof UnsafePathError || ['ENOTDIR', 'EACCES', 'ENOENT'].includes(errorCode(error))) return undefined;
    throw error;
  }
}

/** Reads a file to copy (regular, capped); a failure names the file and says what to do. */
export async function readSource(file: string, trees: readonly string[], maxBytes: number, what: string): Promise<Buffer> {
  try {
    return (await readHostFile(file, trees, maxBytes)).bytes;
  } catch (error) {
    if (error instanceof UnsafePathError && error.reason === 'too-large') {
      throw new UsageError(`${what} ${file} is larger than ${maxBytes / 1024 / 1024} MiB: that cannot be right; check the file`);
    }
    const why = error instanceof UnsafePathError ? error.detail : `${file} cannot be read (${errorCode(error)})`;
    throw new UsageError(`${what}: ${why}: replace it with a regular file`);
  }
}

/** Regular files below `dir` (symlinks and special files skipped), read now, with targetExists. */
async function readPrompts(
  dir: string,
  envDir: string,
  trees: readonly string[],
  contents: Map<string, Buffer>,
): Promise<HomeFacts['prompts']> {
  const found = await listTreeFiles(dir, trees, {
    maxFiles: READ_LIMITS.promptFiles,
    maxFileBytes: READ_LIMITS.promptFile,
    maxTotalBytes: READ_LIMITS.promptBytes,
  });
  const files: Array<{ relative: string; targetExists: boolean }> = [];
  // The targets' tree is located and opened once, not once per prompt file.
  await withHostBase(path.join(envDir, 'prompts'), trees, async (statBelow) => {
    for (const file of found) {
      contents.set(path.join(dir, file.relative), file.bytes);
      files.push({
        relative: file.relative,
        targetExists: await existsAs(() => statBelow(file.relative.split(path.sep).join('/'), false)),
      });
    }
  });
  return { dir, files: files.sort((a, b) => a.relative.localeCompare(b.relative)) };
}

/** lstat semantics, so a dangling symlink counts as "exists" and is never written through. */
export async function exists(target: string, trees: readonly string[]): Promise<boolean> {
  return existsAs(() => statHostPath(target, trees, false));
}

async function existsAs(lstatTarget: () => Promise<HostEntry | undefined>): Promise<boolean> {
  try {
    return (await lstatTarget()) !== undefined;
  } catch (error) {
    if (error instanceof UnsafePathError || errorCode(error) === 'ENOTDIR') return true;
    throw error;
  }
}
