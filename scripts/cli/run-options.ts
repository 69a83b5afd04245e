import type { Argv } from 'yargs';
import { UsageError } from '../core/errors.js';

/** Typed options shared by the default command (codex) and `shell`. */
export interface RunOptions {
  workDir?: string;
  config?: string;
  authFile?: string;
  initScript?: string;
  readOnly: string[];
  sessionsPath?: string;
  codexHome?: string;
  yes: boolean;
  image?: string;
  network?: string;
  dns: string[];
  dryRun: boolean;
  /** Everything after `--`, untouched. */
  passThrough: string[];
}

/** Declares the run options on a yargs command (both spellings where the seed had two). */
export function declareRunOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('work_dir', { alias: 'work-dir', type: 'string', describe: 'project directory to mount at /app<path> (default: current directory)' })
    .option('config', { type: 'string', describe: 'config.toml, or a directory containing it; copied into the Codex home on every run' })
    .option('auth_file', { alias: 'auth-file', type: 'string', describe: 'auth.json to mount read-only (also CODEX_AUTH_FILE)' })
    .option('init_script', { alias: 'init-script', type: 'string', describe: 'script copied to .codex/.environment/init.sh and run as the agent user before the command' })
    .option('read-only', { type: 'string', describe: 'host path mounted read-only at /app<path> (repeatable)' })
    .option('sessions-path', { type: 'string', describe: 'where Codex sessions are kept (default .codex/.environment/sessions)' })
    .option('codex-home', { type: 'string', describe: 'per-project Codex home (default WORK_DIR/.codex/.environment)' })
    .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'accept writable mounts outside the workdir without asking' })
    .option('image', { type: 'string', describe: 'sandbox image (default CODEX_DOCKER_IMAGE or codex-sandbox:latest)' })
    .option('network', { type: 'string', describe: 'attach to an existing docker network (e.g. your compose project)' })
    .option('dns', { type: 'string', describe: 'upstream DNS server for allowlisted names (repeatable)' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'validate everything, change nothing, print the docker argv as JSON on stdout' });
}

/** One string, or the last one when a single-valued flag was repeated. */
function single(value: unknown, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new UsageError(`--${flag} was given more than once: give it once`);
  if (typeof value !== 'string') throw new UsageError(`--${flag} needs a value`);
  return value;
}

function many(value: unknown, flag: string): string[] {
  if (value === undefined) return [];
  const values = Array.isArray(value) ? value : [value];
  return values.map((entry) => {
    if (typeof entry !== 'string' || entry === '') throw new UsageError(`--${flag} needs a non-empty value`);
    return entry;
  });
}

/** Maps yargs' parsed argv to RunOptions; positional words are refused (codex args go after --). */
export function toRunOptions(argv: Record<string, unknown>): RunOptions {
  const positional = (argv._ as unknown[] | undefined) ?? [];
  const extra = positional.filter((word, index) => !(index === 0 && (word === 'shell' || word === 'run')));
  if (extra.length > 0) {
    throw new UsageError(`unexpected argument ${JSON.stringify(String(extra[0]))}: pass arguments for the command after --`);
  }
  return {
    workDir: single(argv.work_dir, 'work_dir'),
    config: single(argv.config, 'config'),
    authFile: single(argv.auth_file, 'auth_file'),
    initScript: single(argv.init_script, 'init_script'),
    readOnly: many(argv['read-only'], 'read-only'),
    sessionsPath: single(argv['sessions-path'], 'sessions-path'),
    codexHome: single(argv['codex-home'], 'codex-home'),
    yes: argv.yes === true,
    image: single(argv.image, 'image'),
    network: single(argv.network, 'network'),
    dns: many(argv.dns, 'dns'),
    dryRun: argv['dry-run'] === true,
    passThrough: ((argv['--'] as unknown[] | undefined) ?? []).map(String),
  };
}
