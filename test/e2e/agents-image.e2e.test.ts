import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { docker, IMAGE } from './helpers/run-launcher.js';
import { prepareDirectSandbox, runSync, startSandbox, uniqueName, type DirectSandbox } from './helpers/sandbox-argv.js';
import { TEST_LABEL } from './helpers/test-network.js';
import { IMAGE_CONTRACT } from '../../scripts/core/run/container-identity.js';
import { AGENT_IDS, AGENTS } from '../../scripts/core/agents/agents.js';
import { renderAgentFacts } from '../../scripts/core/image/agent-facts.js';

/**
 * The image with three agents (the global setup builds codex, claude 2.1.332, gemini 0.61.0,
 * R130-R133): labels, SANDBOX_AGENT, the refusal of an agent the image lacks, and login mode's
 * forward of one port. Containers are started directly with the launcher's `docker run`
 * arguments (from a dry run) plus the entrypoint's variables.
 */
const AGENT_UID = process.getuid?.() === 0 ? 4242 : (process.getuid?.() ?? 1000);
const REDUCED_IMAGE = `codex-sandbox-test/agents-reduced:${process.pid}`;

let scratch: string;
let workdir: string;
let sandbox: DirectSandbox;
let labels: Record<string, string>;

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-agents-'));
  workdir = path.join(scratch, 'project');
  const home = path.join(scratch, 'home');
  mkdirSync(path.join(workdir, '.codex', '.environment'), { recursive: true });
  mkdirSync(home);
  if (process.getuid?.() === 0) {
    for (const dir of [workdir, path.join(workdir, '.codex'), path.join(workdir, '.codex', '.environment')]) {
      chownSync(dir, AGENT_UID, AGENT_UID);
    }
  }
  sandbox = prepareDirectSandbox(workdir, { cwd: scratch, home });
  labels = JSON.parse(docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', IMAGE])) as Record<string, string>;
  // The same image without gemini and codex (files and commands gone): what the entrypoint checks.
  docker(
    ['build', '-q', '--label', TEST_LABEL, '-t', REDUCED_IMAGE, '-'],
    `FROM ${IMAGE}\nRUN rm -f /etc/codex-sandbox/agents/gemini /usr/local/bin/gemini` +
      ' /etc/codex-sandbox/agents/codex /usr/local/bin/codex\n',
  );
}, 300000);

afterAll(() => {
  runSync(['rmi', '-f', REDUCED_IMAGE]);
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

const run = (env: Record<string, string>, command: string[], image?: string) =>
  runSync(sandbox.args(uniqueName('cs-e2e-agents'), env, command, [], image));

describe('R131 the image says which agents it has', () => {
  test('labels carry the real versions of the three agents and of the base image node', () => {
    expect(labels).toMatchObject({
      'codex-sandbox.entrypoint': String(IMAGE_CONTRACT),
      'codex-sandbox.agent.claude': '2.1.332',
      'codex-sandbox.agent.gemini': '0.61.0',
      'codex-sandbox.agent.codex': expect.stringMatching(/^[0-9]+\.[0-9]+\.[0-9]+$/),
      'codex-sandbox.node': expect.stringMatching(/^[0-9]+\.[0-9]+\.[0-9]+$/),
    });
    const files = run({ SANDBOX_COMMAND: 'shell' }, ['sh', '-c', 'cat /etc/codex-sandbox/agents/claude /etc/codex-sandbox/codex-version']);
    expect(files.stdout).toBe(`2.1.332\n${labels['codex-sandbox.agent.codex']}\n`);
    const node = labels['codex-sandbox.node'] ?? '';
    const tag = `codex-sandbox:codex-${labels['codex-sandbox.agent.codex']}_claude-2.1.332_gemini-0.61.0-node${node.split('.')[0]}`;
    expect(docker(['image', 'inspect', '--format', '{{.Id}}', tag])).toBe(docker(['image', 'inspect', '--format', '{{.Id}}', IMAGE]));
  });
});

describe('R130 the image knows its agents from the registry', () => {
  test('/etc/codex-sandbox/agent-facts.tsv is the registry as rendered at build, root-owned', () => {
    const facts = run({ SANDBOX_COMMAND: 'shell' }, [
      'sh',
      '-c',
      'stat -c "%U %a" /etc/codex-sandbox/agent-facts.tsv; cat /etc/codex-sandbox/agent-facts.tsv',
    ]);
    expect(facts.stdout).toBe(`root 644\n${renderAgentFacts(AGENT_IDS.map((id) => AGENTS[id]))}`);
  });
});

describe('R132 SANDBOX_AGENT picks the agent', () => {
  test.each([
    ['claude', '2.1.332 (Claude Code)'],
    ['gemini', '0.61.0'],
  ])('%s --version through the entrypoint', (agent, version) => {
    const result = run({ SANDBOX_AGENT: agent }, ['--version']);
    expect({ status: result.status, stdout: result.stdout.trim() }).toEqual({ status: 0, stdout: version });
  });

  test.each([
    ['claude', ['-p'], (args: string) => args.startsWith('claude -p')],
    ['gemini', ['--skip-trust'], (args: string) => args.startsWith('/opt/codex-sandbox/node/bin/node ') && args.includes('gemini')],
  ])(
    '%s runs as the agent user with no capabilities (waiting for its prompt on stdin)',
    async (agent, args, isAgent) => {
      const name = uniqueName('cs-e2e-agents');
      const env = { SANDBOX_AGENT: agent, ANTHROPIC_API_KEY: 'test', GEMINI_API_KEY: 'test', SANDBOX: 'codex-sandbox' };
      const running = startSandbox(name, sandbox.args(name, env, args));
      try {
        running.child.stdin.write('hello\n'); // no end: the CLI keeps reading its prompt
        let line: string | undefined;
        for (let i = 0; i < 600 && line === undefined; i += 1) {
          const ps = runSync(['exec', name, 'ps', '-eo', 'pid=,uid=,args=']);
          line = ps.stdout.split('\n').find((entry) => isAgent(entry.trim().split(/\s+/).slice(2).join(' ')));
          if (line === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const [pid, uid] = (line ?? '').trim().split(/\s+/);
        expect(Number(uid)).toBe(AGENT_UID);
        expect(AGENT_UID).not.toBe(0);
        const status = docker(['exec', name, 'cat', `/proc/${pid}/status`]);
        expect(status).toMatch(/^CapEff:\s+0{16}$/m);
        expect(status).toMatch(/^CapBnd:\s+0{16}$/m);
        expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
      } finally {
        running.stop();
      }
    },
    120000,
  );

  test('gemini runs on its own Node >= 20; the base image node stays as the tag says', () => {
    const result = run({ SANDBOX_COMMAND: 'shell' }, [
      'sh',
      '-c',
      'node --version; /opt/codex-sandbox/node/bin/node --version; cat /etc/gemini-cli/settings.json',
    ]);
    const [base = '', own = ''] = result.stdout.split('\n');
    expect(base).toBe(`v${labels['codex-sandbox.node']}`);
    if (Number(/^v(\d+)/.exec(base)?.[1]) < 20) expect(Number(/^v(\d+)/.exec(own)?.[1])).toBeGreaterThanOrEqual(20);
    expect(result.stdout).toContain('"usageStatisticsEnabled": false');
  });

  const NO_GEMINI = 'codex-sandbox: agent: this image has no gemini: build one with `run-in-container build --agents claude,gemini`';
  test.each<[Record<string, string>, string, string]>([
    [{ SANDBOX_AGENT: 'nosuchagent' }, `codex-sandbox: agent: unknown agent 'nosuchagent' (expected ${AGENT_IDS.join(', ')})`, IMAGE],
    [{ SANDBOX_AGENT: 'gemini' }, NO_GEMINI, REDUCED_IMAGE],
    [{}, 'codex-sandbox: agent: this image has no codex: build one with `run-in-container build --agents codex,claude`', REDUCED_IMAGE],
    [{ SANDBOX_AGENT: 'gemini', SANDBOX_COMMAND: 'shell' }, NO_GEMINI, REDUCED_IMAGE],
  ])('%j: exit 71 with one line, before anything runs', (env, message, image) => {
    const marker = path.join(workdir, `ran-${uniqueName('m')}`);
    const command = 'SANDBOX_COMMAND' in env ? ['touch', `/app${marker}`] : ['--version'];
    const result = run(env, command, image);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 71, stderr: `${message}\n` });
    expect(result.stdout).toBe('');
    expect(existsSync(marker)).toBe(false);
  });

  test('the reduced image still runs the agent it has', () => {
    const result = run({ SANDBOX_AGENT: 'claude' }, ['--version'], REDUCED_IMAGE);
    expect({ status: result.status, stdout: result.stdout.trim() }).toEqual({ status: 0, stdout: '2.1.332 (Claude Code)' });
  });

  test('sandbox-enter takes an agent name as its first word', async () => {
    const name = uniqueName('cs-e2e-agents');
    const session = startSandbox(name, sandbox.args(name, { SANDBOX_COMMAND: 'session' }, [], [], REDUCED_IMAGE));
    try {
      for (let i = 0; i < 300 && runSync(['exec', name, 'true']).status !== 0; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const claude = runSync(['exec', name, 'sandbox-enter', 'claude', '--version']);
      expect({ status: claude.status, stdout: claude.stdout.trim() }).toEqual({ status: 0, stdout: '2.1.332 (Claude Code)' });
      const gemini = runSync(['exec', name, 'sandbox-enter', 'gemini', '--version']);
      expect({ status: gemini.status, stderr: gemini.stderr }).toEqual({
        status: 71,
        stderr: 'codex-sandbox: enter: this image has no gemini: build one with `run-in-container build --agents claude,gemini`\n',
      });
    } finally {
      session.stop();
    }
  }, 120000);
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function fetchBody(port: number): Promise<string> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/auth/callback?code=test', timeout: 4000, agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(body));
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', (error) => resolve(`failed: ${error.message}`));
  });
}

/** As the agent: one server on 127.0.0.1:1455 (Codex's callback) and one on every address at 1456. */
const SERVERS =
  'const h=require("http");let n=0;const up=()=>{if(++n===2)console.log("listening")};' +
  'const f=(p)=>(q,s)=>s.end(`port ${p} uid ${process.getuid()}`);' +
  'h.createServer(f(1455)).listen(1455,process.argv[1],up);h.createServer(f(1456)).listen(1456,"0.0.0.0",up)';

describe('R133 login mode forwards the login port, and only it', () => {
  async function login(env: Record<string, string>, bind: string) {
    const [loginPort, otherPort] = [await freePort(), await freePort()];
    const name = uniqueName('cs-e2e-login');
    const publish = ['-p', `127.0.0.1:${loginPort}:1455`, '-p', `127.0.0.1:${otherPort}:1456`];
    const running = startSandbox(name, sandbox.args(name, { SANDBOX_COMMAND: 'login', ...env }, ['node', '-e', SERVERS, bind], publish));
    try {
      await running.waitFor('listening');
      const rules = docker(['exec', name, 'iptables', '-S', 'INPUT']);
      return { login: await fetchBody(loginPort), other: await fetchBody(otherPort), rules };
    } finally {
      running.stop();
    }
  }

  test('SANDBOX_LOGIN_PORT=1455: the host reaches the server on the container loopback; 1456 stays closed', async () => {
    const result = await login({ SANDBOX_LOGIN_PORT: '1455' }, '127.0.0.1');
    expect(result.login).toBe(`port 1455 uid ${AGENT_UID}`);
    expect(result.other).toMatch(/^failed: /);
    const accepts = result.rules.split('\n').filter((rule) => rule.startsWith('-A INPUT') && rule.endsWith('-j ACCEPT'));
    expect(accepts).toEqual([
      '-A INPUT -i lo -j ACCEPT',
      '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      expect.stringMatching(
        /^-A INPUT -s [0-9.]+\/32 -d [0-9.]+\/32 -i \S+ -p tcp -m tcp --dport 1455 -m conntrack --ctstate NEW -j ACCEPT$/,
      ),
    ]);
  }, 120000);

  test('without SANDBOX_LOGIN_PORT nothing is reachable, not even a server on every address (INPUT drop)', async () => {
    const result = await login({}, '0.0.0.0');
    expect(result.login).toMatch(/^failed: /);
    expect(result.other).toMatch(/^failed: /);
    expect(result.rules).not.toContain('--dport');
  }, 120000);

  test.each([
    [{ SANDBOX_COMMAND: 'login', SANDBOX_LOGIN_PORT: '80' }, 'SANDBOX_LOGIN_PORT must be a port from 1024 to 65535'],
    [{ SANDBOX_COMMAND: 'login', SANDBOX_LOGIN_PORT: '1455 1456' }, 'SANDBOX_LOGIN_PORT must be a port from 1024 to 65535'],
    [{ SANDBOX_COMMAND: 'login', SANDBOX_LOGIN_PORT: '3128' }, 'SANDBOX_LOGIN_PORT 3128 is used by the sandbox itself'],
    [{ SANDBOX_COMMAND: 'shell', SANDBOX_LOGIN_PORT: '1455' }, 'SANDBOX_LOGIN_PORT is only for SANDBOX_COMMAND=login'],
  ])('%j is refused (exit 71) before anything runs', (env, message) => {
    const marker = path.join(workdir, `ran-${uniqueName('m')}`);
    const result = run(env, ['touch', `/app${marker}`]);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 71, stderr: `codex-sandbox: login: ${message}\n` });
    expect(existsSync(marker)).toBe(false);
  });
});
