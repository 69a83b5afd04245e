import type { CommandModule } from 'yargs';
import { UsageError } from '../core/errors.js';
import { validatePrompt } from '../core/exec-report.js';
import type { HostContext } from '../host/host-context.js';
import { declareRunOptions, toRunOptions } from './run-options.js';

/** `exec [options] PROMPT [-- codex exec flags…]`, as a yargs command module for main.ts. */
export function execCommandModule(ctx: HostContext, version: string, setExitCode: (code: number) => void): CommandModule {
  return {
    command: 'exec [prompt]',
    describe: 'run `codex exec PROMPT` headless in the sandbox and write a report (run.log, summary.md, exit.json): exec [options] PROMPT [-- codex exec flags…]',
    builder: (y) =>
      declareRunOptions(y)
        .positional('prompt', { type: 'string', describe: 'what the agent should do (one argument: quote it)' })
        .option('out', { type: 'string', describe: 'report directory (new or empty; default WORK_DIR/.codex/runs/<UTC time>-<run id>)' }),
    handler: async (args) => {
      const record = args as Record<string, unknown>;
      if (Array.isArray(record.out)) throw new UsageError('--out was given more than once: give it once');
      if (record.out !== undefined && (typeof record.out !== 'string' || record.out === '')) throw new UsageError('--out needs a directory');
      const out = record.out as string | undefined;
      const { execCommand } = await import('./exec-command.js');
      setExitCode(await execCommand({ ...toRunOptions(record), prompt: validatePrompt(record.prompt), ...(out === undefined ? {} : { out }) }, ctx, version));
    },
  };
}
