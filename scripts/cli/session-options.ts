import type { Argv } from 'yargs';
import { UsageError } from '../core/errors.js';
import { validateSessionName } from '../core/session-identity.js';

/** `--name NAME [--keep] [--replace|--parallel] [--strict-mounts]`: a named session. */
export interface SessionOptions {
  name: string;
  keep: boolean;
  replace: boolean;
  parallel: boolean;
  strictMounts: boolean;
}

export function declareSessionOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('name', { type: 'string', describe: 'run in the named session (a container found by its label; re-entered if it exists)' })
    .option('keep', { type: 'boolean', describe: 'with --name: leave the session running after the command exits' })
    .option('replace', { type: 'boolean', describe: 'with --name: remove an existing session of that name first' })
    .option('parallel', { type: 'boolean', describe: 'with --name: always start a new session (NAME-2, NAME-3, … when taken)' })
    .option('strict-mounts', { type: 'boolean', describe: 'with --name: refuse to re-enter a session whose mounts differ from the ones asked for' });
}

/** Reads the session flags; undefined without --name (the others then are usage errors). */
export function toSessionOptions(argv: Record<string, unknown>): SessionOptions | undefined {
  const flags = { keep: argv.keep, replace: argv.replace, parallel: argv.parallel, strictMounts: argv['strict-mounts'] };
  const name = argv.name;
  if (Array.isArray(name)) throw new UsageError('--name was given more than once: give it once');
  if (name === undefined) {
    const stray = Object.entries(flags).find(([, value]) => value !== undefined);
    if (stray !== undefined) {
      const flag = stray[0] === 'strictMounts' ? 'strict-mounts' : stray[0];
      throw new UsageError(`--${flag} needs --name NAME: sessions are named`);
    }
    return undefined;
  }
  if (typeof name !== 'string') throw new UsageError('--name needs a value');
  const options: SessionOptions = {
    name: validateSessionName(name),
    keep: flags.keep === true,
    replace: flags.replace === true,
    parallel: flags.parallel === true,
    strictMounts: flags.strictMounts === true,
  };
  if (options.replace && options.parallel) {
    throw new UsageError('--replace and --parallel contradict each other: --replace reuses the name, --parallel picks a new one; give one');
  }
  return options;
}

/** Adds the session flags to parsed run options (absent without --name). */
export function withSession<T extends object>(options: T, argv: Record<string, unknown>): T & { session?: SessionOptions } {
  const session = toSessionOptions(argv);
  return session === undefined ? options : { ...options, session };
}
