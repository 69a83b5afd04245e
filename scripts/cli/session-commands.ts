import type { CommandModule } from 'yargs';
import type { HostContext } from '../host/host-context.js';
import { readSingleValue } from './flag-values.js';

type SetExitCode = (code: number) => void;

const nameOption = { type: 'string', describe: 'session name (default: the only running session of the current directory)' } as const;
const forceOption = (describe: string) => ({ type: 'boolean', default: false, describe }) as const;

/** list, attach, stop, destroy, push, pull: yargs command modules for main.ts. */
export function sessionCommandModules(ctx: HostContext, setExitCode: SetExitCode): CommandModule[] {
  return [
    {
      command: 'list',
      describe: 'list sessions and running sandbox containers (found by label): list [--all|--running|--stopped] [--format table|json|names] [--filter key=value]',
      builder: (y) =>
        y
          .option('all', { type: 'boolean', describe: 'every sandbox container, stopped plain runs included' })
          .option('running', { type: 'boolean', describe: 'only running containers' })
          .option('stopped', { type: 'boolean', describe: 'only stopped containers' })
          .option('format', { type: 'string', describe: 'table (default), json (an array of {name, container, status, workdir, workdirs, image, created, runId}) or names' })
          .option('filter', { type: 'string', describe: 'key=value with key name, workdir, image or status (repeatable; all must match)' }),
      handler: async (args) => {
        const { listCommand, toListOptions } = await import('./list-command.js');
        setExitCode(await listCommand(toListOptions(args), ctx));
      },
    },
    {
      command: 'attach [name]',
      describe: 'a shell (or -- CMD…) inside a running session, as the agent user: attach [NAME] [-- CMD…]',
      builder: (y) => y.positional('name', { type: 'string', describe: 'session name (default: the only running session of the current directory)' }),
      handler: async (args) => {
        const command = ((args['--'] as unknown[] | undefined) ?? []).map(String);
        setExitCode(await (await import('./attach-command.js')).attachCommand(readSingleValue(args.name, 'NAME'), command, ctx));
      },
    },
    {
      command: 'stop [name]',
      describe: 'stop a session (docker stop; re-enter it later with --name): stop [NAME] [--all]',
      builder: (y) =>
        y
          .positional('name', { type: 'string', describe: 'session name (default: the only running session of the current directory)' })
          .option('all', { type: 'boolean', default: false, describe: 'every running session' }),
      handler: async (args) =>
        setExitCode(await (await import('./stop-destroy-command.js')).stopCommand({ name: readSingleValue(args.name, 'NAME'), all: args.all === true, stopped: false, force: false }, ctx)),
    },
    {
      command: 'destroy [name]',
      describe: 'remove sessions (docker rm -f); more than one needs confirmation or --force: destroy [NAME] [--all] [--stopped] [--force]',
      builder: (y) =>
        y
          .positional('name', { type: 'string', describe: 'session name (default: the only session of the current directory)' })
          .option('all', { type: 'boolean', default: false, describe: 'every session' })
          .option('stopped', { type: 'boolean', default: false, describe: 'every stopped session' })
          .option('force', forceOption('do not ask before removing several sessions')),
      handler: async (args) =>
        setExitCode(
          await (await import('./stop-destroy-command.js')).destroyCommand(
            { name: readSingleValue(args.name, 'NAME'), all: args.all === true, stopped: args.stopped === true, force: args.force === true },
            ctx,
          ),
        ),
    },
    {
      command: 'push <paths..>',
      describe: "copy host files or directories into a running session's workdir, owned by the agent: push [--name NAME] PATH…",
      builder: (y) =>
        y
          .positional('paths', { type: 'string', array: true, describe: 'host paths (symlinks are copied as links)' })
          .option('name', nameOption)
          .option('force', forceOption('overwrite what already exists in the workdir')),
      handler: async (args) => {
        const paths = ((args.paths as unknown[] | undefined) ?? []).map(String);
        setExitCode(await (await import('./push-pull-command.js')).pushCommand({ name: readSingleValue(args.name, '--name'), paths, force: args.force === true }, ctx));
      },
    },
    {
      command: 'pull <container-path> [dest-dir]',
      describe: 'copy a file or directory out of a running session into DEST_DIR (default: .): pull [--name NAME] CONTAINER_PATH [DEST_DIR]',
      builder: (y) =>
        y
          .positional('container-path', { type: 'string', describe: 'path in the session; relative paths start at its workdir' })
          .positional('dest-dir', { type: 'string', describe: 'existing host directory (default: current directory)' })
          .option('name', nameOption)
          .option('force', forceOption('overwrite existing host files')),
      handler: async (args) => {
        setExitCode(
          await (await import('./push-pull-command.js')).pullCommand(
            {
              name: readSingleValue(args.name, '--name'),
              containerPath: String(args['container-path'] ?? ''),
              dest: readSingleValue(args['dest-dir'], 'DEST_DIR'),
              force: args.force === true,
            },
            ctx,
          ),
        );
      },
    },
  ];
}
