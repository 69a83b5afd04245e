import { UsageError } from '../errors.js';

/** The container engines the launcher drives (R173). */
export const ENGINE_NAMES = ['docker', 'podman'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/**
 * The engine every command of one invocation uses, and why it was chosen (`doctor` says so).
 * `rootless`: Podman run by a user other than root. The container's root is then an
 * unprivileged host id, and the agent keeps the host user's uid (`--userns keep-id`, R175).
 */
export interface Engine {
  name: EngineName;
  rootless: boolean;
  reason: string;
}

/** What is on PATH: `docker` may itself be Podman's Docker-compatible wrapper (podman-docker). */
export interface InstalledEngines {
  docker: boolean;
  podman: boolean;
}

export interface EngineRequest {
  /** `--engine` */
  flag?: string;
  /** `CONTAINER_ENGINE` */
  env?: string;
  installed: InstalledEngines;
  uid: number;
}

/** `--engine`'s and CONTAINER_ENGINE's value, checked (bad input exits 2 before anything runs). */
export function parseEngineName(value: string, source: string): EngineName {
  const name = value.trim().toLowerCase();
  if ((ENGINE_NAMES as readonly string[]).includes(name)) return name as EngineName;
  throw new UsageError(`${source} ${JSON.stringify(value)} is not an engine: use docker or podman`);
}

/**
 * R173: the flag, else CONTAINER_ENGINE, else the only engine installed; with both (or
 * neither) installed, docker, the engine every earlier version used. A named engine that is
 * missing is still chosen: its first call says how to install it.
 */
export function chooseEngine(request: EngineRequest): Engine {
  const make = (name: EngineName, reason: string): Engine => ({ name, rootless: name === 'podman' && request.uid !== 0, reason });
  if (request.flag !== undefined) return make(parseEngineName(request.flag, '--engine'), '--engine');
  if (request.env !== undefined) return make(parseEngineName(request.env, 'CONTAINER_ENGINE'), 'CONTAINER_ENGINE');
  const { docker, podman } = request.installed;
  if (podman && !docker) return make('podman', 'only podman is installed');
  if (docker && !podman) return make('docker', 'only docker is installed');
  if (docker && podman) return make('docker', 'both are installed (choose with --engine or CONTAINER_ENGINE)');
  return make('docker', 'neither docker nor podman is on PATH');
}

/** `podman (rootless)` etc., for messages and `doctor`. */
export function describeEngine(engine: Pick<Engine, 'name' | 'rootless'>): string {
  if (engine.name === 'docker') return 'docker';
  return engine.rootless ? 'podman (rootless)' : 'podman (rootful)';
}

/**
 * Every engine call is written for docker; this is the one place it becomes Podman's (R174,
 * R175). `run`/`create` under rootless Podman get `--userns keep-id` (the agent's files belong
 * to the host user), `--user 0:0` (keep-id would start as that user: the entrypoint needs the
 * container's root, an unprivileged host id there) and `--passwd=false` (keep-id would add
 * the host user to /etc/passwd, clashing with the entrypoint's own mapping).
 */
export function adaptEngineArgs(engine: Pick<Engine, 'name' | 'rootless'>, argv: readonly string[]): string[] {
  if (engine.name === 'docker') return [...argv];
  if (argv[0] === 'ps') return adaptQueryArgs(engine.name, argv);
  if (argv[0] !== 'run' && argv[0] !== 'create') return [...argv];
  refuseHostGateway(argv);
  return engine.rootless ? [argv[0], '--userns', 'keep-id', '--user', '0:0', '--passwd=false', ...argv.slice(1)] : [...argv];
}

/** Podman 4 has no `host-gateway` (--allow-host-port, a proxy on the host's loopback): refused, never run without it (R176). */
function refuseHostGateway(argv: readonly string[]): void {
  const entry = argv.find((arg, index) => argv[index - 1] === '--add-host' && arg.endsWith(':host-gateway'));
  if (entry !== undefined) throw new UsageError(HOST_GATEWAY_REFUSAL);
}

export const HOST_GATEWAY_REFUSAL =
  "--allow-host-port and a proxy on the host's loopback need Docker's host-gateway, which Podman lacks: use --engine docker, " +
  'or reach the service by a host name or address the container can resolve';

/**
 * The queries are written in docker's template dialect; Podman's `ps` has no `.Label "K"`
 * function and its `.State` is the status text ("Up 3 seconds"), so for Podman those two
 * become `index .Labels "K"` and `.ListContainer.State` (R174). Only `--format` values change.
 */
export function adaptQueryArgs(engine: EngineName, argv: readonly string[]): string[] {
  if (engine === 'docker' || argv[0] !== 'ps') return [...argv];
  return argv.map((arg, index) => (argv[index - 1] === '--format' ? translatePsFormat(arg) : arg));
}

function translatePsFormat(format: string): string {
  return format.replace(/\.Label ("(?:[^"\\]|\\.)*")/g, 'index .Labels $1').replace(/\.State\b/g, '.ListContainer.State');
}
