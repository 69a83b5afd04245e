import { AGENT_IDS } from '../../scripts/core/agents/agents.js';
import { parseCli, refusalOf } from './helpers/parse-cli.js';

/**
 * Bad command lines refused by the parse and the option mapping alone (cli/command-line.ts),
 * in-process: one-line UsageError (exit 2), before any flow runs, so nothing on the host can
 * change. The cases are the parse-level ones of the process tests they came from (named
 * below); the whole-CLI runs (exit code, stderr, stdout) keep one per command family.
 */
type Case = [name: string, argv: string[], message: string, env?: Record<string, string>];

/** `--dry-run` was added to these in cli-bad-input (a run's validation). */
const dry = (cases: Case[]): Case[] => cases.map(([name, argv, message, env]) => [name, [...argv, '--dry-run'], message, env]);

const SINGLE_VALUED = [
  '--config',
  '--image',
  '--proxy',
  '--auth_file',
  '--init_script',
  '--sessions-path',
  '--codex-home',
  '--network',
  '--repo',
];

/** From cli-bad-input.test.ts. */
const BAD_INPUT: Case[] = [
  ...dry([
    ['--ask-timeout without --ask', ['--ask-timeout', '5s'], '--ask-timeout goes with --ask: add --ask, or drop --ask-timeout'],
    ['--ask-timeout too long', ['--ask', '--ask-timeout', '10m'], '--ask-timeout "10m": give seconds such as 30s or 2m (1s to 120s)'],
    ['--keep without --name', ['--keep'], '--keep needs --name NAME: sessions are named'],
    ['--strict-mounts without --name', ['shell', '--strict-mounts'], '--strict-mounts needs --name NAME'],
    ['--name with a space', ['--name', 'a b'], '--name "a b" is not a session name'],
    ['--name starting with - (option injection)', ['--name=-d'], '--name "-d" is not a session name'],
    ['--name too long', ['--name', 'x'.repeat(41)], 'is not a session name: use 1-40 letters'],
    ['--name given twice', ['--name', 'a', '--name', 'b'], '--name was given more than once'],
    ...SINGLE_VALUED.map((flag): Case => [`${flag} given twice`, [flag, 'a', flag, 'b'], `${flag} was given more than once: give it once`]),
    ['exec --out given twice', ['exec', '--out', 'a', '--out', 'b', 'go'], '--out was given more than once: give it once'],
    ["--read-only ''", ['--read-only', ''], '--read-only needs a non-empty value'],
    ['unknown flag --bogus', ['--bogus'], 'Unknown argument: bogus (see --help)'],
    ['positional argument without --', ['--model'], 'Unknown argument: model'],
    ['shell: unknown flag', ['shell', '--bogus'], 'Unknown argument: bogus'],
    ['exec: two prompts', ['exec', 'one', 'two'], 'Unknown argument: two (see --help)'],
    ['--ref without --repo', ['shell', '--ref', 'main'], '--ref needs --repo URL'],
    ['--dns given an empty value', ['--dns', ''], '--dns needs a non-empty value'],
  ]),
  ['diff --work_dir given twice', ['diff', '--work_dir', 'a', '--work_dir', 'b'], '--work_dir was given more than once: give it once'],
  ['egress --allowed --blocked', ['egress', '--allowed', '--blocked'], 'give --allowed or --blocked, not both'],
  ['--replace with --parallel (real run)', ['--name', 'a', '--replace', '--parallel'], '--replace and --parallel contradict each other'],
  ['list --format xml', ['list', '--format', 'xml'], '--format "xml" is not a format: use table, json or names'],
  ['list --all --stopped', ['list', '--all', '--stopped'], '--all and --stopped contradict each other'],
  ['list with a stray word', ['list', 'foo'], 'Unknown argument: foo'],
  ['attach with two names', ['attach', 'a', 'b'], 'Unknown argument: b'],
  ['stop --stopped', ['stop', '--stopped'], 'Unknown argument: stopped'],
  ['push without PATH', ['push'], 'Not enough non-option arguments'],
  ['unknown flag --bogus (real run)', ['--bogus'], 'Unknown argument: bogus'],
  ['diff: unknown flag', ['diff', '--bogus'], 'Unknown argument: bogus'],
  ['build: stray word (real run)', ['build', 'now'], 'Unknown argument: now (see --help)'],
  ['build: unknown flag (real run)', ['build', '--work_dir', '.'], 'Unknown argument'],
];

/** From cli-build-flags.test.ts (each after `build`). */
const BUILD_FLAGS: Case[] = [
  ['no value', ['--agents'], '--agents needs a value'],
  ['--agents twice', ['--agents', 'codex', '--agents', 'claude'], '--agents was given more than once: give it once'],
  [
    '--claude-version twice',
    ['--agents', 'claude', '--claude-version', '2.1.0', '--claude-version', '2.1.1'],
    '--claude-version was given more than once',
  ],
  [
    '--gemini-version twice',
    ['--agents', 'gemini', '--gemini-version', '0.61.0', '--gemini-version=0.61.0'],
    '--gemini-version was given more than once',
  ],
].map(([name, argv, message]) => [`build: ${name as string}`, ['build', ...(argv as string[])], message as string]);

/** From cli-login, cli-agents, cli-secrets, cli-devcontainer, egress-cli, kube-cli and engine-cli. */
const OTHERS: Case[] = [
  ['update with a stray word', ['update', 'extra'], 'Unknown argument: extra'],
  // 'copilot' there: an agent id no longer refused once the registry has it (R120), so an id it will never have.
  ['login --agent robot', ['login', '--agent', 'robot'], `--agent "robot" is not an agent: use ${AGENT_IDS.join(', ')}`],
  ['login --agent twice', ['login', '--agent', 'codex', '--agent', 'claude'], '--agent was given more than once'],
  ['login with a stray word', ['login', 'somewhere'], 'Unknown argument: somewhere'],
  ['run --agent robot', ['--dry-run', '--agent', 'robot'], `--agent "robot" is not an agent: use ${AGENT_IDS.join(', ')}`],
  ['run --agent twice', ['--dry-run', '--agent', 'claude', '--agent', 'gemini'], '--agent was given more than once'],
  ['bare --no-inspect', ['--dry-run', '--no-inspect'], '--no-inspect needs a host: --no-inspect HOST (or *.HOST)'],
  ['--no-inspect before a flag', ['--dry-run', '--no-inspect', '--yes'], '--no-inspect needs a host: --no-inspect HOST (or *.HOST)'],
  ['egress --allow', ['egress', '--allow', 'x.test'], '--allow goes with egress check HOST: add check HOST, or drop --allow'],
  [
    'egress --no-provider-allow',
    ['egress', '--no-provider-allow'],
    '--no-provider-allow goes with egress check HOST: add check HOST, or drop --no-provider-allow',
  ],
  ['egress --agent', ['egress', '--agent', 'claude'], '--agent goes with egress check HOST: add check HOST, or drop --agent'],
  ['egress --name', ['egress', '--name', 'work'], '--name goes with --follow (a running session): add --follow, or give a RUN id'],
  [
    'egress --follow --blocked',
    ['egress', '--follow', '--blocked'],
    '--follow shows every event: drop --allowed, --blocked and --requests',
  ],
  ['egress check', ['egress', 'check'], 'egress check needs a host: egress check HOST'],
  ['egress check --follow', ['egress', 'check', 'a.test', '--follow'], 'egress check takes no --follow or --name: drop them'],
  ['egress RUN HOST', ['egress', 'abc', 'a.test'], 'unexpected argument "a.test" (see --help)'],
  [
    '--egress-log twice',
    ['--dry-run', '--egress-log', 'a.jsonl', '--egress-log', 'b.jsonl'],
    '--egress-log was given more than once: give it once',
  ],
  ['exec --kube-secret without --emit', ['exec', '--kube-secret', 'k', 'x'], '--kube-secret needs --emit'],
  ['--engine lxc', ['list', '--engine', 'lxc'], '--engine "lxc" is not an engine: use docker or podman'],
  [
    'CONTAINER_ENGINE containerd',
    ['list'],
    'CONTAINER_ENGINE "containerd" is not an engine: use docker or podman',
    { CONTAINER_ENGINE: 'containerd' },
  ],
];

describe('command lines refused by the parse (UsageError, one line, exit 2)', () => {
  it('has distinct cases', () => {
    const names = [...BAD_INPUT, ...BUILD_FLAGS, ...OTHERS].map(([name]) => name);
    expect(new Set(names).size).toBe(names.length);
  });

  // One case object per row: a row's length must not vary (jest would take a 4th parameter for `done`).
  it.each([...BAD_INPUT, ...BUILD_FLAGS, ...OTHERS].map((c) => [c[0], c] as const))('%s', async (_name, [, argv, message, env]) => {
    expect(await refusalOf(argv, env)).toContain(message);
  });

  it('good flags of the same commands parse (the refusals above are theirs, not a broken parser)', async () => {
    for (const argv of [['--dry-run'], ['list', '--format', 'json'], ['build', '--agents', 'codex,claude'], ['egress', 'check', 'a.test']])
      expect((await parseCli(argv)).command).toBe(argv[0] === '--dry-run' ? 'run' : argv[0]);
  });
});
