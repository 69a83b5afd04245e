import type { Argv } from 'yargs';
import { UsageError } from '../core/errors.js';
import { readRepeatedValues, readSingleValue } from './flag-values.js';
import { declareEgressOptions, toEgressOptions, type EgressOptions } from './egress-options.js';
import type { SessionOptions } from './session-options.js';

/** Typed options shared by the default command (codex) and `shell`. */
export interface RunOptions {
  workDir?: string;
  /** More workdirs (repeated --work_dir or positional DIR…); absent: just one. */
  extraWorkDirs?: string[];
  /** `--name` and friends (cli/session-options.ts); absent: a plain run. */
  session?: SessionOptions;
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
  /** --allow, --deny, --allow-host-port, --proxy, --ca-cert, --no-provider-allow (issue 5). */
  egress: EgressOptions;
  /** `--repo URL [--ref REF] [--repo-dir NAME]`: clone into the workdir first (issue 4). */
  repo?: string;
  repoRef?: string;
  repoDir?: string;
  /** `--track`: record the workdir before and after the run (see `diff`). */
  track?: boolean;
  /** `--protect-git`: each workdir's .git mounted read-only. */
  protectGit?: boolean;
}

/** Declares the run options on a yargs command (both spellings where the seed had two). */
export function declareRunOptions<T>(yargs: Argv<T>) {
  return declareEgressOptions(yargs)
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
    .option('dry-run', { type: 'boolean', default: false, describe: 'validate everything, change nothing, print the docker argv as JSON on stdout' })
    .option('repo', { type: 'string', describe: 'clone this http(s) repository into the workdir (or fetch it) before the agent starts; its host must be allowed' })
    .option('ref', { type: 'string', describe: 'branch, tag or commit to check out with --repo' })
    .option('repo-dir', { type: 'string', describe: 'directory name for --repo inside the workdir (default: from the URL)' })
    .option('track', { type: 'boolean', describe: 'record the workdir before and after the run; show it with `run-in-container diff`' })
    .option('protect-git', { type: 'boolean', describe: "mount each workdir's .git read-only (history readable, not changeable)" });
}

/**
 * Maps yargs' parsed argv to RunOptions. With `dirs` (the default command and `shell`),
 * positional words are more workdirs (after any --work_dir); otherwise they are refused
 * (codex args go after --). Repeated --work_dir gives several workdirs too.
 */
export function toRunOptions(argv: Record<string, unknown>, options: { dirs?: boolean } = {}): RunOptions {
  const positional = (argv._ as unknown[] | undefined) ?? [];
  const extra = positional.filter((word, index) => !(index === 0 && (word === 'shell' || word === 'run' || word === 'exec')));
  // `$0 [dirs..]` / `shell [dirs..]` declare them, so yargs hands them over as `dirs`.
  if (Array.isArray(argv.dirs)) extra.push(...(argv.dirs as unknown[]));
  if (extra.length > 0 && options.dirs !== true) {
    throw new UsageError(`unexpected argument ${JSON.stringify(String(extra[0]))}: pass arguments for the command after --`);
  }
  // Empty values pass through: the workdir rules answer "--work_dir is empty: give a path".
  const workDirFlags = argv.work_dir === undefined ? [] : ([] as unknown[]).concat(argv.work_dir).map(String);
  const [workDir, ...extraWorkDirs] = [...workDirFlags, ...extra.map(String)];
  return {
    workDir,
    ...(extraWorkDirs.length > 0 ? { extraWorkDirs } : {}),
    config: readSingleValue(argv.config, '--config', { allowEmpty: true }),
    authFile: readSingleValue(argv.auth_file, '--auth_file', { allowEmpty: true }),
    initScript: readSingleValue(argv.init_script, '--init_script', { allowEmpty: true }),
    readOnly: readRepeatedValues(argv['read-only'], '--read-only'),
    sessionsPath: readSingleValue(argv['sessions-path'], '--sessions-path', { allowEmpty: true }),
    codexHome: readSingleValue(argv['codex-home'], '--codex-home', { allowEmpty: true }),
    yes: argv.yes === true,
    image: readSingleValue(argv.image, '--image', { allowEmpty: true }),
    network: readSingleValue(argv.network, '--network', { allowEmpty: true }),
    dns: readRepeatedValues(argv.dns, '--dns'),
    dryRun: argv['dry-run'] === true,
    passThrough: ((argv['--'] as unknown[] | undefined) ?? []).map(String),
    egress: toEgressOptions(argv),
    ...repoOptions(argv),
  };
}

/** Issue 4's clone/track/protect-git flags; absent keys stay absent so plain runs are unchanged. */
function repoOptions(argv: Record<string, unknown>): Pick<RunOptions, 'repo' | 'repoRef' | 'repoDir' | 'track' | 'protectGit'> {
  const repo = readSingleValue(argv.repo, '--repo', { allowEmpty: true });
  const repoRef = readSingleValue(argv.ref, '--ref', { allowEmpty: true });
  const repoDir = readSingleValue(argv['repo-dir'], '--repo-dir', { allowEmpty: true });
  if (repo === undefined && (repoRef !== undefined || repoDir !== undefined)) {
    throw new UsageError(`--${repoRef !== undefined ? 'ref' : 'repo-dir'} needs --repo URL`);
  }
  return {
    ...(repo === undefined ? {} : { repo }),
    ...(repoRef === undefined ? {} : { repoRef }),
    ...(repoDir === undefined ? {} : { repoDir }),
    ...(argv.track === true ? { track: true } : {}),
    ...(argv['protect-git'] === true ? { protectGit: true } : {}),
  };
}
