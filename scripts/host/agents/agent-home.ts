import path from 'node:path';
import { listAgentHostDirs, type AgentHomeFacts } from '../../core/agents/agent-home-plan.js';
import { AGENTS, type AgentId } from '../../core/agents/agents.js';
import { UsageError } from '../../core/errors.js';
import { READ_LIMITS } from '../../core/read-limits.js';
import { exists, findLoginFile, findUsable, readSource } from './codex-home.js';
import { credentialStoreDir, STORED_API_KEY_FILE } from './credential-store.js';
import type { HostContext } from '../host-context.js';
import { UnsafePathError } from '../tree/unsafe-path-error.js';
import { readHostFile } from '../tree/read-host-file.js';

export interface AgentHomeInputs {
  agent: AgentId;
  /** The per-project Codex home: the agent's home is below it (R121). */
  envDir: string;
  /** Every tree the agent can write. */
  trees: readonly string[];
  /** `--auth_file`: this agent's login file, mounted read-only. */
  authFlag?: string;
  ctx: HostContext;
}

export interface AgentHomeInspection {
  facts: AgentHomeFacts;
  /** The login file to mount read-only (its physical path), if any. */
  credentialFile?: string;
  /** Host variables of the registry's `keyEnv` that are set: passed by name (R125). */
  passEnv: string[];
  /** Variables the launcher itself hands to docker (a key stored by `login`), never printed. */
  secretEnv: Record<string, string>;
  /** The bytes of every configuration file to copy, read once now. */
  contents: Map<string, Buffer>;
  warnings: string[];
}

/**
 * Reads (never writes) what an agent other than Codex needs (R121-R125): its configuration
 * files from the host in the registry's search order, its login file, the API keys set on the
 * host or stored by `login`. Files inside an agent-writable tree are read beneath it (R102).
 */
export async function inspectAgentHome(inputs: AgentHomeInputs): Promise<AgentHomeInspection> {
  const { ctx, trees } = inputs;
  const spec = AGENTS[inputs.agent];
  const warnings: string[] = [];
  const contents = new Map<string, Buffer>();
  const storeDir = credentialStoreDir(ctx, inputs.agent);
  const dirs = listAgentHostDirs(inputs.agent, { env: ctx.env, home: ctx.home, ...(storeDir === undefined ? {} : { storeDir }) });
  const home = path.join(inputs.envDir, spec.homeDir);
  const configDir = spec.configDir === '' ? home : path.join(home, spec.configDir);
  const configFiles: Array<{ name: string; from?: string; targetExists: boolean }> = [];
  for (const name of spec.configFiles) {
    let from: string | undefined;
    for (const dir of dirs.config) {
      from = await findUsable(path.join(dir, name), trees, 'file', warnings);
      if (from !== undefined) break;
    }
    if (from !== undefined) contents.set(from, await readSource(from, trees, READ_LIMITS.agentConfig, name));
    configFiles.push({ name, ...(from === undefined ? {} : { from }), targetExists: await exists(path.join(configDir, name), trees) });
  }
  const seeds = [];
  for (const name of Object.keys(spec.seedFiles)) seeds.push({ name, targetExists: await exists(path.join(configDir, name), trees) });
  const facts: AgentHomeFacts = {
    agent: inputs.agent,
    home,
    homeExists: await exists(home, trees),
    configDir,
    configDirExists: await exists(configDir, trees),
    configFiles,
    seeds,
  };
  const credentialFile = await findCredential(inputs, dirs.credential, warnings);
  const passEnv = spec.keyEnv.filter((name) => ctx.env[name] !== undefined);
  const secretEnv = await readStoredKey(inputs.agent, storeDir, inputs);
  if (credentialFile === undefined && !spec.keyEnv.some((name) => ctx.env[name] !== undefined) && Object.keys(secretEnv).length === 0) {
    warnings.push(
      `no ${spec.title} login or API key found: log in with \`run-in-container login --agent ${spec.id}\`` +
        (spec.storedKeyEnv === undefined ? '' : `, or set ${spec.storedKeyEnv}`),
    );
  }
  return { facts, ...(credentialFile === undefined ? {} : { credentialFile }), passEnv, secretEnv, contents, warnings };
}

/** `--auth_file` (must be readable), else the first non-empty login file of the search order. */
async function findCredential(inputs: AgentHomeInputs, dirs: readonly string[], warnings: string[]): Promise<string | undefined> {
  const name = AGENTS[inputs.agent].credentialFile;
  const explicit = inputs.authFlag === undefined ? undefined : { input: inputs.authFlag, what: '--auth_file' };
  return findLoginFile(
    explicit,
    dirs.map((dir) => path.join(dir, name)),
    inputs.ctx.cwd,
    inputs.trees,
    warnings,
  );
}

/**
 * A key stored by `login --with-api-key`, unless the host's own variable is set (it wins).
 * Read as any host file (R102): the store is under HOME, which a workdir below it may hold.
 */
async function readStoredKey(agent: AgentId, storeDir: string | undefined, inputs: AgentHomeInputs): Promise<Record<string, string>> {
  const variable = AGENTS[agent].storedKeyEnv;
  if (variable === undefined || storeDir === undefined || inputs.ctx.env[variable] !== undefined) return {};
  const file = path.join(storeDir, STORED_API_KEY_FILE);
  let bytes: Buffer;
  try {
    bytes = (await readHostFile(file, inputs.trees, READ_LIMITS.credential)).bytes;
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
