import type { Argv } from 'yargs';
import type { RunOptions } from '../app/run-options.js';
import { AGENT_IDS } from '../core/agents/agents.js';
import { UsageError } from '../core/errors.js';
import { readAgentFlag, readFlag, readPassThrough, readRepeatedValues, readSingleValue } from './flag-values.js';
import { declareEgressFlags, toEgressFlags } from './egress-flags.js';
import { toSessionOptions } from './session-flags.js';

/** The run flags of the default command, `shell` and `exec` (both spellings where the original wrapper had two; R2). */
export function declareRunFlags<T>(yargs: Argv<T>) {
  return declareEgressFlags(yargs)
    .option('agent', { type: 'string', describe: `agent to run: ${AGENT_IDS.join(', ')} (default codex; also [run] agent in settings)` })
    .option('work_dir', {
      alias: 'work-dir',
      type: 'string',
      describe: 'project directory to mount at /app<path> (default: current directory)',
    })
    .option('config', { type: 'string', describe: 'config.toml, or a directory containing it; copied into the Codex home on every run' })
    .option('auth_file', { alias: 'auth-file', type: 'string', describe: 'auth.json to mount read-only (also CODEX_AUTH_FILE)' })
    .option('init_script', {
      alias: 'init-script',
      type: 'string',
      describe: 'script copied to .codex/.environment/init.sh and run as the agent user before the command',
    })
    .option('read-only', { type: 'string', describe: 'host path mounted read-only at /app<path> (repeatable)' })
    .option('sessions-path', { type: 'string', describe: 'where Codex sessions are kept (default .codex/.environment/sessions)' })
    .option('codex-home', { type: 'string', describe: 'per-project Codex home (default WORK_DIR/.codex/.environment)' })
    .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'accept writable mounts outside the workdir without asking' })
    .option('image', { type: 'string', describe: 'sandbox image (default CODEX_DOCKER_IMAGE or codex-sandbox:latest)' })
    .option('network', { type: 'string', describe: 'attach to an existing docker network (e.g. your compose project)' })
    .option('dns', { type: 'string', describe: 'upstream DNS server for allowlisted names (repeatable)' })
    .option('dry-run', {
      type: 'boolean',
      default: false,
      describe: 'validate everything, change nothing, print the docker argv as JSON on stdout',
    })
    .option('repo', {
      type: 'string',
      describe: 'clone this http(s) repository into the workdir (or fetch it) before the agent starts; its host must be allowed',
    })
    .option('ref', { type: 'string', describe: 'branch, tag or commit to check out with --repo' })
    .option('repo-dir', { type: 'string', describe: 'directory name for --repo inside the workdir (default: from the URL)' })
    .option('secret', {
      type: 'string',
      describe:
        'NAME=HOST[,HOST…]: the agent sees a placeholder in $NAME; the proxy puts the real value (from your $NAME) ' +
        'into requests to those hosts only (repeatable; the hosts must be allowed)',
    })
    .option('secret-from', {
      type: 'string',
      describe:
        "take the value of a --secret from this host command's output, e.g. 'gh auth token' (pairs with the --secret flags in order)",
    })
    .option('track', { type: 'boolean', describe: 'record the workdir before and after the run; show it with `run-in-container diff`' })
    .option('protect-git', { type: 'boolean', describe: "mount each workdir's .git read-only (history readable, not changeable)" })
    .option('egress-log', {
      type: 'string',
      describe:
        'append the egress record (schema v1 JSON lines, docs/egress-record.md) to FILE when the run, or each session ' +
        'command, ends; FILE must lie outside the workdirs and the Codex home',
    });
}

/**
 * Maps yargs' parsed argv to RunOptions. With `dirs` (the default command and `shell`),
 * positional words are more workdirs (after any --work_dir); otherwise they are refused
 * (codex args go after --). Repeated --work_dir gives several workdirs too; `--name` and its
 * companions make it a session.
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
    yes: readFlag(argv.yes, '--yes'),
    image: readSingleValue(argv.image, '--image', { allowEmpty: true }),
    network: readSingleValue(argv.network, '--network', { allowEmpty: true }),
    dns: readRepeatedValues(argv.dns, '--dns'),
    dryRun: readFlag(argv['dry-run'], '--dry-run'),
    ...readAgentFlag(argv.agent),
    passThrough: readPassThrough(argv['--']),
    egress: toEgressFlags(argv),
    ...secretOptions(argv),
    ...repoOptions(argv),
    ...sessionOf(argv),
    ...egressLogOf(argv),
  };
}

/** `--secret` and `--secret-from` (R163): absent unless given, so plain runs are unchanged. */
function secretOptions(argv: Record<string, unknown>): Pick<RunOptions, 'secrets'> {
  const secrets = readRepeatedValues(argv.secret, '--secret');
  const commands = readRepeatedValues(argv['secret-from'], '--secret-from');
  return secrets.length === 0 && commands.length === 0 ? {} : { secrets: { secrets, commands } };
}

/** `--egress-log FILE` (R171): absent unless given; an empty value is refused when it is resolved. */
function egressLogOf(argv: Record<string, unknown>): Pick<RunOptions, 'egressLog'> {
  const egressLog = readSingleValue(argv['egress-log'], '--egress-log', { allowEmpty: true });
  return egressLog === undefined ? {} : { egressLog };
}

function sessionOf(argv: Record<string, unknown>): Pick<RunOptions, 'session'> {
  const session = toSessionOptions(argv);
  return session === undefined ? {} : { session };
}

/** Clone/track/protect-git flags (R53-R55); absent keys stay absent so plain runs are unchanged. */
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
    ...(readFlag(argv.track, '--track') ? { track: true } : {}),
    ...(readFlag(argv['protect-git'], '--protect-git') ? { protectGit: true } : {}),
  };
}
