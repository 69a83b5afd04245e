import type { CommandModule } from 'yargs';
import { UsageError } from '../core/errors.js';
import type { HostContext } from '../host/host-context.js';

/** `diff [NAME|RUN] [--stat] [--list] [--work_dir DIR]`, as a yargs command module for main.ts. */
export function diffCommandModule(ctx: HostContext, setExitCode: (code: number) => void): CommandModule {
  return {
    command: 'diff [target]',
    describe: 'show what a --track run changed in the workdir: diff [RUN|SESSION] (default: the last tracked run)',
    builder: (y) =>
      y
        .positional('target', { type: 'string', describe: 'run id (8 hex, printed when the run starts) or session name' })
        .option('work_dir', { alias: 'work-dir', type: 'string', describe: 'workdir whose runs to show (default: current directory)' })
        .option('stat', { type: 'boolean', default: false, describe: 'only a per-file summary (like git diff --stat)' })
        .option('list', { type: 'boolean', default: false, describe: 'list the tracked runs of the workdir, newest first' }),
    handler: async (args) => {
      const record = args as Record<string, unknown>;
      if ((record._ as unknown[]).length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(String((record._ as unknown[])[1]))}`);
      if (Array.isArray(record.work_dir)) throw new UsageError('--work_dir was given more than once: give it once');
      const target = record.target === undefined ? undefined : String(record.target);
      const workDir = typeof record.work_dir === 'string' ? record.work_dir : undefined;
      const { diffCommand } = await import('./diff-command.js');
      setExitCode(await diffCommand({ target, workDir, stat: record.stat === true, list: record.list === true }, ctx));
    },
  };
}
