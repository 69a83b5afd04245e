import type { Argv } from 'yargs';
import { AGENT_IDS } from '../core/agents/agents.js';
import { UsageError } from '../core/errors.js';
import { DEFAULT_KUBE_SECRET } from '../core/engine/kube-metadata.js';
import { defineCommand, type CommandContext, type DeclaredCommand } from './define-command.js';
import { readAgentFlag, readFlag, readPassThrough, readSingleValue, refuseExtraWords } from './flag-values.js';
import { declareLoginFlags, toLoginOptions } from './login-flags.js';
import { declareBuildFlags, toBuildOptions } from './build-flags.js';
import { declareUpdateFlags, toUpdateOptions } from './update-flags.js';
import { declareRunFlags, toRunOptions } from './run-flags.js';
import { declareListFlags, declareSessionFlags, toListOptions } from './session-flags.js';
import { egressCommand } from './egress-command.js';
import { allowCommand, approveCommand, denyCommand } from './policy-commands.js';

/*
 * Every command of `run-in-container`, declared here and nowhere else (ARCHITECTURE.md):
 * its flags (typed from the declaration), how they map to the flow's options, and a lazy
 * import of the flow in `app/<command>.ts`, so `--help` and one command load only what
 * they use.
 */

const WORK_DIR = { alias: 'work-dir', type: 'string', describe: 'project directory (default: current directory)' } as const;
const SESSION_NAME = { type: 'string', describe: 'session name (default: the only running session of the current directory)' } as const;

const runFlags = (y: Argv) => declareSessionFlags(declareRunFlags(y));

const defaultCommand = defineCommand(
  '$0 [dirs..]',
  'run the agent (codex; --agent claude|gemini) in the sandbox for the workdir: [options] [DIR…] [-- agent args…] ' +
    '(several DIRs: all mounted, the first is the working directory)',
  runFlags,
  async (args, { ctx, version }) => (await import('../app/run.js')).runCommand(toRunOptions(args, { dirs: true }), ctx, 'codex', version),
);

const shellCommand = defineCommand(
  'shell [dirs..]',
  'run a command (default: an interactive bash) in the same sandbox instead of codex: shell [options] [DIR…] [-- CMD ARGS…]',
  runFlags,
  async (args, { ctx, version }) => (await import('../app/run.js')).runCommand(toRunOptions(args, { dirs: true }), ctx, 'shell', version),
);

const execCommand = defineCommand(
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
  async (args, { ctx, version }) => {
    const out = readSingleValue(args.out, '--out');
    const prompt = readSingleValue(args.prompt, 'PROMPT', { allowEmpty: true }) ?? '';
    const emit = readEmitFlags(args);
    if (emit !== undefined)
      return (await import('../app/exec-emit.js')).execEmitCommand(
        { ...toRunOptions(args), headless: true, prompt, ...(out === undefined ? {} : { out }), ...emit },
        ctx,
        version,
      );
    return (await import('../app/exec.js')).execCommand(
      { ...toRunOptions(args), headless: true, prompt, ...(out === undefined ? {} : { out }) },
      ctx,
      version,
    );
  },
);

/** `--emit` and its companions (R180-R186); a companion without `--emit` is refused. */
function readEmitFlags(args: Record<string, unknown>): { emit: string; kubeSecret?: string; reportClaim?: string } | undefined {
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
  'build the sandbox image codex-sandbox:<codex-version>-node<N> (other agents: codex-sandbox:<id>-<version>_…-node<N>; ' +
    'and :latest for the default variant)',
  declareBuildFlags,
  async (args, { ctx }) => (await import('../app/build.js')).buildCommand(toBuildOptions(args), ctx),
);

const updateCommand = defineCommand(
  'update',
  'rebuild the sandbox image when npm has a newer version of one of its agents (same base, Node and agents): ' +
    'update [--agents a,b] [--image IMAGE] [--dry-run]',
  declareUpdateFlags,
  async (args, { ctx }) => (await import('../app/update.js')).updateCommand(toUpdateOptions(args), ctx),
);

const loginCommand = defineCommand(
  'login',
  'log in to an agent inside a sandbox that reaches only its login hosts and store the credential where runs find it: ' +
    'login [--agent A] [--device-auth|--with-api-key] [--save-to DIR [--force]] [-- login args…]',
  declareLoginFlags,
  async (args, { ctx, version }) => (await import('../app/login.js')).loginCommand(toLoginOptions(args), ctx, version),
);

const listCommand = defineCommand(
  'list',
  'list sessions and running sandbox containers (found by label): ' +
    'list [--all|--running|--stopped] [--format table|json|names] [--filter key=value]',
  declareListFlags,
  async (args, { ctx }) => (await import('../app/list.js')).listCommand(toListOptions(args), ctx),
);

const attachCommand = defineCommand(
  'attach [name]',
  'a shell (or -- CMD…) inside a running session, as the agent user: attach [NAME] [-- CMD…]',
  (y) => y.positional('name', SESSION_NAME),
  async (args, { ctx }) =>
    (await import('../app/attach.js')).attachCommand(
      { name: readSingleValue(args.name, 'NAME'), command: readPassThrough(args['--']) },
      ctx,
    ),
);

const stopCommand = defineCommand(
  'stop [name]',
  'stop a session (docker stop; re-enter it later with --name): stop [NAME] [--all]',
  (y) => y.positional('name', SESSION_NAME).option('all', { type: 'boolean', default: false, describe: 'every running session' }),
  async (args, { ctx }) =>
    (await import('../app/stop.js')).stopCommand({ name: readSingleValue(args.name, 'NAME'), all: readFlag(args.all, '--all') }, ctx),
);

const destroyCommand = defineCommand(
  'destroy [name]',
  'remove sessions (docker rm -f); more than one needs confirmation or --force: destroy [NAME] [--all] [--stopped] [--force]',
  (y) =>
    y
      .positional('name', { type: 'string', describe: 'session name (default: the only session of the current directory)' })
      .option('all', { type: 'boolean', default: false, describe: 'every session' })
      .option('stopped', { type: 'boolean', default: false, describe: 'every stopped session' })
      .option('force', { type: 'boolean', default: false, describe: 'do not ask before removing several sessions' }),
  async (args, { ctx }) =>
    (await import('../app/destroy.js')).destroyCommand(
      {
        name: readSingleValue(args.name, 'NAME'),
        all: readFlag(args.all, '--all'),
        stopped: readFlag(args.stopped, '--stopped'),
        force: readFlag(args.force, '--force'),
      },
      ctx,
    ),
);

const pushCommand = defineCommand(
  'push <paths..>',
  "copy host files or directories into a running session's workdir, owned by the agent: push [--name NAME] PATH…",
  (y) =>
    y
      .positional('paths', { type: 'string', array: true, describe: 'host paths (symlinks are copied as links)' })
      .option('name', SESSION_NAME)
      .option('force', { type: 'boolean', default: false, describe: 'overwrite what already exists in the workdir' }),
  async (args, { ctx }) =>
    (await import('../app/push.js')).pushCommand(
      { name: readSingleValue(args.name, '--name'), paths: (args.paths ?? []).map(String), force: readFlag(args.force, '--force') },
      ctx,
    ),
);

const pullCommand = defineCommand(
  'pull <container-path> [dest-dir]',
  'copy a file or directory out of a running session into DEST_DIR (default: .): pull [--name NAME] CONTAINER_PATH [DEST_DIR]',
  (y) =>
    y
      .positional('container-path', { type: 'string', describe: 'path in the session; relative paths start at its workdir' })
      .positional('dest-dir', { type: 'string', describe: 'existing host directory (default: current directory)' })
      .option('name', SESSION_NAME)
      .option('force', { type: 'boolean', default: false, describe: 'overwrite existing host files' }),
  async (args, { ctx }) =>
    (await import('../app/pull.js')).pullCommand(
      {
        name: readSingleValue(args.name, '--name'),
        containerPath: readSingleValue(args['container-path'], 'CONTAINER_PATH', { allowEmpty: true }) ?? '',
        dest: readSingleValue(args['dest-dir'], 'DEST_DIR'),
        force: readFlag(args.force, '--force'),
      },
      ctx,
    ),
);

const diffCommand = defineCommand(
  'diff [target]',
  'show what a --track run changed in the workdir: diff [RUN|SESSION] (default: the last tracked run)',
  (y) =>
    y
      .positional('target', { type: 'string', describe: 'run id (8 hex, printed when the run starts) or session name' })
      .option('work_dir', { ...WORK_DIR, describe: 'workdir whose runs to show (default: current directory)' })
      .option('stat', { type: 'boolean', default: false, describe: 'only a per-file summary (like git diff --stat)' })
      .option('list', { type: 'boolean', default: false, describe: 'list the tracked runs of the workdir, newest first' }),
  async (args, { ctx }) => {
    refuseExtraWords(args._);
    return (await import('../app/diff.js')).diffCommand(
      {
        target: readSingleValue(args.target, 'RUN'),
        workDir: readSingleValue(args.work_dir, '--work_dir'),
        stat: readFlag(args.stat, '--stat'),
        list: readFlag(args.list, '--list'),
      },
      ctx,
    );
  },
);

const trustCommand = defineCommand(
  'trust',
  "approve the workdir's .codex/sandbox.ini (shows the policy it sets; records its hash in ~/.config/codex-sandbox/trust.json)",
  (y) =>
    y
      .option('work_dir', WORK_DIR)
      .option('revoke', { type: 'boolean', default: false, describe: 'forget the approval: runs refuse the file again' }),
  async (args, { ctx }) => {
    refuseExtraWords(args._);
    return (await import('../app/trust.js')).trustCommand(
      { workDir: readSingleValue(args.work_dir, '--work_dir'), revoke: readFlag(args.revoke, '--revoke') },
      ctx,
    );
  },
);

const doctorCommand = defineCommand(
  'doctor',
  'check Docker, the engine, the image, iptables/ipset, each agent (in the image? logged in?), config, settings trust ' +
    'and proxy/CA; one line each with the fix',
  (y) =>
    y
      .option('json', { type: 'boolean', default: false, describe: 'print an array of {check, ok, detail, fix}' })
      .option('agent', { type: 'string', describe: `check one agent only: ${AGENT_IDS.join(', ')} (default: all)` })
      .option('work_dir', WORK_DIR)
      .option('image', { type: 'string', describe: 'sandbox image to check (default CODEX_DOCKER_IMAGE or codex-sandbox:latest)' }),
  async (args, { ctx }) => {
    refuseExtraWords(args._);
    return (await import('../app/doctor.js')).doctorCommand(
      {
        json: readFlag(args.json, '--json'),
        ...readAgentFlag(args.agent),
        workDir: readSingleValue(args.work_dir, '--work_dir'),
        image: readSingleValue(args.image, '--image'),
      },
      ctx,
    );
  },
);

/** All commands, in the order `--help` lists them. */
const COMMANDS: DeclaredCommand[] = [
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
];

export function declareCommands(env: CommandContext) {
  return COMMANDS.map((declare) => declare(env));
}
