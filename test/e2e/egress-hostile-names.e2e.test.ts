import { chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEgressJson } from './helpers/egress-records.js';
import { docker, IMAGE, runLauncher, type LauncherResult } from './helpers/run-launcher.js';
import { CONNECT_JS, DNS_JS, HELLO_JS, MALFORMED_NAMES, RAW_JS } from './helpers/hostile-clients.js';
import {
  createLabNetwork,
  FORWARD_PROXY,
  makeSelfSignedCertificate,
  waitForPort,
  WEB_SERVER,
  type LabNetwork,
} from './helpers/test-hosts.js';
import { TEST_LABEL } from './helpers/test-network.js';

/**
 * No bytes but a host name reach a rule (R150), and `host:port` means that host (R151).
 * The lab: a DNS server answering every label under `example.net` and `x.net` (odd bytes
 * included) with the allowed web host's address, a logging upstream proxy that really
 * tunnels CONNECT, and a blocked host logging every byte on several ports. The verdict is
 * what the lab logged: no malformed name in any field (SNI, Host, absolute URI, CONNECT
 * target, DNS query) reaches the proxy, the blocked host or the lab's DNS server.
 */
const AGENT_UID = process.getuid?.() === 0 ? 4242 : (process.getuid?.() ?? 1000);
const LISTENER = (ports: readonly number[]) =>
  `for (const p of ${JSON.stringify(ports)}) require('net').createServer((s) => { console.log('CONN ' + p);
  s.on('error', () => {}); s.write('SSH-2.0-lab\\r\\n');
  s.on('data', (d) => console.log('GOT ' + p + ' ' + JSON.stringify(d.toString('latin1').slice(0, 200)))); }).listen(p, '::');`;

const q = (text: string) => `'${JSON.stringify(text)}'`;
const FIELDS: Record<string, (name: string) => string> = {
  sni: (name) => `node hello.js "$WEB_IP" 443 ${q(name)}`,
  host: (name) => `node raw.js "$WEB_IP" 80 ${q(`GET / HTTP/1.1\r\nHost: ${name}\r\nConnection: close\r\n\r\n`)}`,
  'absolute-uri': (name) =>
    `node raw.js "$WEB_IP" 80 ${q(`GET http://${name}/ HTTP/1.1\r\nHost: ok.example.net\r\nConnection: close\r\n\r\n`)}`,
  'proxy-uri': (name) => `node raw.js 127.0.0.1 3128 ${q(`GET http://${name}/ HTTP/1.1\r\nHost: ${name}\r\nConnection: close\r\n\r\n`)}`,
  connect: (name) => `node connect.js ${q(name)}`,
  dns: (name) => `node dns.js ${q(name)}`,
};

/** The fields that need no proxy port: for the run without an upstream proxy. */
const DIRECT_FIELDS = ['sni', 'host', 'absolute-uri', 'dns'];

/** One `RESULT <field> <n> <what came back>` line per name and field, then the positive controls. */
function checkScript(fields = Object.keys(FIELDS)): string {
  const lines = Object.entries(FIELDS)
    .filter(([field]) => fields.includes(field))
    .flatMap(([field, command]) => MALFORMED_NAMES.map((name, index) => `printf 'RESULT ${field} ${index} %s\\n' "$(${command(name)})"`));
  return [
    ...lines,
    `printf 'CONTROL sni %s\\n' "$(${FIELDS.sni?.('ok.example.net')})"`,
    `printf 'CONTROL host %s\\n' "$(${FIELDS.host?.('ok.example.net')})"`,
    `printf 'CONTROL dns %s\\n' "$(${FIELDS.dns?.('ok.example.net')})"`,
    // Inspected (R160): the agent trusts the run's CA, the inspection the host's (--ca-cert).
    `curl -fsS -m 10 https://ok.example.net/ >/dev/null && echo 'CONTROL https ok'`,
    // dnsmasq behind dnsdist answers dnsdist only: asked directly, nothing comes back.
    `printf 'DIRECT 5353 %s\\n' "$(node dns.js ${q(MALFORMED_NAMES[0] ?? '')} 5353)"`,
    `printf 'DIRECT 5353 %s\\n' "$(node dns.js '"ok.example.net"' 5353)"`,
    `curl -fsS -m 10 http://ok.example.net/ >/dev/null && echo 'CONTROL http ok'`,
  ].join('\n');
}

const PORT_CHECKS = String.raw`
probe() { timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" && head -c 7 <&3' "$1" "$2" 2>/dev/null; }
getent hosts blk.a.x.net c.x.net d.c.x.net a.x.net >/dev/null
printf 'PORT a.x.net:8443 %s\n' "$(probe a.x.net 8443 | head -c 7)"
printf 'PORT blk.a.x.net:8443 %s\n' "$(probe "$BLOCKED_IP" 8443 | head -c 7)"
printf 'PORT c.x.net:8443 %s\n' "$(probe "$BLOCKED_IP" 8443 | head -c 7)"
printf 'PORT d.c.x.net:8443 %s\n' "$(probe d.c.x.net 8443 | head -c 7)"
for where in "80 127.0.0.1" "1023 0.0.0.0" "1024 127.0.0.1"; do
  printf 'BIND %s %s\n' "$where" "$(node -e "require('net').createServer().listen(process.argv[1], process.argv[2],
    () => { console.log('bound'); process.exit(0); }).on('error', (e) => console.log(e.code))" $where)"
done
printf 'BIND 53 127.0.0.11/udp %s\n' "$(node -e "require('dgram').createSocket('udp4').on('error', (e) => console.log(e.code))
  .bind(53, '127.0.0.11', () => { console.log('bound'); process.exit(0); })")"
`;

let scratch: string;
let home: string;
let lab: LabNetwork;
let web: string;
let blocked: string;
let dns: string;
let proxy: string;
let names: LauncherResult;
let direct: LauncherResult;
let ports: LauncherResult;
let namesDir: string;
let portsDir: string;
const before = new Map<string, number>();

const since = (container: string) => lab.logs(container).slice(before.get(container) ?? 0);
const resultLines = (run: LauncherResult, prefix: string) => run.stdout.split('\n').filter((l) => l.startsWith(prefix));

function startDns(): string {
  const container = `${lab.name}-dns`;
  const address = (zone: string, ip: string) => `--address=/${zone}/${ip}`;
  const [webIp, blockedIp] = [lab.ipOf(web), lab.ipOf(blocked)];
  docker(
    ['run', '-d', '--rm', '--label', TEST_LABEL, '--name', container, '--network', lab.name, '--entrypoint', 'dnsmasq', IMAGE, '-k'].concat(
      ['--log-queries', '--log-facility=-', '--no-resolv', '--no-hosts', '--user=root'],
      [address('example.net', webIp), address('blocked.lab.test', blockedIp), address('x.net', webIp)],
      [address('blk.a.x.net', blockedIp), address('c.x.net', blockedIp), address('d.c.x.net', webIp), '--address=/#/'],
    ),
  );
  return container;
}

function workdirWith(name: string, files: Record<string, string>, certs: string): string {
  const dir = path.join(scratch, name);
  mkdirSync(dir);
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
  copyFileSync(path.join(certs, 'server.crt'), path.join(dir, 'server.crt'));
  if (process.getuid?.() === 0)
    for (const entry of ['', ...Object.keys(files), 'server.crt']) chownSync(path.join(dir, entry), AGENT_UID, AGENT_UID);
  return dir;
}

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-hostile-names-'));
  home = path.join(scratch, 'home');
  const certs = path.join(scratch, 'certs');
  for (const dir of [home, certs]) mkdirSync(dir);
  makeSelfSignedCertificate(certs, ['ok.example.net', 'a.x.net']);
  const certMount = ['--mount', `type=bind,source=${certs},target=/certs,readonly`];
  lab = createLabNetwork('cs-e2e-hostile');
  web = lab.startNode('web', [], `${WEB_SERVER}\n${LISTENER([8443])}`, [...certMount, '-e', 'NAME=web']);
  blocked = lab.startNode('blocked', [], `${LISTENER([22, 80, 443, 2222, 8443])}`);
  dns = startDns();
  proxy = lab.startNode('proxy', [], FORWARD_PROXY, ['--dns', lab.ipOf(dns)]);
  for (const [host, port] of [
    [web, 443],
    [blocked, 8443],
    [proxy, 3128],
  ] as const)
    waitForPort(host, port, host === web);
  for (const host of [web, blocked, dns, proxy]) before.set(host, lab.logs(host).length);

  namesDir = workdirWith('names', { 'hello.js': HELLO_JS, 'raw.js': RAW_JS, 'dns.js': DNS_JS, 'connect.js': CONNECT_JS }, certs);
  const common = ['--network', lab.name, '--dns', lab.ipOf(dns), '--ca-cert', path.join(certs, 'server.crt')];
  names = runLauncher(
    ['shell', '--work_dir', namesDir, ...common, '--allow', '*.example.net', '--proxy', `http://${lab.ipOf(proxy)}:3128`].concat([
      '--',
      'env',
      `WEB_IP=${lab.ipOf(web)}`,
      'bash',
      '-s',
    ]),
    { cwd: scratch, env: { HOME: home }, input: checkScript(), timeoutMs: 300000 },
  );
  const directDir = workdirWith('direct', { 'hello.js': HELLO_JS, 'raw.js': RAW_JS, 'dns.js': DNS_JS }, certs);
  direct = runLauncher(
    ['shell', '--work_dir', directDir, ...common, '--allow', '*.example.net', '--', 'env', `WEB_IP=${lab.ipOf(web)}`, 'bash', '-s'],
    { cwd: scratch, env: { HOME: home }, input: checkScript(DIRECT_FIELDS), timeoutMs: 300000 },
  );
  portsDir = workdirWith('ports', {}, certs);
  ports = runLauncher(
    ['shell', '--work_dir', portsDir, ...common, '--allow', '*.x.net', '--allow', 'a.x.net:8443', '--allow', '*.c.x.net:8443'].concat([
      '--',
      'env',
      `BLOCKED_IP=${lab.ipOf(blocked)}`,
      'bash',
      '-s',
    ]),
    { cwd: scratch, env: { HOME: home }, input: PORT_CHECKS },
  );
}, 600000);

afterAll(() => {
  if (dns !== undefined) docker(['rm', '-f', dns]);
  lab?.remove();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe('malformed names reach no rule (R150)', () => {
  test('the lab works: the allowed name is reached through the upstream proxy by every client used', () => {
    expect(names.status).toBe(0);
    expect(resultLines(names, 'CONTROL ')).toEqual([
      expect.stringMatching(/^CONTROL sni (open|closed) [1-9]\d*$/),
      'CONTROL host "HTTP/1.1 200 OK"',
      'CONTROL dns rcode 0',
      'CONTROL https ok',
      'CONTROL http ok',
    ]);
    expect(since(proxy)).toContain('FORWARDED CONNECT ok.example.net:443');
  });

  test('every malformed name in every field was answered inside the sandbox, and refused', () => {
    const results = resultLines(names, 'RESULT ');
    expect(results).toHaveLength(Object.keys(FIELDS).length * MALFORMED_NAMES.length);
    // `http://blocked.lab.test@s.example.net/` is a URI for s.example.net (user "blocked.lab.test"):
    // allowed, and only s.example.net is asked for (the proxy's log below).
    // A CONNECT is answered 200 before its tunnel's server name is checked: judged by the lab's logs below.
    const userinfo = MALFORMED_NAMES.findIndex((name) => name.includes('@'));
    const admitted = results.filter(
      (line) =>
        / (open|closed [1-9]\d*)$|"HTTP\/1\.[01] 200 OK|rcode 0$/.test(line) &&
        !line.startsWith('RESULT connect ') &&
        !new RegExp(`^RESULT (absolute|proxy)-uri ${userinfo} `).test(line),
    );
    expect(admitted).toEqual([]);
    for (const line of resultLines(names, 'DIRECT ')) expect(line).toMatch(/^DIRECT 5353 (timeout|error ECONNREFUSED)$/);
    expect(resultLines(names, 'DIRECT ')).toHaveLength(2);
  });

  test('without an upstream proxy the same: the allowed name works, no malformed name is admitted', () => {
    expect(direct.status).toBe(0);
    expect(resultLines(direct, 'CONTROL ').slice(0, 3)).toEqual([
      expect.stringMatching(/^CONTROL sni (open|closed) [1-9]\d*$/),
      'CONTROL host "HTTP/1.1 200 OK"',
      'CONTROL dns rcode 0',
    ]);
    const results = resultLines(direct, 'RESULT ');
    expect(results).toHaveLength(DIRECT_FIELDS.length * MALFORMED_NAMES.length);
    const userinfo = MALFORMED_NAMES.findIndex((name) => name.includes('@'));
    const admitted = results.filter(
      (line) =>
        / (open|closed [1-9]\d*)$|"HTTP\/1\.[01] 200 OK|rcode 0$/.test(line) &&
        line !== `RESULT absolute-uri ${userinfo} "HTTP/1.1 200 OK"`,
    );
    expect(admitted).toEqual([]);
  });

  test('the upstream proxy received only the allowed name: no malformed name, no blocked host', () => {
    const forwarded = since(proxy)
      .split('\n')
      .filter((line) => line !== '');
    expect(forwarded.length).toBeGreaterThan(0);
    for (const line of forwarded)
      // Each target a valid name the allowlist covers (a stripped CR can make one: `blocked.lab.test.example.net`).
      expect(line).toMatch(/^FORWARDED (CONNECT ([a-z0-9-]+\.)+example\.net:443|GET http:\/\/([a-z0-9-]+\.)+example\.net\/)$/);
  });

  test('the blocked host received nothing on any port', () => {
    expect(since(blocked)).toBe('');
  });

  test("the lab's DNS server was asked only valid names", () => {
    const asked = [...since(dns).matchAll(/query\[\w+\] (.*) from /g)].map((m) => m[1] ?? '');
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.filter((name) => !/^[a-z0-9.-]+$/i.test(name) || name.split('.').some((l) => l.length > 63))).toEqual([]);
  });

  test('the web host served only the allowed name', () => {
    for (const match of since(web).matchAll(/SERVED \w+ host=(\S*)/g)) expect(match[1]).toMatch(/^([a-z0-9-]+\.)+example\.net$/);
  });

  test('the record names the refusals `malformed name`, escaped and bounded, and never suggests them', () => {
    const record = parseEgressJson(
      runLauncher(['egress', '--last', '--json', '--work_dir', namesDir], { cwd: scratch, env: { HOME: home } }).stdout,
    );
    const malformed = record.destinations.filter((d) => d.reason === 'malformed name');
    for (const kind of ['tls', 'http', 'dns']) expect(malformed).toContainEqual(expect.objectContaining({ verdict: 'refused', kind }));
    for (const d of malformed) expect(String(d.name ?? '')).toMatch(/^[\x21-\x7e]{1,120}…?$/);
    const line = names.stderr.split('\n').find((l) => l.startsWith('refused ')) ?? '';
    expect(line.length).toBeLessThan(1000);
    // Suggestions are valid names only (a name the lab did try, like blocked.lab.test, may be one).
    for (const [, name] of line.matchAll(/--allow (\S+)/g)) expect(name).toMatch(/^[a-z0-9.-]+(:\d+)?$/);
    expect(line).not.toMatch(/--allow ok\.example\.net/); // allowed already
  });
});

describe('host:port means exactly that host (R151)', () => {
  test('the exact host gets its port; its subdomains do not, whatever wildcard covers them', () => {
    expect(ports.status).toBe(0);
    expect(resultLines(ports, 'PORT ')).toEqual([
      'PORT a.x.net:8443 SSH-2.0',
      'PORT blk.a.x.net:8443 ',
      'PORT c.x.net:8443 ',
      'PORT d.c.x.net:8443 SSH-2.0',
    ]);
    expect(since(blocked)).not.toContain('CONN 8443');
  });

  test('each connection on an extra port is recorded as allowed: name, address, port, bytes', () => {
    const record = parseEgressJson(
      runLauncher(['egress', '--last', '--json', '--work_dir', portsDir], { cwd: scratch, env: { HOME: home } }).stdout,
    );
    const admitted = record.destinations.filter((d) => d.verdict === 'allowed' && d.kind === 'connect');
    // Both names share the web host's address: a connection is named by an answer for it.
    const toWeb = admitted.filter((d) => d.address === lab.ipOf(web) && d.port === 8443);
    expect(toWeb.length).toBeGreaterThan(0);
    for (const entry of toWeb) expect(entry.name).toMatch(/^(a\.x\.net|d\.c\.x\.net)$/);
    expect(toWeb.reduce((sum, d) => sum + Number(d.count), 0)).toBe(2);
    expect(toWeb.reduce((sum, d) => sum + Number(d.bytesDown ?? 0), 0)).toBeGreaterThan(2 * 13); // "SSH-2.0-lab\r\n" each
    expect(toWeb.every((d) => Number(d.bytesUp) > 0)).toBe(true);
    expect(admitted.filter((d) => d.address === lab.ipOf(blocked))).toEqual([]);
  });
});

describe('the agent cannot bind privileged ports (R152)', () => {
  test("below 1024 it gets EACCES, on loopback and on Docker's resolver address too; 1024 is fine", () => {
    expect(resultLines(ports, 'BIND ')).toEqual([
      'BIND 80 127.0.0.1 EACCES',
      'BIND 1023 0.0.0.0 EACCES',
      'BIND 1024 127.0.0.1 bound',
      'BIND 53 127.0.0.11/udp EACCES',
    ]);
  });
});
