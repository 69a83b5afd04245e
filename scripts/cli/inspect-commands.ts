import type { CommandModule } from 'yargs';
import { UsageError } from '../core/errors.js';
import type { HostContext } from '../host/host-context.js';
import { readSingleValue } from './flag-values.js';

type Args = Record<string, unknown>;

function noExtraWords(args: Args, allowed: number): void {
  const words = (args._ as unknown[] | undefined) ?? [];
  if (words.length > allowed) throw new UsageError(`unexpected argument ${JSON.stringify(String(words[allowed]))} (see --help)`);
}

const WORK_DIR = { alias: 'work-dir', type: 'string', describe: 'project directory (default: current directory)' } as const;

/** `trust [--revoke]`, `egress [RUN|--last] [--json]` and `doctor [--json]` (issue 5). */
export function inspectCommandModules(ctx: HostContext, setExitCode: (code: number) => void): CommandModule[] {
  return [
    {
      command: 'trust',
      describe: "approve the workdir's .codex/sandbox.ini (shows the policy it sets; records its hash in ~/.config/codex-sandbox/trust.json)",
      builder: (y) =>
        y.option('work_dir', WORK_DIR).option('revoke', { type: 'boolean', default: false, describe: 'forget the approval: runs refuse the file again' }),
      handler: async (args) => {
        noExtraWords(args, 1);
        setExitCode(await (await import('./trust-command.js')).trustCommand({ workDir: readSingleValue(args['work_dir'], '--work_dir'), revoke: args.revoke === true }, ctx));
      },
    },
    {
      command: 'egress [run]',
      describe: 'show what a run of this workdir reached and was refused: egress [RUN|--last] [--allowed|--blocked] [--json] (default: the last run)',
      builder: (y) =>
        y
          .positional('run', { type: 'string', describe: 'run id or a prefix of it (the last part of the container name)' })
          .option('last', { type: 'boolean', default: false, describe: 'the newest run' })
          .option('allowed', { type: 'boolean', describe: 'only the connections that were let through (name, port, count, bytes)' })
          .option('blocked', { type: 'boolean', describe: 'only what was refused, with the reason' })
          .option('json', { type: 'boolean', default: false, describe: 'print {runId, dropped, destinations[]} as JSON' })
          .option('work_dir', WORK_DIR)
          .option('codex-home', { type: 'string', describe: 'the Codex home the run used, if not WORK_DIR/.codex/.environment' }),
      handler: async (args) => {
        noExtraWords(args, 1);
        if (args.allowed === true && args.blocked === true) throw new UsageError('give --allowed or --blocked, not both (neither: everything)');
        const run = args.run === undefined ? undefined : String(args.run);
        setExitCode(
          await (await import('./egress-command.js')).egressCommand(
            { run, last: args.last === true, json: args.json === true, only: args.allowed === true ? 'allowed' : args.blocked === true ? 'refused' : undefined, workDir: readSingleValue(args['work_dir'], '--work_dir'), codexHome: readSingleValue(args['codex-home'], '--codex-home') },
            ctx,
          ),
        );
      },
    },
    {
      command: 'doctor',
      describe: 'check Docker, the engine, the image, iptables/ipset, auth, config, settings trust and proxy/CA; one line each with the fix',
      builder: (y) =>
        y
          .option('json', { type: 'boolean', default: false, describe: 'print an array of {check, ok, detail, fix}' })
          .option('work_dir', WORK_DIR)
          .option('image', { type: 'string', describe: 'sandbox image to check (default CODEX_DOCKER_IMAGE or codex-sandbox:latest)' }),
      handler: async (args) => {
        noExtraWords(args, 1);
        setExitCode(await (await import('./doctor-command.js')).doctorCommand({ json: args.json === true, workDir: readSingleValue(args['work_dir'], '--work_dir'), image: readSingleValue(args['image'], '--image') }, ctx));
      },
    },
  ];
}
