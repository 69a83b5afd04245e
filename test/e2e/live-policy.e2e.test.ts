import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { CLI, docker, runLauncher, type LauncherResult } from './helpers/run-launcher.js';
import {
  createLabNetwork,
  LOGGING_SERVER,
  makeSelfSignedCertificate,
  waitForPort,
  WEB_SERVER,
  type LabNetwork,
} from './helpers/test-hosts.js';

/**
 * The live policy (R167, R168): `allow`/`deny` change a running session's policy without a
 * restart — the resolver, the address sets and the name check follow at once; `--for` ends by
 * itself; `--save` writes the project's settings file, trusted, and the next run uses it. The
 * agent cannot reach the control channel. Judged by what the lab host logged.
 */
const id = randomBytes(3).toString('hex');
const SESSION = `live-${id}`;
const AGENT_UID = process.getuid?.() === 0 ? 4242 : (process.getuid?.() ?? 1000);
const HOSTS = [
  'live-a.test',
  'live-b.test',
  'live-c.test',
  'live-d.test',
  'live-e.test',
  'live-f.test',
  'held-a.test',
  'held-b.test',
  'live-g.test',
];

let scratch: string;
let workdir: string;
let home: string;
let lab: LabNetwork;
let web: string;
let tls: string;
const timings: number[] = [];

beforeAll(() => {
  scratch = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-live-')));
  workdir = path.join(scratch, 'project');
  home = path.join(scratch, 'home');
  for (const dir of [workdir, home]) mkdirSync(dir);
  if (process.getuid?.() === 0) chownSync(workdir, AGENT_UID, AGENT_UID);
  const certs = path.join(scratch, 'certs');
  mkdirSync(certs);
  makeSelfSignedCertificate(certs, ['live-tls.test']);
  lab = createLabNetwork('cs-e2e-live');
  web = lab.startNode('web', HOSTS, LOGGING_SERVER);
  tls = lab.startNode('tls', ['live-tls.test'], WEB_SERVER, [
    '--mount',
    `type=bind,source=${certs},target=/certs,readonly`,
    '-e',
    'NAME=tls',
  ]);
  waitForPort(web, 80);
  waitForPort(tls, 443, true);
  // The lab's certificate is trusted by the inspection as a user's private CA would be (never -k).
  const caCert = ['--ca-cert', path.join(certs, 'server.crt')];
  const started = launch(['shell', '--network', lab.name, ...caCert, '--deny', 'live-z.test', '--name', SESSION, '--keep', '--', 'true']);
  expect(started.stderr).toContain(`session ${SESSION} is still running`);
  expect(started.status).toBe(0);
}, 180000);

afterAll(() => {
  // Median time from `allow` to a change the sandbox has applied (the command's whole run).
  const sorted = [...timings].sort((a, b) => a - b);
  if (sorted.length > 0)
    console.log(`live policy: allow/deny took ${sorted.join(', ')} ms; median ${sorted[Math.floor(sorted.length / 2)]} ms`);
  try {
    docker(['rm', '-f', `codex-session-${SESSION}`]);
  } catch {
    // already gone
  }
  lab?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

const launch = (args: string[], cwd = workdir): LauncherResult => runLauncher(args, { cwd, env: { HOME: home } });

/** `allow`/`deny` against the session, timed. */
function change(args: string[]): LauncherResult {
  const started = Date.now();
  const result = launch(args);
  timings.push(Date.now() - started);
  return result;
}

/** What the lab host logged for `host` so far. */
const seen = (host: string) =>
  lab
    .logs(web)
    .split('\n')
    .filter((line) => line.startsWith(`GOT ${host}/`));

/** One request as the agent, in the session; true when it got the lab's answer. */
function fetchAsAgent(host: string, tag: string): boolean {
  const result = launch(['attach', SESSION, '--', 'curl', '-fsS', '-m', '5', `http://${host}/${tag}`]);
  return result.status === 0 && result.stdout.includes('ok');
}

/** Like waitFor, but lets the event loop run (a child's exit is seen meanwhile). */
async function waitUntil(probe: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (probe()) return true;
    if (Date.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Waits (polling, at most `ms`) until `probe` holds. */
function waitFor(probe: () => boolean, ms: number): boolean {
  const end = Date.now() + ms;
  for (;;) {
    if (probe()) return true;
    if (Date.now() > end) return false;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  }
}

describe('R167 allow and deny in a running session, without a restart', () => {
  it('a refused name becomes reachable at once after allow, and refused again after deny', () => {
    expect(fetchAsAgent('live-a.test', 'before')).toBe(false);
    expect(seen('live-a.test')).toEqual([]);
    const allowed = change(['allow', 'live-a.test', '--name', SESSION]);
    expect(allowed.stderr).toMatch(/applied in \d+ ms/);
    expect(allowed.stdout).toBe(`allowed live-a.test in session ${SESSION} until it stops\n`);
    expect(allowed.status).toBe(0);
    // No retry: the first request after the command returns goes through.
    expect(fetchAsAgent('live-a.test', 'after-allow')).toBe(true);
    expect(seen('live-a.test')).toEqual(['GOT live-a.test/after-allow']);
    const denied = change(['deny', 'live-a.test', '--name', SESSION]);
    expect(denied.status).toBe(0);
    expect(fetchAsAgent('live-a.test', 'after-deny')).toBe(false);
    expect(seen('live-a.test')).toEqual(['GOT live-a.test/after-allow']);
    // Allowed again (the latest change of a name wins): the session's container never restarted.
    expect(change(['allow', 'live-a.test', '--last']).status).toBe(0);
    expect(fetchAsAgent('live-a.test', 'again')).toBe(true);
    expect(docker(['inspect', '-f', '{{.RestartCount}} {{.State.Running}}', `codex-session-${SESSION}`])).toBe('0 true');
  });

  it('HTTPS (inspected) and CONNECT through the proxy port follow too', () => {
    const served = () =>
      lab
        .logs(tls)
        .split('\n')
        .filter((line) => line.startsWith('SERVED https host=live-tls.test'));
    const https = (proxy: string[]) => launch(['attach', SESSION, '--', 'curl', '-fsS', '-m', '5', ...proxy, 'https://live-tls.test/']);
    expect(https([]).status).not.toBe(0);
    expect(https(['-x', 'http://127.0.0.1:3128']).status).not.toBe(0);
    expect(served()).toEqual([]);
    expect(change(['allow', 'live-tls.test', '--name', SESSION]).status).toBe(0);
    expect(https([]).stdout).toBe('ok tls https\n');
    expect(https(['-x', 'http://127.0.0.1:3128']).stdout).toBe('ok tls https\n');
    expect(served()).toHaveLength(2);
    expect(change(['deny', 'live-tls.test', '--name', SESSION]).status).toBe(0);
    expect(https([]).status).not.toBe(0);
    expect(https(['-x', 'http://127.0.0.1:3128']).status).not.toBe(0);
    expect(served()).toHaveLength(2);
  });

  it('--for ends the change by itself', () => {
    const result = change(['allow', 'live-b.test', '--for', '2s', '--name', SESSION]);
    expect(result.stdout).toMatch(new RegExp(`^allowed live-b.test in session ${SESSION} until \\d\\d:\\d\\d:\\d\\d\\n$`));
    expect(fetchAsAgent('live-b.test', 'within')).toBe(true);
    // Polled: tries before the end still pass (and reach the lab host as /polling).
    expect(waitFor(() => !fetchAsAgent('live-b.test', 'polling'), 8000)).toBe(true);
    expect(fetchAsAgent('live-b.test', 'after-end')).toBe(false);
    expect(seen('live-b.test')[0]).toBe('GOT live-b.test/within');
    expect(seen('live-b.test')).not.toContain('GOT live-b.test/after-end');
  });

  it('--save writes the settings file, trusted: the next run reaches the name without asking', () => {
    const result = change(['allow', 'live-c.test', '--save', '--name', SESSION]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('and trusted: the next run uses it without asking');
    expect(readFileSync(path.join(workdir, '.codex', 'sandbox.ini'), 'utf8')).toBe('[network]\nallow = live-c.test\n');
    const trust = JSON.parse(readFileSync(path.join(home, '.config', 'codex-sandbox', 'trust.json'), 'utf8')) as {
      files: Record<string, { policy: string[] }>;
    };
    expect(trust.files[path.join(workdir, '.codex', 'sandbox.ini')]?.policy).toEqual(['network allow: live-c.test']);
    // A plain run, not interactive: an untrusted settings file would be refused here.
    const next = launch(['shell', '--network', lab.name, '--', 'curl', '-fsS', '-m', '5', 'http://live-c.test/next-run']);
    expect(next.stderr).not.toContain('not trusted');
    expect(next.status).toBe(0);
    expect(seen('live-c.test')).toContain('GOT live-c.test/next-run');
  }, 120000);
});

describe('R167 approve: the queue of refused names, answered in a second terminal', () => {
  const tmuxName = `cs-approve-${id}`;
  const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
  const pane = () => tmux('capture-pane', '-p', '-J', '-t', tmuxName, '-S', '-200');

  afterAll(() => {
    try {
      tmux('kill-session', '-t', tmuxName);
    } catch {
      // ended
    }
  });

  /** The agent retrying a name in the session (a command still running keeps its log in the sandbox). */
  function retrying(host: string, tries: number): Promise<number | null> {
    const loop = `for i in $(seq 1 ${tries}); do curl -fsS -m 3 http://${host}/try && exit 0; sleep 0.5; done; exit 1`;
    const child = spawn(process.execPath, [CLI, 'attach', SESSION, '--', 'sh', '-c', loop], {
      cwd: workdir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home },
      stdio: 'ignore',
    });
    return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  it('allow once lets the next try through; deny stops the asking and refuses', async () => {
    const agentE = retrying('live-e.test', 120);
    const command = `cd '${workdir}' && HOME='${home}' '${process.execPath}' '${CLI}' approve --name ${SESSION}; sleep 60`;
    tmux('new-session', '-d', '-s', tmuxName, '-x', '200', '-y', '50', command);
    expect(await waitUntil(() => /live-e\.test was refused \d+× \(DNS\)/.test(pane()), 30000)).toBe(true);
    expect(pane()).toContain('allow once (this run)');
    expect(seen('live-e.test')).toEqual([]);
    tmux('send-keys', '-t', tmuxName, 'Enter'); // the first choice: allow once
    expect(await waitUntil(() => pane().includes(`allowed live-e.test in session ${SESSION}`), 20000)).toBe(true);
    // The agent's next try got through: no restart.
    expect(await agentE).toBe(0);
    expect(seen('live-e.test')).toEqual(['GOT live-e.test/try']);
    // Another name: down twice to "deny (stop asking)".
    const agentF = retrying('live-f.test', 16);
    expect(await waitUntil(() => /live-f\.test was refused/.test(pane()), 30000)).toBe(true);
    tmux('send-keys', '-t', tmuxName, 'Down', 'Down', 'Enter');
    expect(await waitUntil(() => pane().includes(`denied live-f.test in session ${SESSION}`), 20000)).toBe(true);
    const live = docker(['exec', '-u', '0', `codex-session-${SESSION}`, 'sandbox-policy', 'show']);
    expect(live).toMatch(/^allow live-e\.test - \S+$/m);
    expect(live).toMatch(/^deny live-f\.test - \S+$/m);
    // It kept trying and was refused every time, but was not asked about again (decided).
    expect(await agentF).toBe(1);
    expect(pane().match(/live-f\.test was refused/g)).toHaveLength(1);
    expect(seen('live-f.test')).toEqual([]);
    tmux('send-keys', '-t', tmuxName, 'C-c');
  }, 150000);
});

describe('R168 the agent cannot use the control channel', () => {
  // Each line must fail as the agent; afterwards live-d.test is still refused (the lab host saw nothing).
  const ATTEMPTS = [
    ['sandbox-policy', 'allow', 'agent', '-', 'live-d.test'],
    ['/usr/local/bin/sandbox-policy', 'show'],
    ['cat', '/run/codex-sandbox/policy/live'],
    ['ls', '/run/codex-sandbox/policy'],
    ['sh', '-c', 'printf "#policy 1.000 allow live-d.test agent -\\n" > /run/codex-sandbox/egress/in.fifo'],
    ['sh', '-c', 'test -S /var/run/docker.sock || test -S /run/docker.sock'],
    ['sudo', '-n', 'true'],
    ['curl', '-fsS', '-m', '3', '--unix-socket', '/var/run/docker.sock', 'http://docker/version'],
  ];

  it.each(ATTEMPTS.map((argv) => [argv.join(' '), argv]))('fails as the agent: %s', (_label, argv) => {
    const result = launch(['attach', SESSION, '--', ...argv]);
    expect(result.status).not.toBe(0);
  });

  it('after every attempt the name is still refused and no change was recorded by the agent', () => {
    expect(fetchAsAgent('live-d.test', 'agent-tried')).toBe(false);
    expect(seen('live-d.test')).toEqual([]);
    const show = docker(['exec', '-u', '0', `codex-session-${SESSION}`, 'sandbox-policy', 'show']);
    expect(show).not.toContain('live-d.test');
  });
});

describe('R172 --ask: a name not yet decided is held while the user answers', () => {
  const ASKING = `ask-${id}`;
  const tmuxName = `cs-ask-${id}`;
  const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
  const pane = () => tmux('capture-pane', '-p', '-J', '-t', tmuxName, '-S', '-200');

  /** One try as the agent in the asking session: its exit code and how long it took. */
  function timedFetch(host: string): Promise<{ code: number | null; ms: number; out: string }> {
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, 'attach', ASKING, '--', 'curl', '-fsS', '-m', '40', `http://${host}/held`], {
      cwd: workdir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    return new Promise((resolve) => child.on('exit', (code) => resolve({ code, ms: Date.now() - started, out })));
  }

  beforeAll(() => {
    const started = launch(['shell', '--network', lab.name, '--name', ASKING, '--keep', '--ask', '--ask-timeout', '8s', '--', 'true']);
    expect(started.stderr).toContain('asking: a name not yet decided waits up to 8 s');
    expect(started.status).toBe(0);
  }, 120000);

  afterAll(() => {
    for (const args of [['kill-session', '-t', tmuxName]]) {
      try {
        tmux(...args);
      } catch {
        // ended
      }
    }
    try {
      docker(['rm', '-f', `codex-session-${ASKING}`]);
    } catch {
      // gone
    }
  });

  it('a held connection completes once approve allows it (no retry by the agent)', async () => {
    const agent = timedFetch('held-a.test');
    const command = `cd '${workdir}' && HOME='${home}' '${process.execPath}' '${CLI}' approve --name ${ASKING}; sleep 60`;
    tmux('new-session', '-d', '-s', tmuxName, '-x', '200', '-y', '50', command);
    expect(await waitUntil(() => /held-a\.test is held: the agent waits \d+ s more for your answer/.test(pane()), 20000)).toBe(true);
    expect(seen('held-a.test')).toEqual([]);
    tmux('send-keys', '-t', tmuxName, 'Enter'); // allow once
    const result = await agent;
    expect(result.out).toBe('ok\n');
    expect(result.code).toBe(0);
    expect(seen('held-a.test')).toEqual(['GOT held-a.test/held']);
    tmux('send-keys', '-t', tmuxName, 'C-c');
  }, 60000);

  it('without an answer it is refused after the timeout, and the lab host saw nothing', async () => {
    const result = await timedFetch('held-b.test');
    expect(result.code).not.toBe(0);
    // Held (not refused at once) for about the 8 s asked for, then refused.
    expect(result.ms).toBeGreaterThan(7000);
    expect(result.ms).toBeLessThan(25000);
    expect(seen('held-b.test')).toEqual([]);
  }, 60000);

  it('R168 the agent can neither read the queue nor reach the holding resolver', () => {
    // They exist (root sees them): the refusals below are the permissions, not absence.
    expect(docker(['exec', '-u', '0', `codex-session-${ASKING}`, 'sh', '-c', 'test -d /run/codex-sandbox/ask/pending && echo yes'])).toBe(
      'yes',
    );
    for (const argv of [
      ['ls', '/run/codex-sandbox/ask/pending'],
      ['cat', '/run/codex-sandbox/ask/decided.list'],
      ['dig', '+time=1', '+tries=1', '@127.0.0.1', '-p', '5355', 'held-c.test'],
      ['dig', '+time=1', '+tries=1', '+tcp', '@127.0.0.1', '-p', '5355', 'held-c.test'],
    ]) {
      const result = launch(['attach', ASKING, '--', ...argv]);
      expect({ argv, status: result.status === 0 ? 0 : 'failed' }).toEqual({ argv, status: 'failed' });
    }
  });

  it('a session without --ask refuses at once (headless runs never wait unless told to)', () => {
    const started = Date.now();
    expect(fetchAsAgent('held-b.test', 'no-ask')).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('R167 R170 R171 a plain run: changed by its run id, followed live, recorded', () => {
  interface Line {
    v: number;
    runId: string;
    kind: string;
    verdict?: string;
    name?: string;
    action?: string;
    pattern?: string;
    by?: string;
  }
  const parseLines = (text: string) =>
    text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Line);

  function started(command: string[]): { done: Promise<number | null>; out: () => string } {
    const child = spawn(process.execPath, [CLI, ...command], {
      cwd: workdir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    return { done: new Promise((resolve) => child.on('exit', (code) => resolve(code))), out: () => out };
  }

  it('allow --run ID lets the running agent through; --follow saw it; the record and --egress-log keep the change', async () => {
    const siem = path.join(scratch, 'siem.jsonl');
    // After its success the agent works on a little: --follow polls (0.5 s) and a plain run's
    // container is gone at its end (its last moment is in the record, not necessarily followed).
    const loop = 'for i in $(seq 1 80); do curl -fsS -m 3 http://live-g.test/plain && sleep 2 && exit 0; sleep 0.5; done; exit 1';
    const run = started(['shell', '--network', lab.name, '--egress-log', siem, '--', 'sh', '-c', loop]);
    let runId = '';
    expect(
      await waitUntil(() => {
        const listed = JSON.parse(launch(['list', '--format', 'json']).stdout) as Array<{
          name: string | null;
          workdir: string;
          runId: string;
        }>;
        runId = listed.find((entry) => entry.name === null && entry.workdir === workdir)?.runId ?? '';
        return runId !== '';
      }, 30000),
    ).toBe(true);
    const follow = started(['egress', '--follow', runId, '--json']);
    expect(await waitUntil(() => follow.out().includes('"live-g.test"'), 20000)).toBe(true);
    const allowed = change(['allow', 'live-g.test', '--run', runId.slice(0, 6)]);
    expect(allowed.stdout).toBe(`allowed live-g.test in run ${runId} until it stops\n`);
    expect(await run.done).toBe(0);
    expect(seen('live-g.test')).toEqual(['GOT live-g.test/plain']);
    // --follow ends when the sandbox does; it printed the refusal, the change and the connection.
    expect(await follow.done).toBe(0);
    const followed = parseLines(follow.out());
    expect(followed.every((line) => line.v === 1 && line.runId === runId)).toBe(true);
    expect(followed).toContainEqual(expect.objectContaining({ kind: 'dns', verdict: 'refused', name: 'live-g.test' }));
    expect(followed).toContainEqual(expect.objectContaining({ kind: 'policy', action: 'allow', pattern: 'live-g.test' }));
    expect(followed).toContainEqual(expect.objectContaining({ kind: 'http', verdict: 'allowed', name: 'live-g.test' }));
    // The run's record: who changed what.
    const user = os.userInfo().username;
    const record = parseLines(launch(['egress', runId, '--json']).stdout);
    expect(record).toContainEqual(expect.objectContaining({ kind: 'policy', action: 'allow', pattern: 'live-g.test', by: user }));
    expect(record).toContainEqual(expect.objectContaining({ kind: 'http', verdict: 'allowed', name: 'live-g.test' }));
    // --egress-log FILE: the same lines, appended (and the requests inside inspected traffic, which `egress` lists with --requests).
    const appended = parseLines(readFileSync(siem, 'utf8'));
    for (const line of record) expect(appended).toContainEqual(line);
    const requests = parseLines(launch(['egress', runId, '--requests', '--json']).stdout);
    expect(requests).toContainEqual(expect.objectContaining({ kind: 'request', verdict: 'allowed', name: 'live-g.test' }));
    for (const line of requests) expect(appended).toContainEqual(line);
  }, 120000);
});

describe('R167 bad input: one line, exit 2, nothing changed', () => {
  const liveState = () => docker(['exec', '-u', '0', `codex-session-${SESSION}`, 'sandbox-policy', 'show']);

  it.each([
    ['an unknown session', ['allow', 'live-d.test', '--name', `nosuch-${id}`], /^run-in-container: no session named/],
    ['an unknown run id', ['allow', 'live-d.test', '--run', 'ffffff0f'], /^run-in-container: no running sandbox with run id ffffff0f/],
    ['a malformed host', ['allow', 'live_d.test', '--name', SESSION], /^run-in-container: allow: "live_d\.test"/],
    ['a port', ['allow', 'live-d.test:5432', '--name', SESSION], /a port needs a new run/],
    ['a bad duration', ['allow', 'live-d.test', '--for', '10 years', '--name', SESSION], /^run-in-container: --for "10 years"/],
    ['--for with --save', ['allow', 'live-d.test', '--for', '1m', '--save', '--name', SESSION], /--for or --save, not both/],
    // Deny wins: a name the run denies (here not covered by any allowance) cannot be allowed live.
    [
      'a name the run denies',
      ['allow', 'live-z.test', '--name', SESSION],
      /^run-in-container: live-z\.test is denied by this run's policy/,
    ],
  ])('%s', (_what, args, message) => {
    const before = liveState();
    const result = launch(args as string[]);
    expect(result.stderr).toMatch(message as RegExp);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.status).toBe(2);
    expect(liveState()).toBe(before);
  });

  it('allow on a stopped session', () => {
    expect(launch(['stop', SESSION]).status).toBe(0);
    const result = launch(['allow', 'live-d.test', '--name', SESSION]);
    expect(result.stderr).toMatch(new RegExp(`^run-in-container: session ${SESSION} is exited: it has no live policy to change\\n$`));
    expect(result.status).toBe(2);
    expect(existsSync(path.join(workdir, '.codex', 'sandbox.ini'))).toBe(true);
  });
});
