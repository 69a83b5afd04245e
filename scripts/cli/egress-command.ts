import { UsageError } from '../core/errors.js';
import type { EgressReportOptions } from '../app/egress.js';
import type { EgressCheckOptions } from '../app/egress-check.js';
import type { EgressFollowOptions } from '../app/egress-follow.js';
import { defineCommand } from './define-command.js';
import { declareEgressFlags, toEgressFlags } from './egress-flags.js';
import { readAgentFlag, readFlag, readSingleValue, refuseExtraWords } from './flag-values.js';

/*
 * `egress` (R94, R170): the record of a finished run, the live tail of a running sandbox
 * (`--follow`) and `egress check HOST` (would the policy let it through). Declared here, listed
 * in commands.ts with the others.
 */

const WORK_DIR = { alias: 'work-dir', type: 'string', describe: 'project directory (default: current directory)' } as const;

type Args = Record<string, unknown>;

/** Flags of `egress check` only: the policy to check against (they change nothing elsewhere). */
const CHECK_ONLY: ReadonlyArray<[string, string]> = [
  ['allow', '--allow'],
  ['deny', '--deny'],
  ['allow-host-port', '--allow-host-port'],
  ['no-inspect', '--no-inspect'],
  ['inspect', '--no-inspect'],
  ['ask', '--ask'],
  ['ask-timeout', '--ask-timeout'],
  ['read-only-web', '--read-only-web'],
  ['proxy', '--proxy'],
  ['ca-cert', '--ca-cert'],
  ['agent', '--agent'],
];

function refuseCheckFlags(args: Args): void {
  const given = CHECK_ONLY.find(([key]) => args[key] !== undefined)?.[1] ?? (args['provider-allow'] === false ? '--no-provider-allow' : '');
  if (given !== '') throw new UsageError(`${given} goes with egress check HOST: add check HOST, or drop ${given}`);
}

/** `egress check HOST [--allow …] [--agent A] [--json]` (the flow is app/egress-check.ts). */
function toCheckOptions(args: Args): EgressCheckOptions {
  const host = readSingleValue(args.host, 'HOST');
  if (host === undefined) throw new UsageError('egress check needs a host: egress check HOST');
  if (args.follow === true || args.name !== undefined) throw new UsageError('egress check takes no --follow or --name: drop them');
  const workDir = readSingleValue(args.work_dir, '--work_dir');
  const codexHome = readSingleValue(args['codex-home'], '--codex-home');
  return {
    host,
    ...(workDir === undefined ? {} : { workDir }),
    ...readAgentFlag(args.agent),
    json: readFlag(args.json, '--json'),
    ...(codexHome === undefined ? {} : { codexHome }),
    egress: toEgressFlags(args),
  };
}

/** One of egress' three flows, with its options. */
type EgressFlow = { check: EgressCheckOptions } | { follow: EgressFollowOptions } | { report: EgressReportOptions };

function toEgressFlow(args: Args): EgressFlow {
  refuseExtraWords(args._ as unknown[]);
  const run = readSingleValue(args.run, 'RUN');
  if (run === 'check') return { check: toCheckOptions(args) };
  if (args.host !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(String(args.host))} (see --help)`);
  refuseCheckFlags(args);
  const allowed = readFlag(args.allowed, '--allowed');
  const blocked = readFlag(args.blocked, '--blocked');
  if (allowed && blocked) throw new UsageError('give --allowed or --blocked, not both (neither: everything)');
  const last = readFlag(args.last, '--last');
  const json = readFlag(args.json, '--json');
  const name = readSingleValue(args.name, '--name');
  if (readFlag(args.follow, '--follow')) {
    if (allowed || blocked || readFlag(args.requests, '--requests'))
      throw new UsageError('--follow shows every event: drop --allowed, --blocked and --requests');
    const selector = { ...(name === undefined ? {} : { name }), ...(run === undefined ? {} : { run }), last };
    return { follow: { selector, json } };
  }
  if (name !== undefined) throw new UsageError('--name goes with --follow (a running session): add --follow, or give a RUN id');
  return {
    report: {
      run,
      last,
      json,
      requests: readFlag(args.requests, '--requests'),
      ...(allowed ? { only: 'allowed' as const } : blocked ? { only: 'refused' as const } : {}),
      workDir: readSingleValue(args.work_dir, '--work_dir'),
      codexHome: readSingleValue(args['codex-home'], '--codex-home'),
    },
  };
}

export const egressCommand = defineCommand(
  'egress',
  'egress [run] [host]',
  'show what a run of this workdir reached and was refused: egress [RUN|--last] [--allowed|--blocked] [--requests] [--json] ' +
    '(default: the last run); live: egress --follow [RUN|--name S|--last] [--json]; would HOST pass: egress check HOST',
  (y) =>
    declareEgressFlags(y)
      .positional('run', { type: 'string', describe: 'run id or a prefix of it (the last part of the container name), or check' })
      .positional('host', { type: 'string', describe: 'with check: the host (or host:port) to check' })
      .option('last', { type: 'boolean', default: false, describe: 'the newest run' })
      .option('allowed', { type: 'boolean', describe: 'only the connections that were let through (name, port, count, bytes)' })
      .option('blocked', { type: 'boolean', describe: 'only what was refused, with the reason' })
      .option('requests', {
        type: 'boolean',
        default: false,
        describe: 'each request inside inspected traffic (method, host, path, status)',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print the record as JSON lines, schema v1 (docs/egress-record.md)' })
      .option('follow', {
        type: 'boolean',
        default: false,
        describe: "a running sandbox's connections and policy changes as they happen, until it stops or Ctrl-C",
      })
      .option('name', { type: 'string', describe: 'with --follow: the running session to follow' })
      .option('agent', { type: 'string', describe: 'with check: the agent whose policy to check (default codex)' })
      .option('work_dir', WORK_DIR)
      .option('codex-home', { type: 'string', describe: 'the Codex home the run used, if not WORK_DIR/.codex/.environment' }),
  toEgressFlow,
  async (flow, { ctx }) => {
    if ('check' in flow) return (await import('../app/egress-check.js')).egressCheckCommand(flow.check, ctx);
    if ('follow' in flow) return (await import('../app/egress-follow.js')).egressFollowCommand(flow.follow, ctx);
    return (await import('../app/egress.js')).egressCommand(flow.report, ctx);
  },
);
