import type { Argv } from 'yargs';
import type { EmitOptions } from '../app/exec-emit.js';
import type { ExecOptions } from '../app/run-options.js';
import { UsageError } from '../core/errors.js';
import { DEFAULT_KUBE_SECRET } from '../core/engine/kube-metadata.js';
import { defineCommand, type DeclaredCommand } from './define-command.js';
import { readSingleValue } from './flag-values.js';
import { declareLoginFlags, toLoginOptions } from './login-flags.js';
import { declareBuildFlags, toBuildOptions } from './build-flags.js';
import { declareUpdateFlags, toUpdateOptions } from './update-flags.js';
import { declareRunFlags, toRunOptions } from './run-flags.js';
import { declareListFlags, declareSessionFlags, toListOptions } from './session-flags.js';
import { egressCommand } from './egress-command.js';
import { allowCommand, approveCommand, denyCommand } from './policy-commands.js';
import {
  attachCommand,
  destroyCommand,
  diffCommand,
  doctorCommand,
  pullCommand,
  pushCommand,
  stopCommand,
  trustCommand,
} from './session-commands.js';

/*
 * Every command of `run-in-container`, declared here (or in the files imported above) and
 * nowhere else (ARCHITECTURE.md): its flags (typed from the declaration), how they map to
 * the flow's options, and a lazy import of the flow in `app/<command>.ts`, so `--help` and
 * one command load only what they use.
 */

const runFlags = (y: Argv) => declareSessionFlags(declareRunFlags(y));

const defaultCommand = defineCommand(
  'run',
  '$0 [dirs..]',
  'run the agent (codex; --agent claude|gemini) in the sandbox for the workdir: [options] [DIR…] [-- agent args…] ' +
    '(several DIRs: all mounted, the first is the working directory)',
  runFlags,
  (args) => toRunOptions(args, { dirs: true }),
  async (options, { ctx, version }) => (await import('../app/run.js')).runCommand(options, ctx, 'agent', version),
);

const shellCommand = defineCommand(
  'shell',
  'shell [dirs..]',
  'run a command (default: an interactive bash) in the same sandbox instead of codex: shell [options] [DIR…] [-- CMD ARGS…]',
  runFlags,
  (args) => toRunOptions(args, { dirs: true }),
  async (options, { ctx, version }) => (await import('../app/run.js')).runCommand(options, ctx, 'shell', version),
);

const execCommand = defineCommand(
  'exec',
  'exec [prompt]',
  'run the agent headless (codex exec, claude -p, gemini -p) in the sandbox and write a report (run.log, summary.md, ' +
    'exit.json): exec [options] PROMPT [-- agent flags…]',
  (y) =>
    declareRunFlags(y)
      .positional('prompt', { type: 'string', describe: 'what the agent should do (one argument: quote it)' })
      .option('out', { type: 'string', describe: 'report directory (new or empty; default WORK_DIR/.codex/runs/<UTC time>-<run id>)' })
      .option('emit', {
        type: 'string',
        describe: 'print a manifest instead of running: kubernetes (a Job) or pod (podman kube play); needs --repo (docs/kubernetes.md)',
      })
      .option('kube-secret', {
        type: 'string',
        describe: `with --emit: the Secret holding the agent's keys (default ${DEFAULT_KUBE_SECRET})`,
      })
      .option('report-claim', {
        type: 'string',
        describe: 'with --emit: a PersistentVolumeClaim for the report volume (default emptyDir)',
      }),
  (args): ExecOptions | EmitOptions => {
    const out = readSingleValue(args.out, '--out');
    const prompt = readSingleValue(args.prompt, 'PROMPT', { allowEmpty: true }) ?? '';
    const emit = readEmitFlags(args);
    return { ...toRunOptions(args), headless: true, prompt, ...(out === undefined ? {} : { out }), ...emit };
  },
  async (options, { ctx, version }) =>
    'emit' in options
      ? (await import('../app/exec-emit.js')).execEmitCommand(options, ctx, version)
      : (await import('../app/exec.js')).execCommand(options, ctx, version),
);

/** `--emit` and its companions (R180-R186); a companion without `--emit` is refused. */
function readEmitFlags(args: Record<string, unknown>): Pick<EmitOptions, 'emit' | 'kubeSecret' | 'reportClaim'> | undefined {
  const emit = readSingleValue(args.emit, '--emit', { allowEmpty: true });
  const kubeSecret = readSingleValue(args['kube-secret'], '--kube-secret', { allowEmpty: true });
  const reportClaim = readSingleValue(args['report-claim'], '--report-claim', { allowEmpty: true });
  if (emit === undefined) {
    if (kubeSecret !== undefined || reportClaim !== undefined)
      throw new UsageError(`--${kubeSecret !== undefined ? 'kube-secret' : 'report-claim'} needs --emit kubernetes|pod`);
    return undefined;
  }
  return { emit, ...(kubeSecret === undefined ? {} : { kubeSecret }), ...(reportClaim === undefined ? {} : { reportClaim }) };
}

const buildCommand = defineCommand(
  'build',
  'build',
  'build the sandbox image codex-sandbox:<codex-version>-node<N> (other agents: codex-sandbox:<id>-<version>_…-node<N>; ' +
    'and :latest for the default variant)',
  declareBuildFlags,
  toBuildOptions,
  async (options, { ctx }) => (await import('../app/build.js')).buildCommand(options, ctx),
);

const updateCommand = defineCommand(
  'update',
  'update',
  'rebuild the sandbox image when npm has a newer version of one of its agents (same base, Node and agents): ' +
    'update [--agents a,b] [--image IMAGE] [--dry-run]',
  declareUpdateFlags,
  toUpdateOptions,
  async (options, { ctx }) => (await import('../app/update.js')).updateCommand(options, ctx),
);

const loginCommand = defineCommand(
  'login',
  'login',
  'log in to an agent inside a sandbox that reaches only its login hosts and store the credential where runs find it: ' +
    'login [--agent A] [--device-auth|--with-api-key] [--save-to DIR [--force]] [-- login args…]',
  declareLoginFlags,
  toLoginOptions,
  async (options, { ctx, version }) => (await import('../app/login.js')).loginCommand(options, ctx, version),
);

const listCommand = defineCommand(
  'list',
  'list',
  'list sessions and running sandbox containers (found by label): ' +
    'list [--all|--running|--stopped] [--format table|json|names] [--filter key=value]',
  declareListFlags,
  toListOptions,
  async (options, { ctx }) => (await import('../app/list.js')).listCommand(options, ctx),
);

/** All commands, in the order `--help` lists them. */
export const COMMANDS = [
  defaultCommand,
  shellCommand,
  execCommand,
  buildCommand,
  updateCommand,
  loginCommand,
  listCommand,
  attachCommand,
  stopCommand,
  destroyCommand,
  pushCommand,
  pullCommand,
  diffCommand,
  trustCommand,
  egressCommand,
  allowCommand,
  denyCommand,
  approveCommand,
  doctorCommand,
] as const;

type Parsed<C> = C extends DeclaredCommand<infer N, infer O> ? { command: N; options: O } : never;

/** A command line parsed and mapped: the command's name and its flow's typed options. */
export type ParsedCommand = Parsed<(typeof COMMANDS)[number]>;
