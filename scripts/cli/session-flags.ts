import type { Argv } from 'yargs';
import type { SessionOptions } from '../app/run-options.js';
import { UsageError } from '../core/errors.js';
import { validateSessionName } from '../core/session/session-identity.js';
import type { ListFormat, StateSelection } from '../core/session/session-list.js';
import type { ListOptions } from '../app/list.js';
import { readFlag, readRepeatedValues, readSingleValue, refuseExtraWords } from './flag-values.js';

export function declareSessionFlags<T>(yargs: Argv<T>) {
  return yargs
    .option('name', { type: 'string', describe: 'run in the named session (a container found by its label; re-entered if it exists)' })
    .option('keep', { type: 'boolean', describe: 'with --name: leave the session running after the command exits' })
    .option('replace', { type: 'boolean', describe: 'with --name: remove an existing session of that name first' })
    .option('parallel', { type: 'boolean', describe: 'with --name: always start a new session (NAME-2, NAME-3, … when taken)' })
    .option('strict-mounts', {
      type: 'boolean',
      describe: 'with --name: refuse to re-enter a session whose mounts differ from the ones asked for',
    });
}

type SessionArgs = { name?: unknown; keep?: unknown; replace?: unknown; parallel?: unknown; 'strict-mounts'?: unknown };

/** The session flags; undefined without --name (the others then are usage errors). */
export function toSessionOptions(args: SessionArgs): SessionOptions | undefined {
  const flags = { keep: args.keep, replace: args.replace, parallel: args.parallel, 'strict-mounts': args['strict-mounts'] };
  const name = readSingleValue(args.name, '--name');
  if (name === undefined) {
    const stray = Object.entries(flags).find(([, value]) => value !== undefined);
    if (stray !== undefined) throw new UsageError(`--${stray[0]} needs --name NAME: sessions are named`);
    return undefined;
  }
  const options: SessionOptions = {
    name: validateSessionName(name),
    keep: readFlag(flags.keep, '--keep'),
    replace: readFlag(flags.replace, '--replace'),
    parallel: readFlag(flags.parallel, '--parallel'),
    strictMounts: readFlag(flags['strict-mounts'], '--strict-mounts'),
  };
  if (options.replace && options.parallel) {
    throw new UsageError('--replace and --parallel contradict each other: --replace reuses the name, --parallel picks a new one; give one');
  }
  return options;
}

/** `list`'s flags (R43): one state selection, the format, filters. */
export function declareListFlags<T>(yargs: Argv<T>) {
  return yargs
    .option('all', { type: 'boolean', describe: 'every sandbox container, stopped plain runs included' })
    .option('running', { type: 'boolean', describe: 'only running containers' })
    .option('stopped', { type: 'boolean', describe: 'only stopped containers' })
    .option('format', {
      type: 'string',
      describe:
        'table (default), json (an array of {name, container, status, workdir, workdirs, image, created, runId, agent, ' +
        'agentVersion}) or names',
    })
    .option('filter', { type: 'string', describe: 'key=value with key name, workdir, image or status (repeatable; all must match)' });
}

export function toListOptions(args: Record<string, unknown>): ListOptions {
  refuseExtraWords(args._ as unknown[] | undefined);
  const states = (['all', 'running', 'stopped'] as const).filter((state) => readFlag(args[state], `--${state}`));
  if (states.length > 1) throw new UsageError(`--${states[0]} and --${states[1]} contradict each other: give one`);
  const format = readSingleValue(args.format, '--format') ?? 'table';
  if (format !== 'table' && format !== 'json' && format !== 'names') {
    throw new UsageError(`--format ${JSON.stringify(format)} is not a format: use table, json or names`);
  }
  const state: StateSelection = states[0] ?? 'default';
  return { state, format: format as ListFormat, filters: readRepeatedValues(args.filter, '--filter') };
}
