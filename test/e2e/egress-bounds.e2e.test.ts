import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { egressRecordFiles, parseEgressJson } from './helpers/egress-records.js';
import { docker, IMAGE, runLauncher } from './helpers/run-launcher.js';
import { createLabNetwork, waitForPort, WEB_SERVER, type LabNetwork } from './helpers/test-hosts.js';

/**
 * Every run ends with its egress summary and leaves no raw log (R95), sessions included
 * (each command in one); the log is bounded and counts what it left out (R93).
 */
const AGENT_UID = process.getuid?.() === 0 ? 4242 : (process.getuid?.() ?? 1000);

let scratch: string;
let home: string;
let workdir: string;
let lab: LabNetwork;

const launch = (args: string[], cwd = scratch) => runLauncher(args, { cwd, env: { HOME: home } });
const rawDirs = () => {
  const dir = path.join(home, '.local', 'state', 'codex-sandbox', 'egress');
  return existsSync(dir) ? readdirSync(dir) : [];
};
const copies = () => egressRecordFiles(home);

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-bounds-'));
  home = path.join(scratch, 'home');
  workdir = path.join(scratch, 'project');
  const certs = path.join(scratch, 'certs');
  for (const dir of [home, workdir, certs]) mkdirSync(dir);
  if (process.getuid?.() === 0) chownSync(workdir, AGENT_UID, AGENT_UID);
  spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.crt', '-days', '2', '-subj', '/CN=web.test'],
    { cwd: certs },
  );
  spawnSync('chmod', ['a+r', 'server.key', 'server.crt'], { cwd: certs });
  lab = createLabNetwork('cs-e2e-bounds');
  waitForPort(
    lab.startNode('web', ['web.test'], WEB_SERVER, ['--mount', `type=bind,source=${certs},target=/certs,readonly`, '-e', 'NAME=web']),
    80,
  );
}, 120000);

afterAll(() => {
  lab?.remove();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe('sessions: each command ends with its summary, nothing raw stays (R95)', () => {
  const name = `bounds-${process.pid}`;
  afterAll(() => launch(['destroy', name, '--force']));

  test('creating run, attach and re-entry each print their refusals and keep a record; no raw directory anywhere', () => {
    const common = ['--name', name, '--work_dir', workdir, '--network', lab.name, '--allow', 'web.test'];
    const first = launch([
      'shell',
      ...common,
      '--keep',
      '--',
      'sh',
      '-c',
      'curl -fsS -m 5 http://web.test/; getent hosts first-refused.test',
    ]);
    expect(first.status).toBe(2);
    expect(first.stdout).toContain('ok web http');
    expect(first.stderr).toMatch(/^refused 1 destination: first-refused\.test \(\d+×, DNS\)/m);
    const attached = launch(['attach', name, '--', 'sh', '-c', 'getent hosts attach-refused.test; true'], workdir);
    expect(attached.status).toBe(0);
    expect(attached.stderr).toMatch(/^refused 1 destination: attach-refused\.test /m);
    expect(attached.stderr).not.toContain('first-refused');
    const again = launch([
      'shell',
      ...common,
      '--',
      'sh',
      '-c',
      'curl -fsS -m 5 http://web.test/ >/dev/null; getent hosts third-refused.test; true',
    ]);
    expect(again.stderr).toContain('re-entering session');
    expect(again.stderr).toMatch(/^refused 1 destination: third-refused\.test /m);
    expect(copies()).toHaveLength(3);
    const last = parseEgressJson(launch(['egress', '--last', '--json', '--work_dir', workdir]).stdout);
    expect(last.destinations).toContainEqual(expect.objectContaining({ verdict: 'allowed', name: 'web.test', kind: 'http' }));
    expect(rawDirs()).toEqual([]);
    const container = docker(['ps', '--filter', `label=codex-sandbox.session=${name}`, '--format', '{{.Names}}']);
    const left = docker([
      'exec',
      '-u',
      '0',
      container,
      'sh',
      '-c',
      'cat /var/lib/codex-sandbox/private/egress/egress.*.log | grep -c . || true',
    ]);
    expect(Number(left)).toBeLessThanOrEqual(3); // only the policy header of the current file
  });
});

describe('bounded log (R93, R140, R141, R143)', () => {
  test('a flood of refused names is recorded or counted; the line stays short; the plain run leaves no raw log', () => {
    const flood =
      'for i in $(seq 1 4000); do echo "flood-$i.test"; done > /tmp/names; dig +tries=1 +time=1 -f /tmp/names >/dev/null 2>&1; true';
    const result = launch(['shell', '--work_dir', workdir, '--network', lab.name, '--', 'sh', '-c', flood]);
    expect(result.status).toBe(0);
    const line = result.stderr.split('\n').find((l) => l.startsWith('refused ')) ?? '';
    expect(line).toMatch(/^refused \d+ destinations: .* \d+ more/);
    expect(line.length).toBeLessThan(1000);
    const newest = copies().sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0]!;
    const lines = readFileSync(newest, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const dropped = (lines.find((l) => 'dropped' in l)?.dropped as number | undefined) ?? 0;
    const kept = lines.filter((l) => typeof l.name === 'string' && l.name.startsWith('flood-')).length;
    expect(kept + dropped).toBeGreaterThanOrEqual(4000);
    expect(rawDirs()).toEqual([]);
  });

  const capper = (input: string, cap: number) =>
    docker(
      [
        'run',
        '--rm',
        '-i',
        '--label',
        'codex-sandbox.test=1',
        '--network',
        'none',
        '--entrypoint',
        'mawk',
        IMAGE,
        '-W',
        'interactive',
        '-v',
        `cap=${cap}`,
        '-v',
        'marker=END',
        '-f',
        '/usr/local/lib/codex-sandbox/egress-capper.awk',
      ],
      `${input}\nEND 7\n`,
    ).split('\n');
  const sumOf = (out: string[], prefix: string) =>
    out.filter((l) => l.startsWith(prefix)).reduce((sum, l) => sum + Number(l.slice(prefix.length).split('\t')[0]), 0);
  const squid = (i: number, host: string, status = '403 TCP_DENIED ERR_ACCESS_DENIED - 77 415') =>
    `squid 1741607950.${i} 172.26.0.7 80 GET ${host} 80 - - ${status} -`;

  test('the capper keeps each class within its share of the cap and counts every line it leaves out', () => {
    const input = Array.from({ length: 300 }, (_, i) => squid(i, `host-${i}.test`)).join('\n');
    const out = capper(input, 4096);
    const kept = out.filter((l) => l.startsWith('squid ')).length + sumOf(out, '#repeat ');
    expect(out.filter((l) => !l.startsWith('#dropped') && !l.startsWith('#unlogged')).join('\n').length).toBeLessThanOrEqual(4096);
    expect(kept).toBeGreaterThan(0);
    expect(kept + sumOf(out, '#dropped ')).toBe(300);
    expect(out).toContain('#unlogged 7'); // the marker's count of what the kernel did not log
  });

  test('repeats of one key cost one line; a flood of one class leaves the others their share', () => {
    const flood = Array.from({ length: 50_000 }, (_, i) => squid(i % 1000, `long-${i % 64}-${'x'.repeat(200)}.test`));
    const distinct = Array.from({ length: 20_000 }, (_, i) => squid(i % 1000, `distinct-${i}-${'y'.repeat(200)}.test`));
    const later = [
      'Mar 10 11:59:02 dnsmasq[12]: config later-dns.test is NXDOMAIN',
      squid(1, 'web.test', '200 TCP_MISS - 172.26.0.2 80 209'),
      '{"timestamp": "2026-01-01T00:00:00", "dest_ip": "10.0.0.5", "dest_port": 2222, "ip.protocol": 6}',
      'Packet from 127.0.0.1:39636 for a\\032b.example.net. A with id 13330',
    ];
    const out = capper([...flood, ...distinct, ...later].join('\n'), 1024 * 1024);
    const bytes = out.join('\n').length;
    for (const l of later) expect(out.some((o) => o === l || o.endsWith(`\t${l}`))).toBe(true);
    const floodLines = out.filter((l) => l.includes('long-'));
    expect(floodLines.length).toBeLessThanOrEqual(128);
    // The 64 repeated keys keep their counts although 20,000 distinct names overran the share.
    const floodEvents = floodLines.reduce((sum, l) => sum + (l.startsWith('#repeat ') ? Number(l.slice(8).split('\t')[0]) : 1), 0);
    expect(floodEvents).toBe(50_000);
    const recorded = out.filter((l) => l.startsWith('squid ') && l.includes('.test 80 - - 403')).length + sumOf(out, '#repeat ');
    expect(recorded + sumOf(out, '#dropped ')).toBe(70_000);
    expect(bytes).toBeLessThan(1024 * 1024);
    console.log(`capper: 70000 refusals -> ${out.length} lines, ${bytes} bytes, ${sumOf(out, '#dropped ')} dropped`);
  });
});
