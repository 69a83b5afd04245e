import fs from 'node:fs';
import path from 'node:path';
import { egressStoreDir } from '../../scripts/host/egress/egress-store.js';
import { runCli } from './helpers/run-cli.js';
import { makeTempDir, removeTempDir, snapshotTree, writeFile } from './helpers/temp-dir.js';

const DEFAULTS = 'api.openai.com chatgpt.com chat.openai.com auth.openai.com auth0.openai.com platform.openai.com openai.com';
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

let tmp: string;
let home: string;
let work: string;
beforeEach(() => {
  tmp = makeTempDir('codex-sandbox-egress-cli-');
  home = path.join(tmp, 'home');
  work = path.join(tmp, 'work');
  fs.mkdirSync(home);
  fs.mkdirSync(work);
});
afterEach(() => removeTempDir(tmp));

/** `-e` values of the dry-run argv, and everything between the security options and the first mount. */
function dryRun(args: string[], env: Record<string, string> = {}) {
  const result = runCli(['--dry-run', ...args], { cwd: work, home, env });
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
  const argv = JSON.parse(result.stdout) as string[];
  const env_ = argv.flatMap((word, index) => (argv[index - 1] === '-e' ? [word] : []));
  const mounts = argv.flatMap((word, index) => (argv[index - 1] === '--mount' ? [word] : []));
  const addHosts = argv.flatMap((word, index) => (argv[index - 1] === '--add-host' ? [word] : []));
  return { env: env_, mounts, addHosts, stderr: result.stderr, stdout: result.stdout };
}

describe('egress flags in --dry-run', () => {
  it('every allowance is visible in the argv; stderr says what was allowed', () => {
    const ca = writeFile(path.join(tmp, 'corp-ca.pem'), PEM);
    const run = dryRun(
      [
        '--allow',
        '@npm',
        '--allow',
        '*.lab.test',
        '--allow',
        'git.lab.test:2222',
        '--deny',
        'evil.lab.test',
        '--allow-host-port',
        '3000',
        '--ask',
        '--ask-timeout',
        '45s',
        '--proxy',
        'http://user:secret@proxy.test:3128',
        '--ca-cert',
        ca,
      ],
      { OPENAI_ALLOWED_DOMAINS: 'extra.test' },
    );
    // Not egress: the Codex home link and the mount identities (R103), tested in cli-dry-run.
    const notEgressNames = [
      'CODEX_HOME',
      'HOME',
      'SANDBOX_WORKDIR',
      'SANDBOX_ENV_DIR',
      'SANDBOX_HOST_UID',
      'SANDBOX_HOST_GID',
      'SANDBOX_EGRESS_LOG',
      'SANDBOX_CODEX_HOME',
      'SANDBOX_MOUNT_IDS',
    ];
    const notEgress = new RegExp(`^(${notEgressNames.join('|')})=`);
    expect(run.env.filter((value) => !notEgress.test(value))).toEqual([
      `SANDBOX_ALLOWED_DOMAINS=${DEFAULTS} extra.test registry.npmjs.org registry.yarnpkg.com *.lab.test`,
      'SANDBOX_ALLOWED_PORTS=git.lab.test:2222',
      'SANDBOX_DENIED_DOMAINS=evil.lab.test',
      'SANDBOX_HOST_PORTS=3000',
      // --ask (R172): the image holds undecided names that long.
      'SANDBOX_ASK_TIMEOUT=45',
      'SANDBOX_PROXY=proxy.test:3128',
      'HTTP_PROXY=http://127.0.0.1:3128',
      'HTTPS_PROXY=http://127.0.0.1:3128',
      'http_proxy=http://127.0.0.1:3128',
      'https_proxy=http://127.0.0.1:3128',
      'NO_PROXY=localhost,127.0.0.1,::1,host.docker.internal',
      'no_proxy=localhost,127.0.0.1,::1,host.docker.internal',
      'npm_config_proxy=http://127.0.0.1:3128',
      'npm_config_https_proxy=http://127.0.0.1:3128',
      // The proxy's login by name only: docker takes the value from its own environment (R84).
      'SANDBOX_PROXY_AUTH',
    ]);
    expect(run.stdout).not.toContain('secret');
    expect(run.addHosts).toEqual(['host.docker.internal:host-gateway']);
    expect(run.mounts).toContain(`type=bind,source=${ca},target=/usr/local/share/ca-certificates/codex-sandbox/1.crt,readonly`);
    expect(run.stderr).toContain('allowing extra.test registry.npmjs.org registry.yarnpkg.com *.lab.test (ports 80/443)\n');
    expect(run.stderr).toContain('using proxy http://***@proxy.test:3128 (from --proxy)\n');
    expect(run.stderr).toContain(`trusting CA ${ca}\n`);
    expect(run.stderr).toContain('asking: a name not yet decided waits up to 45 s for your answer in `run-in-container approve`\n');
    expect(run.stderr).not.toContain('secret');
  });

  it('HTTPS_PROXY on the host is picked up; a loopback proxy goes through host.docker.internal, for the sandbox only', () => {
    const run = dryRun([], { https_proxy: 'http://127.0.0.1:3128' });
    expect(run.env).toContain('SANDBOX_PROXY=host.docker.internal:3128');
    expect(run.env).toContain('HTTPS_PROXY=http://127.0.0.1:3128');
    expect(run.env.some((value) => value.startsWith('SANDBOX_HOST_PORTS='))).toBe(false);
    expect(run.addHosts).toEqual(['host.docker.internal:host-gateway']);
    expect(run.stderr).toContain("the proxy is on the host's loopback");
  });

  it('model providers: allowed from ~/.codex, refused from the workdir, off with --no-provider-allow', () => {
    writeFile(path.join(home, '.codex', 'config.toml'), '[model_providers.corp]\nbase_url = "https://llm.corp.test/v1"\n');
    const allowed = dryRun([]);
    expect(allowed.stderr).toContain('allowing llm.corp.test (model provider corp)\n');
    expect(allowed.env).toContain(`SANDBOX_ALLOWED_DOMAINS=${DEFAULTS} llm.corp.test`);
    const off = dryRun(['--no-provider-allow']);
    expect(off.env).toContain(`SANDBOX_ALLOWED_DOMAINS=${DEFAULTS}`);
    expect(off.stderr).not.toContain('model provider');

    fs.rmSync(path.join(home, '.codex'), { recursive: true });
    const inWorkdir = writeFile(path.join(work, '.codex', 'config.toml'), '[model_providers.p]\nbase_url = "https://p.test:8443"\n');
    const refused = dryRun([]);
    expect(refused.env).toContain(`SANDBOX_ALLOWED_DOMAINS=${DEFAULTS}`);
    expect(refused.env.some((value) => value.startsWith('SANDBOX_ALLOWED_PORTS='))).toBe(false);
    expect(refused.stderr).toContain(
      `not auto-allowing p.test (model provider p): the config (${inWorkdir}) is writable by the agent;` +
        ' allow it with --allow p.test:8443\n',
    );
  });
});

describe('bad egress input: exit 2, one line, nothing created', () => {
  it.each<[string[], Record<string, string>, string]>([
    [
      ['--allow', '@nope'],
      {},
      'run-in-container: --allow: unknown preset "@nope": use one of @npm @pypi @github @maven @debian @rust @go\n',
    ],
    [
      ['--allow', '192.168.1.10'],
      {},
      'run-in-container: --allow: "192.168.1.10" is not a valid host name (IP addresses are not allowed, only host names)' +
        '; for a service on the Docker host use --allow-host-port PORT\n',
    ],
    [
      ['--allow-host-port', '0'],
      {},
      'run-in-container: --allow-host-port: host port "0" is not a TCP port: use a number from 1 to 65535\n',
    ],
    [['--deny', 'x:99999'], {}, 'run-in-container: --deny: port in "x:99999": "99999" is not a TCP port: use a number from 1 to 65535\n'],
    [
      ['--proxy', 'socks5://p:1080'],
      {},
      'run-in-container: --proxy must be an http:// proxy URL (it starts with socks5:):' +
        ' use http://host:port (or http://user:password@host:port)\n',
    ],
    [
      [],
      { HTTP_PROXY: 'proxy.corp:3128' },
      'run-in-container: HTTP_PROXY must be an http:// proxy URL (it starts with proxy.corp:):' +
        ' use http://host:port (or http://user:password@host:port)\n',
    ],
    [['--ca-cert', 'nope.pem'], {}, 'run-in-container: --ca-cert "nope.pem" does not exist (ENOENT): check the path\n'],
    [
      [],
      { OPENAI_ALLOWED_DOMAINS: 'ok.test @nope' },
      'run-in-container: OPENAI_ALLOWED_DOMAINS: unknown preset "@nope": use one of @npm @pypi @github @maven @debian @rust @go\n',
    ],
  ])('%j %j', (args, env, stderr) => {
    const before = snapshotTree(tmp);
    for (const dry of [true, false]) {
      const result = runCli([...(dry ? ['--dry-run'] : []), ...args], { cwd: work, home, env });
      expect(result).toEqual({ status: 2, stdout: '', stderr });
    }
    expect(snapshotTree(tmp)).toEqual(before);
  });

  it('malformed config.toml names the file and line', () => {
    const config = writeFile(path.join(home, '.codex', 'config.toml'), 'a = 1\n[model_providers\n');
    const result = runCli(['--dry-run'], { cwd: work, home });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(`^run-in-container: ${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: malformed TOML \\(.*\\): fix that line\\n$`),
    );
  });

  it('--help lists the presets with their hosts', () => {
    const result = runCli(['--help'], { cwd: work, home });
    expect(result.stdout).toContain('@npm     registry.npmjs.org registry.yarnpkg.com');
    expect(result.stdout).toContain('@go      proxy.golang.org sum.golang.org');
  });
});

describe('`egress` reads the Codex home the way a run resolves it (R94, R101, R100)', () => {
  const COPY = '{"kind":"dns","verdict":"refused","reason":"DNS","count":1,"name":"x.test"}\n';

  it('a `.codex` link the agent planted in the workdir is refused, never followed', () => {
    const outside = path.join(tmp, 'out\u001b]0;pwned\u0007');
    writeFile(path.join(outside, '.environment', 'egress', 'aaaaaaaa.jsonl'), COPY);
    fs.symlinkSync(outside, path.join(work, '.codex'));
    const result = runCli(['egress'], { cwd: work, home });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^run-in-container: .*\.codex is a symlink in a place the agent can write .*\n$/);
    expect(result.stderr).not.toContain('\u001b');
  });

  it('a Codex home given with --codex-home is the user’s: its name is printed escaped; its own copies are never read (R146)', () => {
    const envDir = path.join(tmp, 'home\u001b]0;pwned\u0007');
    writeFile(path.join(envDir, 'egress', 'aaaaaaaa.jsonl'), COPY);
    const none = runCli(['egress', '--codex-home', envDir], { cwd: work, home });
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('no egress record for');
    expect(none.stderr).toContain('home\\x1b]0;pwned\\x07');
    expect(none.stderr).not.toContain('\u001b');
    writeFile(path.join(egressStoreDir({ env: {}, home }, fs.realpathSync(envDir)), 'bbbbbbbb.jsonl'), COPY);
    const result = runCli(['egress', '--codex-home', envDir], { cwd: work, home });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^run bbbbbbbb \(.*\/egress-records\/[0-9a-f]{16}\/bbbbbbbb\.jsonl\): 0 allowed, 1 refused/);
    expect(result.stdout).not.toContain('\u001b');
  });
});

describe('`egress --json` is schema v1; policy changes are shown (R170); its flags (R170, R171)', () => {
  const RECORD =
    '{"kind":"policy","time":"2025-03-10T14:02:11.000Z","action":"allow","pattern":"pypi.org","by":"alice",' +
    '"until":"2025-03-10T14:12:11.000Z"}\n' +
    '{"kind":"dns","verdict":"refused","reason":"DNS","count":2,"name":"x.test","time":"2025-03-10T14:01:00.000Z"}\n' +
    '{"kind":"http","verdict":"allowed","count":1,"name":"pypi.org","port":443,"bytesUp":5,"bytesDown":6}\n' +
    '{"dropped":4}\n';

  function stored(): string {
    const envDir = path.join(tmp, 'codex-home');
    fs.mkdirSync(envDir);
    writeFile(path.join(egressStoreDir({ env: {}, home }, fs.realpathSync(envDir)), 'cccccccc.jsonl'), RECORD);
    return envDir;
  }

  it('--json: one line per destination, the policy change, the dropped count; every line v 1 with the run id', () => {
    const result = runCli(['egress', '--json', '--codex-home', stored()], { cwd: work, home });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(result.stdout.endsWith('\n')).toBe(true);
    expect(
      result.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual([
      {
        v: 1,
        runId: 'cccccccc',
        kind: 'dns',
        verdict: 'refused',
        time: '2025-03-10T14:01:00.000Z',
        count: 2,
        name: 'x.test',
        reason: 'DNS',
      },
      { v: 1, runId: 'cccccccc', kind: 'http', verdict: 'allowed', count: 1, name: 'pypi.org', port: 443, bytesUp: 5, bytesDown: 6 },
      {
        v: 1,
        runId: 'cccccccc',
        kind: 'policy',
        time: '2025-03-10T14:02:11.000Z',
        action: 'allow',
        pattern: 'pypi.org',
        by: 'alice',
        until: '2025-03-10T14:12:11.000Z',
      },
      { v: 1, runId: 'cccccccc', kind: 'dropped', count: 4 },
    ]);
  });

  it('the human form lists the change', () => {
    const result = runCli(['egress', '--codex-home', stored()], { cwd: work, home });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('\npolicy  14:02:11  allow pypi.org by alice (until 14:12:11)\n');
  });

  it.each<[string[], string]>([
    // egress' flag combinations and a repeated --egress-log: refused by the parse (cli-parse-refusals.test.ts);
    // one stays here, a whole-CLI run.
    [['egress', '--follow', '--blocked'], '--follow shows every event: drop --allowed, --blocked and --requests'],
    [['--dry-run', '--egress-log', ''], '--egress-log is empty: give a file path'],
    [
      ['exec', '--dry-run', '--egress-log', 'e.jsonl', 'hi'],
      '--egress-log "e.jsonl" lies in WORK, which the agent can write (it could replace the file with a link): ' +
        'choose a file outside the workdirs and the agent home',
    ],
  ])('%j: exit 2, one line, nothing changed', (args, message) => {
    const before = snapshotTree(tmp);
    const result = runCli(args, { cwd: work, home });
    expect(result).toEqual({ status: 2, stdout: '', stderr: `run-in-container: ${message.replace('WORK', fs.realpathSync(work))}\n` });
    expect(snapshotTree(tmp)).toEqual(before);
  });

  it('--egress-log outside the trees: the dry run goes on, its argv unchanged, the file not created', () => {
    fs.mkdirSync(path.join(tmp, 'logs'));
    const plain = runCli(['--dry-run'], { cwd: work, home });
    const logged = runCli(['--dry-run', '--egress-log', path.join(tmp, 'logs', 'e.jsonl')], { cwd: work, home });
    expect(logged.status).toBe(0);
    const argv = (stdout: string) =>
      (JSON.parse(stdout) as string[]).map((word) =>
        word.replace(/[0-9a-f]{8}(?=$|[^0-9a-f])/g, 'RUNID').replace(/launcher-pid=\d+/, 'launcher-pid=PID'),
      );
    expect(argv(logged.stdout)).toEqual(argv(plain.stdout));
    expect(fs.existsSync(path.join(tmp, 'logs', 'e.jsonl'))).toBe(false);
  });
});

describe('R172 [network] ask of the settings', () => {
  const askEnv = (args: string[]) => dryRun(args).env.filter((value) => value.startsWith('SANDBOX_ASK_TIMEOUT='));
  /** A command's own --dry-run (its words come after the command). */
  const commandAskEnv = (command: string, args: string[]) => {
    const result = runCli([command, '--dry-run', ...args], { cwd: work, home, env: {} });
    expect(result.status).toBe(0);
    const argv = JSON.parse(result.stdout) as string[];
    return argv.filter((word, index) => argv[index - 1] === '-e' && word.startsWith('SANDBOX_ASK_TIMEOUT='));
  };

  it('interactive runs hold names for 30 s; exec does not wait unless told to; --ask-timeout still sets the time', () => {
    writeFile(path.join(home, '.config', 'codex-sandbox', 'config.ini'), '[network]\nask = true\n');
    expect(askEnv([])).toEqual(['SANDBOX_ASK_TIMEOUT=30']);
    expect(commandAskEnv('shell', [])).toEqual(['SANDBOX_ASK_TIMEOUT=30']);
    expect(commandAskEnv('exec', ['do it'])).toEqual([]);
    expect(commandAskEnv('exec', ['--ask', '--ask-timeout', '5s', 'do it'])).toEqual(['SANDBOX_ASK_TIMEOUT=5']);
    writeFile(path.join(home, '.config', 'codex-sandbox', 'config.ini'), '[network]\nask = false\n');
    expect(askEnv([])).toEqual([]);
  });

  it('a value other than true or false is refused with its file and line', () => {
    const file = writeFile(path.join(home, '.config', 'codex-sandbox', 'config.ini'), '[network]\nask = sometimes\n');
    const result = runCli(['--dry-run'], { cwd: work, home, env: {} });
    expect(result.stderr).toBe(`run-in-container: ${file}:2: [network] ask is "sometimes": give true or false\n`);
    expect(result.status).toBe(2);
  });
});
