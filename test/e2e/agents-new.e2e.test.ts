import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEgressJson } from './helpers/egress-records.js';
import { containersFor, docker, REPO_ROOT, runLauncher } from './helpers/run-launcher.js';
import { createLabNetwork, waitForPort, type LabNetwork } from './helpers/test-hosts.js';
import { createTestCertificates } from './helpers/test-tls.js';
import { AGENTS } from '../../scripts/core/agents/agents.js';

/**
 * R120-R127, R130, R161: GitHub Copilot CLI and OpenCode, the real binaries, in ONE image the
 * launcher builds with both (`build --agents codex,copilot,opencode`, tagged by the build; it
 * never becomes codex-sandbox:latest). Judged by what the lab hosts receive on a private network:
 * model.test is the mock model (test/e2e/mock-model, OpenAI Chat Completions for both: OpenCode's
 * provider `baseURL` and Copilot's COPILOT_PROVIDER_BASE_URL point there), and one HTTPS host
 * answers as api.github.com and GitHub's Copilot API hosts (its certificate trusted with
 * --ca-cert), logging the credential it gets: Copilot's token reaches it only through the
 * proxy (the agent holds a placeholder). other.test is never allowed and must stay unreached.
 */

const BASE = process.env.SANDBOX_BASE_IMAGE ?? 'local/node:bookworm';
const AGENT_UID = process.getuid?.() === 0 ? 4242 : (process.getuid?.() ?? 1000);
const FILE = 'agent-made-this.txt';
const FINAL = 'done: file created';
const COPILOT_NAMES = ['api.github.com', 'api.githubcopilot.com', 'api.individual.githubcopilot.com'];
/** A fine-grained token's shape (github_pat_…): the placeholder keeps the prefix and the length. */
const REAL_TOKEN = `github_pat_11${'A'.repeat(20)}_${'q7X'.repeat(19)}`;

/** HTTPS (and HTTP) logging `SERVED <proto> host=… auth=… path=…` and answering 401 as GitHub does to a bad token. */
const GITHUB_SERVER = String.raw`const http=require('http'),https=require('https'),fs=require('fs');
const h=(p)=>(q,s)=>{console.log('SERVED '+p+' host='+(q.headers.host||'')+' auth='+(q.headers.authorization||'-')+' path='+q.url);
 s.writeHead(401,{'content-type':'application/json'});s.end('{"message":"Bad credentials"}');};
http.createServer(h('http')).listen(80,'::');
https.createServer({key:fs.readFileSync('/certs/server.key'),cert:fs.readFileSync('/certs/server.crt')},h('https')).listen(443,'::');`;

/** OpenCode's provider for the mock, in the user's ~/.config/opencode/opencode.json (copied into its home). */
const OPENCODE_CONFIG = {
  model: 'mock/mock-model',
  provider: {
    mock: {
      npm: '@ai-sdk/openai-compatible',
      name: 'Mock',
      options: { baseURL: 'http://model.test/v1', apiKey: 'mock-key-not-secret' },
      models: { 'mock-model': { name: 'Mock model', tool_call: true } },
    },
  },
};

let scratch: string;
let home: string;
let certs: string;
let image: string | undefined;
let lab: LabNetwork;
let model: string;
let github: string;
let other: string;

beforeAll(
  () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-new-agents-'));
    home = path.join(scratch, 'home');
    certs = path.join(scratch, 'certs');
    mkdirSync(path.join(home, '.config', 'opencode'), { recursive: true });
    mkdirSync(certs);
    writeFileSync(path.join(home, '.config', 'opencode', 'opencode.json'), `${JSON.stringify(OPENCODE_CONFIG)}\n`);
    // The build names its own tag (stdout); --node 18 keeps it from becoming codex-sandbox:latest.
    const build = runLauncher(['build', '--agents', 'codex,copilot,opencode', '--node', '18', '--base-image', BASE], {
      cwd: scratch,
      env: { HOME: home },
      timeoutMs: 30 * 60 * 1000,
    });
    if (build.status !== 0) throw new Error(`build failed (${String(build.status)}):\n${build.stderr.slice(-3000)}`);
    image = build.stdout.trim();
    createTestCertificates(certs, COPILOT_NAMES);
    chmodSync(path.join(certs, 'server.key'), 0o644); // the lab hosts run as another user
    lab = createLabNetwork('cs-e2e-new-agents');
    const mock = path.join(REPO_ROOT, 'test/e2e/mock-model');
    model = lab.startNode('model', ['model.test'], "require('/mock/server.js')", [
      '--mount',
      `type=bind,source=${mock},target=/mock,readonly`,
    ]);
    github = lab.startNode('github', COPILOT_NAMES, GITHUB_SERVER, ['--mount', `type=bind,source=${certs},target=/certs,readonly`]);
    other = lab.startNode('other', ['other.test'], GITHUB_SERVER, ['--mount', `type=bind,source=${certs},target=/certs,readonly`]);
    for (const container of [model, github, other]) waitForPort(container, 80);
  },
  35 * 60 * 1000,
);

afterAll(() => {
  lab?.remove();
  if (image !== undefined) docker(['rmi', image]);
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

function newWorkdir(name: string): string {
  const workdir = path.join(scratch, name);
  mkdirSync(workdir);
  if (process.getuid?.() === 0) chownSync(workdir, AGENT_UID, AGENT_UID);
  return workdir;
}

type Agent = 'copilot' | 'opencode';

/** `[command] --agent A --work_dir W --image <built> --network <lab> [extra] [rest]`, every lab log read before and after. */
function launch(
  agent: Agent,
  workdir: string,
  command: 'exec' | 'shell',
  rest: string[],
  options: { env?: Record<string, string>; extra?: string[] } = {},
) {
  const before = [model, github, other].map((container) => lab.logs(container).length);
  const argv = [
    command,
    '--agent',
    agent,
    '--work_dir',
    workdir,
    '--image',
    image!,
    '--network',
    lab.name,
    ...(options.extra ?? []),
    ...rest,
  ];
  const result = runLauncher(argv, { cwd: scratch, env: { HOME: home, ...options.env }, timeoutMs: 180000 });
  const [modelLog, githubLog, otherLog] = [model, github, other].map((container, index) => lab.logs(container).slice(before[index]));
  return { ...result, modelLog: modelLog ?? '', githubLog: githubLog ?? '', otherLog: otherLog ?? '' };
}

function refusedNames(workdir: string): string[] {
  const result = runLauncher(['egress', '--last', '--blocked', '--json', '--work_dir', workdir], { cwd: scratch, env: { HOME: home } });
  expect(result.status).toBe(0);
  return parseEgressJson(result.stdout).destinations.map((d) => String(d.name ?? d.address ?? '?'));
}

function summaryOf(workdir: string): { exit: Record<string, unknown>; summary: string } {
  const runs = path.join(workdir, '.codex', 'runs');
  const dir = path.join(runs, readdirSync(runs)[0]!);
  return {
    exit: JSON.parse(readFileSync(path.join(dir, 'exit.json'), 'utf8')) as Record<string, unknown>,
    summary: readFileSync(path.join(dir, 'summary.md'), 'utf8'),
  };
}

const SHELL_PROBE = (variable: string, binary: string) =>
  [
    'id -u',
    `printf '%s\\n' "$${variable}"`,
    `${binary} --version | head -n 1`,
    'curl -sS -m 5 -o /dev/null http://other.test/ && echo other-reached || echo other-blocked',
  ].join('; ');

describe.each([
  ['copilot', 'COPILOT_HOME', /^GitHub Copilot CLI \d+\.\d+\.\d+/],
  ['opencode', 'XDG_CONFIG_HOME', /^\d+\.\d+\.\d+$/],
] as const)('--agent %s', (agent, variable, version) => {
  test('in the built image: starts as the agent user, prints its version, its home as documented, other hosts blocked', () => {
    const workdir = newWorkdir(`${agent}-shell`);
    const run = launch(agent, workdir, 'shell', ['--', 'bash', '-c', SHELL_PROBE(variable, agent)]);
    expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
    const [uid, agentHome, printed, reached] = run.stdout.trim().split('\n');
    expect(Number(uid)).toBe(AGENT_UID);
    expect(agentHome).toBe(`/app${workdir}/.codex/.environment/agents/${agent}`);
    expect(printed).toMatch(version);
    expect(reached).toBe('other-blocked');
    expect(run.otherLog).not.toContain('SERVED');
    expect(refusedNames(workdir)).toEqual(['other.test']);
    const labels = JSON.parse(docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', image!])) as Record<string, string>;
    expect(labels[`codex-sandbox.agent.${agent}`]).toMatch(/^\d+\.\d+\.\d+/);
  });

  test('exec: one turn against the mock model creates the file and writes the report; nothing else is tried', () => {
    const workdir = newWorkdir(`${agent}-exec`);
    const env = agent === 'copilot' ? { COPILOT_PROVIDER_BASE_URL: 'http://model.test/v1', COPILOT_MODEL: 'mock-model' } : undefined;
    const run = launch(agent, workdir, 'exec', ['--allow', 'model.test', 'create the file'], { env });
    expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(readFileSync(path.join(workdir, FILE), 'utf8')).toBe('made by the agent\n');
    expect(statSync(path.join(workdir, FILE)).uid).toBe(process.getuid?.() === 0 ? AGENT_UID : process.getuid?.());
    expect(run.modelLog).toContain('MOCK-TOOL-CALL');
    expect(run.modelLog).toContain('MOCK-TOOL-RESULT');
    expect(run.stdout).toContain(FINAL);
    const report = summaryOf(workdir);
    expect(report.exit).toEqual(expect.objectContaining({ exitCode: 0, agent, agentVersion: expect.stringMatching(/^\d+\.\d+\.\d+/) }));
    expect(report.summary).toContain(FINAL);
    // Its telemetry, update checks and model list are off by its own settings: no other name was
    // asked for but the registry's background hosts (OpenCode's plugin install, refused).
    expect(run.githubLog).not.toContain('SERVED');
    const background = Object.keys(AGENTS[agent].backgroundHosts ?? {});
    expect(refusedNames(workdir).filter((name) => !background.includes(name))).toEqual([]);
    expect(containersFor(workdir)).toEqual([]);
  });
});

describe('GitHub Copilot CLI with a GitHub token (R125, R161)', () => {
  test('the agent holds a placeholder of the same shape; the proxy gives api.github.com the real token', () => {
    const workdir = newWorkdir('copilot-token');
    // The real value's tail, searched (as the agent) in every file it can read and in every
    // process's environ and argv it can read: found nowhere (R161). The pattern is put
    // together in a file descriptor, so no argv of the search holds it.
    const probe =
      'printf "%s\\n" "$COPILOT_GITHUB_TOKEN"; p=q7X; pat() { printf "%s%s\\n" "$p" "$p"; }; ' +
      '{ grep -rIlF -f <(pat) / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev 2>/dev/null; ' +
      'cat /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null | tr "\\0" "\\n" | grep -F -f <(pat); } | wc -l';
    const shell = launch('copilot', workdir, 'shell', ['--', 'bash', '-c', probe], { env: { COPILOT_GITHUB_TOKEN: REAL_TOKEN } });
    expect(shell.status).toBe(0);
    const [placeholder, realSeen] = shell.stdout.trim().split('\n');
    expect(placeholder).not.toBe(REAL_TOKEN);
    expect(placeholder).toMatch(/^github_pat_[A-Za-z0-9_]+$/);
    expect(placeholder?.length).toBe(REAL_TOKEN.length);
    expect(realSeen).toBe('0');

    const run = launch('copilot', workdir, 'exec', ['--ca-cert', path.join(certs, 'ca.crt'), 'hello'], {
      env: { COPILOT_GITHUB_TOKEN: REAL_TOKEN },
    });
    // The lab host is no GitHub: the account lookup is refused, and so is the run.
    expect(run.status).not.toBe(0);
    expect(run.githubLog).toContain(`SERVED https host=api.github.com auth=Bearer ${REAL_TOKEN} path=/copilot_internal/user`);
    expect(run.githubLog).not.toContain(placeholder);
    expect(run.modelLog).not.toContain('MOCK-REQUEST');
    expect(run.otherLog).not.toContain('SERVED');
    expect(`${run.stdout}${run.stderr}`).not.toContain(REAL_TOKEN);
    expect(refusedNames(workdir)).toEqual([]);
  });
});

describe('OpenCode login file (R124, R164)', () => {
  test('auth.json from --auth_file: mounted read-only in its home, the key a placeholder', () => {
    const workdir = newWorkdir('opencode-login');
    const key = `sk-ant-api03-${'Zq9'.repeat(30)}`;
    const file = path.join(scratch, 'opencode-auth.json');
    writeFileSync(file, `${JSON.stringify({ anthropic: { type: 'api', key } })}\n`);
    const script = 'f="$XDG_DATA_HOME/opencode/auth.json"; cat "$f"; echo x >> "$f" && echo written || echo read-only';
    const run = launch('opencode', workdir, 'shell', ['--', 'bash', '-c', script], { extra: ['--auth_file', file] });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('"type": "api"');
    expect(run.stdout).toMatch(/"key": "sk-ant-api03-[A-Za-z0-9]{90}"/);
    expect(run.stdout).not.toContain(key);
    expect(run.stdout).toContain('read-only');
    expect(readFileSync(file, 'utf8')).toContain(key);
    const copy = path.join(workdir, '.codex', '.environment', 'agents', 'opencode', 'opencode', 'auth.json');
    expect(existsSync(copy) ? statSync(copy).size : 0).toBe(0);
  });
});
