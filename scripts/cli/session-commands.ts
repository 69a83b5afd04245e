import { AGENT_IDS } from '../core/agents/agents.js';
import { defineCommand } from './define-command.js';
import { readAgentFlag, readFlag, readPassThrough, readSingleValue, refuseExtraWords } from './flag-values.js';

/*
 * The commands on sessions and workdirs after a run (R42-R48, R53, R73, R90): declared like
 * the others, listed in commands.ts.
 */

const WORK_DIR = { alias: 'work-dir', type: 'string', describe: 'project directory (default: current directory)' } as const;
const SESSION_NAME = { type: 'string', describe: 'session name (default: the only running session of the current directory)' } as const;

export const attachCommand = defineCommand(
  'attach',
  'attach [name]',
  'a shell (or -- CMD…) inside a running session, as the agent user: attach [NAME] [-- CMD…]',
  (y) => y.positional('name', SESSION_NAME),
  (args) => ({ name: readSingleValue(args.name, 'NAME'), command: readPassThrough(args['--']) }),
  async (options, { ctx }) => (await import('../app/attach.js')).attachCommand(options, ctx),
);

export const stopCommand = defineCommand(
  'stop',
  'stop [name]',
  'stop a session (docker stop; re-enter it later with --name): stop [NAME] [--all]',
  (y) => y.positional('name', SESSION_NAME).option('all', { type: 'boolean', default: false, describe: 'every running session' }),
  (args) => ({ name: readSingleValue(args.name, 'NAME'), all: readFlag(args.all, '--all') }),
  async (options, { ctx }) => (await import('../app/stop.js')).stopCommand(options, ctx),
);

export const destroyCommand = defineCommand(
  'destroy',
  'destroy [name]',
  'remove sessions (docker rm -f); more than one needs confirmation or --force: destroy [NAME] [--all] [--stopped] [--force]',
  (y) =>
    y
      .positional('name', { type: 'string', describe: 'session name (default: the only session of the current directory)' })
      .option('all', { type: 'boolean', default: false, describe: 'every session' })
      .option('stopped', { type: 'boolean', default: false, describe: 'every stopped session' })
      .option('force', { type: 'boolean', default: false, describe: 'do not ask before removing several sessions' }),
  (args) => ({
    name: readSingleValue(args.name, 'NAME'),
    all: readFlag(args.all, '--all'),
    stopped: readFlag(args.stopped, '--stopped'),
    force: readFlag(args.force, '--force'),
  }),
  async (options, { ctx }) => (await import('../app/destroy.js')).destroyCommand(options, ctx),
);

export const pushCommand = defineCommand(
  'push',
  'push <paths..>',
  "copy host files or directories into a running session's workdir, owned by the agent: push [--name NAME] PATH…",
  (y) =>
    y
      .positional('paths', { type: 'string', array: true, describe: 'host paths (symlinks are copied as links)' })
      .option('name', SESSION_NAME)
      .option('force', { type: 'boolean', default: false, describe: 'overwrite what already exists in the workdir' }),
  (args) => ({ name: readSingleValue(args.name, '--name'), paths: (args.paths ?? []).map(String), force: readFlag(args.force, '--force') }),
  async (options, { ctx }) => (await import('../app/push.js')).pushCommand(options, ctx),
);

export const pullCommand = defineCommand(
  'pull',
  'pull <container-path> [dest-dir]',
  'copy a file or directory out of a running session into DEST_DIR (default: .): pull [--name NAME] CONTAINER_PATH [DEST_DIR]',
  (y) =>
    y
      .positional('container-path', { type: 'string', describe: 'path in the session; relative paths start at its workdir' })
      .positional('dest-dir', { type: 'string', describe: 'existing host directory (default: current directory)' })
      .option('name', SESSION_NAME)
      .option('force', { type: 'boolean', default: false, describe: 'overwrite existing host files' }),
  (args) => ({
    name: readSingleValue(args.name, '--name'),
    containerPath: readSingleValue(args['container-path'], 'CONTAINER_PATH', { allowEmpty: true }) ?? '',
    dest: readSingleValue(args['dest-dir'], 'DEST_DIR'),
    force: readFlag(args.force, '--force'),
  }),
  async (options, { ctx }) => (await import('../app/pull.js')).pullCommand(options, ctx),
);

export const diffCommand = defineCommand(
  'diff',
  'diff [target]',
  'show what a --track run changed in the workdir: diff [RUN|SESSION] (default: the last tracked run)',
  (y) =>
    y
      .positional('target', { type: 'string', describe: 'run id (8 hex, printed when the run starts) or session name' })
      .option('work_dir', { ...WORK_DIR, describe: 'workdir whose runs to show (default: current directory)' })
      .option('stat', { type: 'boolean', default: false, describe: 'only a per-file summary (like git diff --stat)' })
      .option('list', { type: 'boolean', default: false, describe: 'list the tracked runs of the workdir, newest first' }),
  (args) => {
    refuseExtraWords(args._);
    return {
      target: readSingleValue(args.target, 'RUN'),
      workDir: readSingleValue(args.work_dir, '--work_dir'),
      stat: readFlag(args.stat, '--stat'),
      list: readFlag(args.list, '--list'),
    };
  },
  async (options, { ctx }) => (await import('../app/diff.js')).diffCommand(options, ctx),
);

export const trustCommand = defineCommand(
  'trust',
  'trust',
  "approve the workdir's .codex/sandbox.ini (shows the policy it sets; records its hash in ~/.config/codex-sandbox/trust.json)",
  (y) =>
    y
      .option('work_dir', WORK_DIR)
      .option('revoke', { type: 'boolean', default: false, describe: 'forget the approval: runs refuse the file again' }),
  (args) => {
    refuseExtraWords(args._);
    return { workDir: readSingleValue(args.work_dir, '--work_dir'), revoke: readFlag(args.revoke, '--revoke') };
  },
  async (options, { ctx }) => (await import('../app/trust.js')).trustCommand(options, ctx),
);

export const doctorCommand = defineCommand(
  'doctor',
  'doctor',
  'check Docker, the engine, the image, iptables/ipset, each agent (in the image? logged in?), config, settings trust ' +
    'and proxy/CA; one line each with the fix',
  (y) =>
    y
      .option('json', { type: 'boolean', default: false, describe: 'print an array of {check, ok, detail, fix}' })
      .option('agent', { type: 'string', describe: `check one agent only: ${AGENT_IDS.join(', ')} (default: all)` })
      .option('work_dir', WORK_DIR)
      .option('image', { type: 'string', describe: 'sandbox image to check (default CODEX_DOCKER_IMAGE or codex-sandbox:latest)' }),
  (args) => {
    refuseExtraWords(args._);
    return {
      json: readFlag(args.json, '--json'),
      ...readAgentFlag(args.agent),
      workDir: readSingleValue(args.work_dir, '--work_dir'),
      image: readSingleValue(args.image, '--image'),
    };
  },
  async (options, { ctx }) => (await import('../app/doctor.js')).doctorCommand(options, ctx),
);
