import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { docker, runLauncher } from './helpers/run-launcher.js';
import { egressRecordFiles, parseEgressJson } from './helpers/egress-records.js';
import { createLabNetwork, makeSelfSignedCertificate, waitForPort, WEB_SERVER, type LabNetwork } from './helpers/test-hosts.js';

/**
 * The egress record holds against a hostile agent (R140-R146): a flood costs a few lines and
 * loses nothing after it; a flood of rejected packets to one port does not thin another; the
 * record the agent can reach is not the one `egress` reads; the capper's nonce is on no
 * command line. Traffic goes only to the test host this suite starts.
 */
const AGENT_UID = process.getuid?.() === 0 ? 4242 : (process.getuid?.() ?? 1000);

interface Destination {
  verdict: string;
  reason?: string;
  kind: string;
  name?: string;
  address?: string;
  port?: number;
  count: number;
}
interface Report {
  runId: string;
  dropped: number;
  destinations: Destination[];
}

let scratch: string;
let home: string;
let workdir: string;
let lab: LabNetwork;

const launch = (args: string[], timeoutMs = 120000) => runLauncher(args, { cwd: workdir, env: { HOME: home }, timeoutMs });
const report = (...args: string[]) => parseEgressJson(launch(['egress', '--json', ...args]).stdout) as unknown as Report;
const common = () => ['--network', lab.name, '--allow', 'web.test'];

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-hostile-egress-'));
  home = path.join(scratch, 'home');
  workdir = path.join(scratch, 'project');
  const certs = path.join(scratch, 'certs');
  for (const dir of [home, workdir, certs]) mkdirSync(dir);
  if (process.getuid?.() === 0) chownSync(workdir, AGENT_UID, AGENT_UID);
  makeSelfSignedCertificate(certs, ['web.test']);
  lab = createLabNetwork('cs-e2e-hostile-egress');
  const web = lab.startNode('web', ['web.test'], WEB_SERVER, [
    '--mount',
    `type=bind,source=${certs},target=/certs,readonly`,
    '-e',
    'NAME=web',
  ]);
  waitForPort(web, 80);
}, 120000);

afterAll(() => {
  lab?.remove();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

/** 64 keep-alive connections sending refused requests with long Host names (~200 characters) for SECONDS. */
const FLOOD = String.raw`
const net = require('net');
const label = (c) => c.repeat(60);
const end = Date.now() + Number(process.argv[1]) * 1000;
let sent = 0;
function open(i) {
  const host = 'h' + String(i).padStart(2, '0') + '-' + label('x').slice(4) + '.' + label('y') + '.' + label('z') + '.flood.test';
  const req = 'GET / HTTP/1.1\r\nHost: ' + host + '\r\n\r\n';
  const s = net.connect(80, 'web.test');
  const pump = () => { while (Date.now() < end && s.writable && s.write(req.repeat(8))) sent += 8; };
  s.on('connect', pump); s.on('drain', pump); s.on('data', () => {}); s.on('error', () => {});
  s.on('close', () => { if (Date.now() < end) open(i); });
}
for (let i = 0; i < 64; i++) open(i);
setTimeout(() => { console.log('FLOOD-SENT ' + sent); process.exit(0); }, Number(process.argv[1]) * 1000 + 500);
`;

describe('a flood costs a few lines, and nothing after it is lost (R140, R141, R143, R145)', () => {
  test('60 s of refused requests, then four refused attempts and one allowed request: all in `egress`, the line short', () => {
    const after = [
      'WEB_IP=$(getent hosts web.test | cut -d" " -f1)',
      'getent hosts after-dns.test',
      'curl -sk -m 5 --resolve "after-sni.test:443:$WEB_IP" https://after-sni.test/ -o /dev/null',
      'curl -s -m 5 -H "Host: after-host.test" http://web.test/ -o /dev/null',
      '(exec 3<>"/dev/tcp/$WEB_IP/2222") 2>/dev/null',
      'curl -fsS -m 5 http://web.test/ && echo ALLOWED-OK',
    ].join('; ');
    const started = Date.now();
    const run = launch(
      ['shell', ...common(), '--', 'env', `FLOOD_JS=${FLOOD}`, 'bash', '-c', `node -e "$FLOOD_JS" 60; ${after}; true`],
      240000,
    );
    const seconds = (Date.now() - started) / 1000;
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('ALLOWED-OK');
    const sent = Number(/FLOOD-SENT (\d+)/.exec(run.stdout)?.[1]);
    const line = run.stderr.split('\n').find((l) => l.startsWith('refused ')) ?? '';
    expect(line.length).toBeGreaterThan(0);
    expect(line.length).toBeLessThan(1000);
    expect(line.match(/--allow /g)?.length ?? 0).toBeLessThanOrEqual(3);
    // The names the agent's tools looked up come first among the suggestions.
    expect(line).toMatch(/ — allow with: --allow after-dns\.test( |$)/);
    const r = report('--last');
    const find = (f: (d: Destination) => boolean) => r.destinations.find(f);
    expect(find((d) => d.name === 'after-dns.test' && d.kind === 'dns')).toMatchObject({ reason: 'DNS' });
    expect(find((d) => d.name === 'after-sni.test' && d.kind === 'tls')).toMatchObject({ reason: 'name not allowed' });
    expect(find((d) => d.name === 'after-host.test' && d.kind === 'http')).toMatchObject({ reason: 'name not allowed' });
    expect(find((d) => d.kind === 'connect' && d.port === 2222)).toMatchObject({ verdict: 'refused', name: 'web.test' });
    expect(find((d) => d.verdict === 'allowed' && d.name === 'web.test' && d.kind === 'http')).toBeDefined();
    const flood = r.destinations.filter((d) => d.name?.endsWith('.flood.test') === true);
    const floodEvents = flood.reduce((sum, d) => sum + d.count, 0);
    // One destination per name for its Host refusals, one for Squid's own lookup of it.
    expect(flood.length).toBeLessThanOrEqual(128);
    expect(floodEvents + r.dropped).toBeGreaterThan(1000);
    expect(typeof r.dropped).toBe('number');
    const record = egressRecordFiles(home).find((f) => f.endsWith(`${r.runId}.jsonl`)) ?? '';
    console.log(
      `flood: ${sent} requests sent in 60 s, ${floodEvents} recorded in ${flood.length} destinations, ${r.dropped} not recorded; ` +
        `record ${readFileSync(record).length} bytes; run ${seconds.toFixed(0)} s; line ${line.length} characters`,
    );
  }, 300000);
});

describe('a packet flood to one port does not thin another (R142)', () => {
  test('300 rapid refused connects to one port, then one to another: recorded, and what the limit left out counted', () => {
    const script =
      'WEB_IP=$(getent hosts web.test | cut -d" " -f1); for i in $(seq 1 300); do (exec 3<>"/dev/tcp/$WEB_IP/2222") 2>/dev/null; done; ' +
      '(exec 3<>"/dev/tcp/$WEB_IP/2223") 2>/dev/null; true';
    const run = launch(['shell', ...common(), '--', 'bash', '-c', script]);
    expect(run.status).toBe(0);
    const r = report('--last');
    const port = (p: number) => r.destinations.find((d) => d.kind === 'connect' && d.port === p);
    expect(port(2223)).toMatchObject({ verdict: 'refused', count: 1 });
    // Every one of the 300 is recorded or counted as not recorded (the kernel's log limit, #unlogged).
    expect((port(2222)?.count ?? 0) + r.dropped).toBeGreaterThanOrEqual(300);
    expect(r.dropped).toBeGreaterThan(0);
    console.log(`packets: 300 connects to :2222 -> ${port(2222)?.count ?? 0} recorded, ${r.dropped} not logged (counted); :2223 recorded`);
    expect(run.stderr).toMatch(/\(\+\d+ events not recorded\)$/m);
  }, 180000);
});

describe('the record the agent can reach is not the record (R146) and the nonce is on no command line (R144)', () => {
  const name = `hostile-egress-${process.pid}`;
  afterAll(() => launch(['destroy', name, '--force']));

  test("an agent rewriting its home's copy of an earlier run changes nothing `egress` shows; `ps` shows no nonce", () => {
    const first = launch(['shell', ...common(), '--', 'sh', '-c', 'getent hosts earlier-refused.test; true']);
    expect(first.status).toBe(0);
    const before = report('--last');
    expect(before.destinations).toContainEqual(expect.objectContaining({ name: 'earlier-refused.test' }));
    const forged = '{"kind":"http","verdict":"allowed","count":1,"name":"forged.test","port":80}';
    const script = [
      'mkdir -p /codex_home/egress',
      `printf '%s\\n' '${forged}' > /codex_home/egress/${before.runId}.jsonl`,
      `touch -d '2020-01-01 00:00' /codex_home/egress/${before.runId}.jsonl`,
      'ps -eo args > /tmp/ps.txt; cat /tmp/ps.txt; echo PS-DONE',
    ].join('; ');
    const second = launch(['shell', '--name', name, '--keep', ...common(), '--', 'sh', '-c', script]);
    expect(second.stdout).toContain('PS-DONE');
    expect(second.stdout).toContain('mawk'); // the capper is there to be seen
    const container = docker(['ps', '--filter', `label=codex-sandbox.session=${name}`, '--format', '{{.Names}}']);
    const nonce = docker(['exec', '-u', '0', container, 'cat', '/run/codex-sandbox/egress/nonce']);
    expect(nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(second.stdout).not.toContain(nonce);
    expect(second.stdout).not.toContain('ROTATE');
    // As root too: no process's argv holds it.
    expect(docker(['exec', '-u', '0', container, 'ps', '-eo', 'args'])).not.toContain(nonce);
    const again = report(before.runId);
    expect(again).toEqual(before);
    expect(JSON.stringify(again)).not.toContain('forged.test');
    expect(egressRecordFiles(home).some((f) => f.includes(`${path.sep}.codex${path.sep}`))).toBe(false);
  }, 240000);
});
