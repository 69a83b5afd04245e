import type { Argv } from 'yargs';
import type { ApproveOptions } from '../app/approve.js';
import type { PolicyChangeOptions } from '../app/policy-change.js';
import type { LiveAction } from '../core/egress/live-policy.js';
import { defineCommand, type DeclaredCommand } from './define-command.js';
import { readFlag, readSingleValue } from './flag-values.js';

/*
 * The live policy's commands (R167): `allow`, `deny` and `approve`, declared like the others
 * in commands.ts (which lists them) with a lazy import of their flow.
 */

const TARGET_FLAGS = <T>(y: Argv<T>) =>
  y
    .option('name', { type: 'string', describe: 'the running session to change' })
    .option('run', { type: 'string', describe: 'the running sandbox with this run id (8 hex digits, or a prefix; see list)' })
    .option('last', { type: 'boolean', default: false, describe: 'the newest running sandbox (of this directory, if any)' });

type TargetArgs = { name?: unknown; run?: unknown; last?: unknown };

function readTarget(args: TargetArgs) {
  const name = readSingleValue(args.name, '--name');
  const run = readSingleValue(args.run, '--run');
  return { ...(name === undefined ? {} : { name }), ...(run === undefined ? {} : { run }), last: readFlag(args.last, '--last') };
}

function declareChange<A extends LiveAction>(action: A): DeclaredCommand<A, PolicyChangeOptions> {
  const what = action === 'allow' ? 'let a running sandbox reach' : 'refuse, in a running sandbox,';
  return defineCommand(
    action,
    `${action} <hosts..>`,
    `${what} HOST (host, *.host or a preset) from now on, without a restart: ${action} HOST… [--name S | --run ID | --last] ` +
      '[--for 10m] [--save]',
    (y) =>
      TARGET_FLAGS(y)
        .positional('hosts', { type: 'string', array: true, describe: 'host, *.host or a preset such as @pypi' })
        .option('for', { type: 'string', describe: 'the change ends after this long (30s, 10m, 2h, 1d; at most 7d)' })
        .option('save', {
          type: 'boolean',
          default: false,
          describe: "also write it to the project's .codex/sandbox.ini ([network] allow/deny), recorded as trusted by you",
        }),
    (args): PolicyChangeOptions => ({
      action,
      hosts: (args.hosts ?? []).map(String),
      selector: readTarget(args),
      ...(args.for === undefined ? {} : { for: readSingleValue(args.for, '--for') ?? '' }),
      save: readFlag(args.save, '--save'),
    }),
    async (options, { ctx }) => (await import('../app/policy-change.js')).policyChangeCommand(options, ctx),
  );
}

export const allowCommand = declareChange('allow');
export const denyCommand = declareChange('deny');

export const approveCommand = defineCommand(
  'approve',
  'approve [run]',
  'answer, in a second terminal, for each name a running sandbox was refused: allow once, allow for this project, or deny ' +
    '(approve [RUN | --name S | --last]; default: every running sandbox)',
  (y) =>
    TARGET_FLAGS(y)
      .positional('run', { type: 'string', describe: 'the running sandbox with this run id (or a prefix), as --run' })
      .option('once', { type: 'boolean', default: false, describe: 'ask about what is pending, then exit' }),
  // RUN and --run are one value (yargs gives both the key `run`).
  (args): ApproveOptions => ({ selector: readTarget(args), once: readFlag(args.once, '--once') }),
  async (options, { ctx }) => (await import('../app/approve.js')).approveCommand(options, ctx),
);
