import type { Argv } from 'yargs';
import type { SessionOptions } from '../app/run-options.js';
import { UsageError } from '../core/errors.js';
import { validateSessionName } from '../core/session-identity.js';
import { readFlag, readSingleValue } from './flag-values.js';

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
