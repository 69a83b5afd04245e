import path from 'node:path';
import type { AgentHomeFacts, HomeFacts } from '../../core/agents/agent-home-plan.js';
import { AGENTS, type AgentId } from '../../core/agents/agents.js';
import { listSearchDirs, type SearchDirs, type SearchInputs } from '../../core/agents/search-order.js';
import { UsageError } from '../../core/errors.js';
import { READ_LIMITS } from '../../core/read-limits.js';
import { credentialStoreDir, STORED_API_KEY_FILE } from './credential-store.js';
import { exists, findLoginFile, findUsable, firstMatch, readConfigDir, readSource } from './home-files.js';
import type { HostContext } from '../host-context.js';
import { resolveInputPath, readInputFile } from '../tree/input-path.js';
import { UnsafePathError } from '../tree/unsafe-path-error.js';
import { readHostFile } from '../tree/read-host-file.js';

export interface HomeInputs {
  agent: AgentId;
  workdir: string;
  /** The per-project home (`WORK_DIR/.codex/.environment` or `--codex-home`): every agent's HOME, its home or above it (R121). */
  envDir: string;
  sessionsDir: string;
  /** Every tree the agent can write (workdirs, the per-project home, sessions); default the three above. */
  trees?: readonly string[];
  /** `--config`: the agent's `configFlag` file, or a directory holding it (refused for an agent without one). */
  configFlag?: string;
  /** `--auth_file`: the agent's login file, mounted read-only. */
  authFlag?: string;
  initScript?: string;
  ctx: HostContext;
}

export interface HomeInspection {
  facts: HomeFacts;
  /** The login file to mount read-only (its physical, symlink-free path), if any. */
  credentialFile?: string;
  /** Host variables of the registry's `keyEnv` that are set: passed by name (R125). */
  passEnv: string[];
  /** Variables the launcher itself hands to docker (a key stored by `login`), never printed. */
  secretEnv: Record<string, string>;
  /** The bytes of every file to copy, read once now (R101): what was checked is what is written. */
  contents: Map<string, Buffer>;
  warnings: string[];
}

/**
 * Reads (never writes) everything a run's homes are assembled from (R8-R11, R121-R125), for
 * any agent from its registry entry: its configuration files and directories and its login
 * file in its host search order, the keys set on the host or stored by `login`, the init
 * script. Anything in a tree the agent can write is read beneath that tree (R102).
 */
export async function inspectAgentHome(inputs: HomeInputs): Promise<HomeInspection> {
  const { ctx } = inputs;
  const spec = AGENTS[inputs.agent];
  const trees = inputs.trees ?? [inputs.workdir, inputs.envDir, inputs.sessionsDir];
  const warnings: string[] = [];
  const contents = new Map<string, Buffer>();
  const home = path.join(inputs.envDir, spec.homeDir);
  const configDir = spec.configDir === '' ? home : path.join(home, spec.configDir);
  const storeDir = credentialStoreDir(ctx, inputs.agent);
  const flag = await resolveConfigFlag(inputs, trees, warnings);
  const search: SearchInputs = {
    env: await resolveCheckedEnv(inputs.agent, ctx, trees),
    ...(ctx.home === undefined ? {} : { home: ctx.home }),
    workdir: inputs.workdir,
    projectDir: configDir,
    ...(storeDir === undefined ? {} : { storeDir }),
    ...(flag === undefined ? {} : { configFlag: flag.search }),
  };
  const dirs = listSearchDirs(inputs.agent, search);
  const main = await findMainConfig(inputs.agent, flag?.file, dirs, trees, warnings, contents);
  const configFiles = await findConfigFiles(inputs.agent, dirs, configDir, trees, warnings, contents);
  const credentialFile = await findCredential(inputs, dirs.credential, trees, warnings);
  const passEnv = spec.keyEnv.filter((name) => ctx.env[name] !== undefined);
  const secretEnv = await readStoredKey(inputs.agent, storeDir, ctx, trees);
  warnings.push(...describeMissingLogin(inputs.agent, credentialFile, passEnv, secretEnv));
  const configDirs = await findConfigDirs(inputs.agent, dirs, configDir, trees, contents);
  let initScript: string | undefined;
  if (inputs.initScript !== undefined) {
    const read = await readInputFile(inputs.initScript, ctx.cwd, '--init_script', trees, READ_LIMITS.initScript);
    initScript = read.physical;
    contents.set(initScript, read.bytes);
  }
  const seeds = [];
  for (const name of Object.keys(spec.seedFiles)) seeds.push({ name, targetExists: await exists(path.join(configDir, name), trees) });
  const facts: HomeFacts = {
    envDir: inputs.envDir,
    envDirExists: await exists(inputs.envDir, trees),
    sessionsDir: inputs.sessionsDir,
    sessionsDirExists: await exists(inputs.sessionsDir, trees),
    configSource: main,
    configTargetExists: spec.configFlag !== undefined && (await exists(path.join(configDir, spec.configFlag), trees)),
    initScript,
    agent: {
      agent: inputs.agent,
      home,
      homeExists: await exists(home, trees),
      configDir,
      configDirExists: await exists(configDir, trees),
      configFiles,
      configDirs,
      seeds,
    },
  };
  return { facts, ...(credentialFile === undefined ? {} : { credentialFile }), passEnv, secretEnv, contents, warnings };
}

/** `--config` (R8): the agent's `configFlag` file it names, or the one in the directory it names. */
async function resolveConfigFlag(
  inputs: HomeInputs,
  trees: readonly string[],
  warnings: string[],
): Promise<{ file: string; search: NonNullable<SearchInputs['configFlag']> } | undefined> {
  if (inputs.configFlag === undefined) return undefined;
  const spec = AGENTS[inputs.agent];
  const main = spec.configFlag;
  if (main === undefined) {
    const takes = Object.values(AGENTS).filter((other) => other.configFlag !== undefined);
    const home = spec.hostSearch.flatMap((place) => ('home' in place ? [place.home] : []))[0];
    const env = spec.hostSearch.flatMap((place) => ('env' in place ? [place.env] : []))[0];
    throw new UsageError(
      `--config names ${takes.map((other) => `${other.title}'s ${other.configFlag}`).join(' or ')}: ` +
        `${spec.title} reads its settings from ~/${home}${env === undefined ? '' : ` (or ${env})`}; drop --config`,
    );
  }
  const resolved = await resolveInputPath(inputs.configFlag, inputs.ctx.cwd, '--config', 'any', trees);
  const file = resolved.isDirectory ? await findUsable(path.join(resolved.physical, main), trees, 'file', warnings) : resolved.physical;
  if (file === undefined) {
    throw new UsageError(`--config ${JSON.stringify(inputs.configFlag)} has no ${main}: give the file or a directory containing it`);
  }
  return { file, search: { path: resolved.physical, isDirectory: resolved.isDirectory } };
}

/** The host's variables, a `checked` place's resolved to its physical directory (a missing one is refused). */
async function resolveCheckedEnv(
  agent: AgentId,
  ctx: HostContext,
  trees: readonly string[],
): Promise<Readonly<Record<string, string | undefined>>> {
  const env: Record<string, string | undefined> = { ...ctx.env };
  for (const place of AGENTS[agent].hostSearch) {
    if (!('env' in place) || place.checked !== true) continue;
    const value = ctx.env[place.env];
    if (value !== undefined) env[place.env] = (await resolveInputPath(value, ctx.cwd, place.env, 'directory', trees)).physical;
  }
  return env;
}

/** The `configFlag` file: `--config`'s, else the first usable one of the search; its bytes read now. */
async function findMainConfig(
  agent: AgentId,
  explicit: string | undefined,
  dirs: SearchDirs,
  trees: readonly string[],
  warnings: string[],
  contents: Map<string, Buffer>,
): Promise<HomeFacts['configSource']> {
  const main = AGENTS[agent].configFlag;
  if (main === undefined) return undefined;
  const found =
    explicit ??
    (await firstMatch(
      dirs.config.map((dir) => path.join(dir, main)),
      (candidate) => findUsable(candidate, trees, 'file', warnings),
    ));
  if (found === undefined) return undefined;
  contents.set(found, await readSource(found, trees, READ_LIMITS.configToml, main));
  return { path: found, explicit: explicit !== undefined };
}

/** The other configuration files, each from the first directory of the search that has it, copied when the home lacks it. */
async function findConfigFiles(
  agent: AgentId,
  dirs: SearchDirs,
  configDir: string,
  trees: readonly string[],
  warnings: string[],
  contents: Map<string, Buffer>,
): Promise<Array<AgentHomeFacts['configFiles'][number]>> {
  const spec = AGENTS[agent];
  const files: Array<AgentHomeFacts['configFiles'][number]> = [];
  for (const name of spec.configFiles.filter((file) => file !== spec.configFlag)) {
    const from = await firstMatch(
      dirs.config.map((dir) => path.join(dir, name)),
      (candidate) => findUsable(candidate, trees, 'file', warnings),
    );
    if (from !== undefined) contents.set(from, await readSource(from, trees, READ_LIMITS.agentConfig, name));
    files.push({ name, ...(from === undefined ? {} : { from }), targetExists: await exists(path.join(configDir, name), trees) });
  }
  return files;
}

/** Each of the registry's `configDirs` (R10): the first directory of that name wins, its files read now (a link there: skipped quietly). */
async function findConfigDirs(
  agent: AgentId,
  dirs: SearchDirs,
  configDir: string,
  trees: readonly string[],
  contents: Map<string, Buffer>,
): Promise<Array<AgentHomeFacts['configDirs'][number]>> {
  const found: Array<AgentHomeFacts['configDirs'][number]> = [];
  for (const name of AGENTS[agent].configDirs) {
    const dir = await firstMatch(
      dirs.configDirs.map((candidate) => path.join(candidate, name)),
      (candidate) => findUsable(candidate, trees, 'dir', undefined),
    );
    if (dir !== undefined) found.push({ name, ...(await readConfigDir(dir, path.join(configDir, name), trees, contents)) });
  }
  return found;
}

/** `--auth_file`, else the registry's `credentialEnv` (both must be readable), else the first non-empty login file of the search. */
async function findCredential(inputs: HomeInputs, dirs: readonly string[], trees: readonly string[], warnings: string[]) {
  const spec = AGENTS[inputs.agent];
  const fromEnv = spec.credentialEnv === undefined ? undefined : inputs.ctx.env[spec.credentialEnv];
  const explicit =
    inputs.authFlag !== undefined
      ? { input: inputs.authFlag, what: '--auth_file' }
      : fromEnv === undefined || spec.credentialEnv === undefined
        ? undefined
        : { input: fromEnv, what: spec.credentialEnv };
  const candidates = dirs.map((dir) => path.join(dir, spec.credentialFile));
  return findLoginFile(explicit, candidates, inputs.ctx.cwd, trees, warnings);
}

/** The registry's `missingLogin` when no login file was found, else the generic line when no key is set or stored either. */
function describeMissingLogin(agent: AgentId, credential: string | undefined, passEnv: string[], secretEnv: object): string[] {
  const spec = AGENTS[agent];
  if (credential !== undefined) return [];
  if (spec.missingLogin !== undefined) return [spec.missingLogin];
  if (passEnv.length > 0 || Object.keys(secretEnv).length > 0) return [];
  return [
    `no ${spec.title} login or API key found: log in with \`run-in-container login --agent ${spec.id}\`` +
      (spec.storedKeyEnv === undefined ? '' : `, or set ${spec.storedKeyEnv}`),
  ];
}

/**
 * A key stored by `login --with-api-key`, unless the host's own variable is set (it wins).
 * Read as any host file (R102): the store is under HOME, which a workdir below it may hold.
 */
async function readStoredKey(
  agent: AgentId,
  storeDir: string | undefined,
  ctx: HostContext,
  trees: readonly string[],
): Promise<Record<string, string>> {
  const variable = AGENTS[agent].storedKeyEnv;
  if (variable === undefined || storeDir === undefined || ctx.env[variable] !== undefined) return {};
  const file = path.join(storeDir, STORED_API_KEY_FILE);
  let bytes: Buffer;
  try {
    bytes = (await readHostFile(file, trees, READ_LIMITS.credential)).bytes;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    if (error instanceof UnsafePathError) {
      throw new UsageError(`stored API key: ${error.detail}: store it again with run-in-container login`);
    }
    throw error;
  }
  const text = bytes.toString('utf8').trim();
  if (!/^[\x21-\x7e]+$/.test(text)) {
    throw new UsageError(`${file} is not one key: store it again with run-in-container login --with-api-key`);
  }
  return { [variable]: text };
}
