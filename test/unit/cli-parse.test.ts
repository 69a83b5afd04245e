import { jest } from '@jest/globals';
import { parseCommandLine } from '../../scripts/cli/command-line.js';
import { DEFAULT_ASK_SECONDS } from '../../scripts/core/egress/live-policy.js';
import { parseCli } from './helpers/parse-cli.js';

/**
 * What each command line becomes (cli/command-line.ts), in-process: the command and its
 * flow's typed options, whole, before anything runs. The refusals are in
 * cli-parse-refusals.test.ts; whole-CLI runs in the cli-*.test.ts process tests.
 */
const NO_EGRESS = { allow: [], deny: [], allowHostPorts: [], noInspect: [], caCerts: [], providerAllow: true };
const PLAIN_RUN = { readOnly: [], yes: false, dns: [], dryRun: false, passThrough: [], egress: NO_EGRESS };

describe('runs: the default command, shell and exec (R1-R23, R40-R55)', () => {
  it('the default command: workdirs from --work_dir then DIR…, a session, the agent args after --', async () => {
    const argv = ['--work_dir', 'w', 'src', '--read-only', 'ro', '--allow', '@npm', '--name', 's', '--keep', '--', '--model', 'x'];
    expect(await parseCli(argv)).toEqual({
      command: 'run',
      options: {
        ...PLAIN_RUN,
        workDir: 'w',
        extraWorkDirs: ['src'],
        readOnly: ['ro'],
        passThrough: ['--model', 'x'],
        egress: { ...NO_EGRESS, allow: ['@npm'] },
        session: { name: 's', keep: true, replace: false, parallel: false, strictMounts: false },
      },
    });
  });

  it('--no-inspect HOST (joined to its flag), --no-provider-allow, --ask; -- keeps the agent’s words as they are', async () => {
    const argv = ['--no-inspect', 'a.io', '--no-inspect=b.io,c.io', '--no-provider-allow', '--ask', '--', '--no-inspect', 'x.io'];
    expect(await parseCli(argv)).toEqual({
      command: 'run',
      options: {
        ...PLAIN_RUN,
        passThrough: ['--no-inspect', 'x.io'],
        egress: { ...NO_EGRESS, noInspect: ['a.io', 'b.io,c.io'], providerAllow: false, ask: DEFAULT_ASK_SECONDS },
      },
    });
  });

  it('shell: DIR… and the command after --; both spellings of the flags', async () => {
    const argv = ['shell', '.', '../b', '--auth-file', 'a.json', '--init_script', 'i.sh', '-y', '--dns', '1.1.1.1', '--', 'ls'];
    expect(await parseCli(argv)).toEqual({
      command: 'shell',
      options: {
        ...PLAIN_RUN,
        workDir: '.',
        extraWorkDirs: ['../b'],
        authFile: 'a.json',
        initScript: 'i.sh',
        yes: true,
        dns: ['1.1.1.1'],
        passThrough: ['ls'],
      },
    });
  });

  it('exec: the prompt, --out, --repo/--ref/--track, --secret, --egress-log', async () => {
    const argv = [
      'exec',
      '--out',
      'r',
      '--repo',
      'https://x.test/r',
      '--ref',
      'v1',
      '--track',
      '--secret',
      'T=x.test',
      '--egress-log',
      'e.jsonl',
    ];
    expect(await parseCli([...argv, 'fix it', '--', '--flag'])).toEqual({
      command: 'exec',
      options: {
        ...PLAIN_RUN,
        headless: true,
        prompt: 'fix it',
        out: 'r',
        repo: 'https://x.test/r',
        repoRef: 'v1',
        track: true,
        secrets: { secrets: ['T=x.test'], commands: [] },
        egressLog: 'e.jsonl',
        passThrough: ['--flag'],
      },
    });
  });

  it('exec --emit and its companions (R180-R186); no prompt is an empty one (refused by the flow)', async () => {
    const argv = ['exec', '--emit', 'pod', '--kube-secret', 'keys', '--report-claim', 'c', '--repo', 'https://x.test/r'];
    expect(await parseCli([...argv, '--agent', 'claude', 'go'])).toEqual({
      command: 'exec',
      options: {
        ...PLAIN_RUN,
        headless: true,
        prompt: 'go',
        emit: 'pod',
        kubeSecret: 'keys',
        reportClaim: 'c',
        repo: 'https://x.test/r',
        agent: 'claude',
      },
    });
    expect(await parseCli(['exec'])).toEqual({ command: 'exec', options: { ...PLAIN_RUN, headless: true, prompt: '' } });
  });
});

describe('build, update, login (R31, R130-R138, R187, R192-R194)', () => {
  it('build: agents, versions, node, --no-cache, a bare --from-devcontainer, proxy and CAs', async () => {
    const argv = ['build', '--agents', 'codex,claude', '--claude-version', '2.1.0', '--node', '20', '--no-cache', '--from-devcontainer'];
    expect(await parseCli([...argv, '--ca-cert', 'a.pem', '--proxy', 'http://p.test:1'])).toEqual({
      command: 'build',
      options: {
        agents: 'codex,claude',
        versions: { claude: '2.1.0' },
        node: 20,
        fromDevcontainer: '',
        noCache: true,
        proxy: 'http://p.test:1',
        caCerts: ['a.pem'],
      },
    });
    expect(await parseCli(['build'])).toEqual({ command: 'build', options: { versions: {}, noCache: false, caCerts: [] } });
  });

  it('update', async () => {
    expect(await parseCli(['update', '--agents', 'claude', '--dry-run'])).toEqual({
      command: 'update',
      options: { agents: 'claude', dryRun: true, caCerts: [] },
    });
  });

  it('login: the agent, the method, the login args; the sandbox flags given are named', async () => {
    expect(await parseCli(['login', '--agent', 'claude', '--with-api-key', '--', 'x'])).toEqual({
      command: 'login',
      options: {
        agent: 'claude',
        deviceAuth: false,
        withApiKey: true,
        force: false,
        egress: { allow: [], deny: [], caCerts: [] },
        passThrough: ['x'],
        sandboxFlags: [],
      },
    });
    const withSandbox = await parseCli(['login', '--device-auth', '--save-to', 'd', '--force', '--image', 'i:1', '--allow', 'a.test']);
    expect(withSandbox).toEqual({
      command: 'login',
      options: {
        agent: 'codex',
        deviceAuth: true,
        withApiKey: false,
        saveTo: 'd',
        force: true,
        image: 'i:1',
        egress: { allow: ['a.test'], deny: [], caCerts: [] },
        passThrough: [],
        sandboxFlags: ['--image', '--allow'],
      },
    });
  });
});

describe('sessions and the commands after a run (R42-R48, R53, R73, R90)', () => {
  it.each<[string[], object]>([
    [
      ['list', '--running', '--format', 'names', '--filter', 'name=a', '--filter', 'status=up'],
      { state: 'running', format: 'names', filters: ['name=a', 'status=up'] },
    ],
    [['list'], { state: 'default', format: 'table', filters: [] }],
    [['attach', 's', '--', 'ls', '-l'], { name: 's', command: ['ls', '-l'] }],
    [['stop', '--all'], { all: true }],
    [['destroy', '--stopped', '--force'], { all: false, stopped: true, force: true }],
    [['push', '--name', 's', 'a', 'b', '--force'], { name: 's', paths: ['a', 'b'], force: true }],
    [['pull', 'out.txt', 'dest'], { containerPath: 'out.txt', dest: 'dest', force: false }],
    [['diff', 'abc12345', '--stat'], { target: 'abc12345', stat: true, list: false }],
    [['trust', '--work-dir', 'w', '--revoke'], { workDir: 'w', revoke: true }],
    [['doctor', '--json', '--agent', 'claude'], { json: true, agent: 'claude' }],
  ])('%j', async (argv, options) => {
    expect(await parseCli(argv)).toEqual({ command: argv[0], options });
  });
});

describe('egress and the live policy (R94, R167, R170-R172)', () => {
  it.each<[string[], object]>([
    [['egress', '--last', '--blocked', '--json'], { report: { last: true, json: true, requests: false, only: 'refused' } }],
    [
      ['egress', 'abcd', '--requests', '--codex-home', 'h'],
      { report: { run: 'abcd', last: false, json: false, requests: true, codexHome: 'h' } },
    ],
    [['egress', '--follow', '--name', 's'], { follow: { selector: { name: 's', last: false }, json: false } }],
    [
      ['egress', 'check', 'a.test:8443', '--allow', 'x.test', '--agent', 'claude', '--json'],
      { check: { host: 'a.test:8443', agent: 'claude', json: true, egress: { ...NO_EGRESS, allow: ['x.test'] } } },
    ],
  ])('%j', async (argv, options) => {
    expect(await parseCli(argv)).toEqual({ command: 'egress', options });
  });

  it('allow, deny, approve', async () => {
    expect(await parseCli(['allow', 'pypi.org', '@npm', '--name', 's', '--for', '10m', '--save'])).toEqual({
      command: 'allow',
      options: { action: 'allow', hosts: ['pypi.org', '@npm'], selector: { name: 's', last: false }, for: '10m', save: true },
    });
    expect(await parseCli(['deny', 'x.test', '--run', 'abc'])).toEqual({
      command: 'deny',
      options: { action: 'deny', hosts: ['x.test'], selector: { run: 'abc', last: false }, save: false },
    });
    expect(await parseCli(['approve', 'abc', '--once'])).toEqual({
      command: 'approve',
      options: { selector: { run: 'abc', last: false }, once: true },
    });
  });
});

describe('the engine and the lines that run nothing (R173)', () => {
  it('--engine and CONTAINER_ENGINE are carried as given (checked); absent, no key', async () => {
    expect(await parseCli(['list', '--engine', 'podman'], { CONTAINER_ENGINE: 'docker' })).toEqual({
      command: 'list',
      options: { state: 'default', format: 'table', filters: [] },
      engine: { flag: 'podman', env: 'docker' },
    });
    expect(await parseCli(['--engine', 'docker', 'list'])).toHaveProperty('engine', { flag: 'docker' });
  });

  it('--help and --version print (yargs) and parse to no command', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(await parseCommandLine(['--help'], {}, '9.9.9')).toBeUndefined();
      expect(await parseCommandLine(['build', '--help'], {}, '9.9.9')).toBeUndefined();
      expect(await parseCommandLine(['--version'], {}, '9.9.9')).toBeUndefined();
      expect(log.mock.calls.at(-1)).toEqual(['9.9.9']);
    } finally {
      log.mockRestore();
    }
  });
});
