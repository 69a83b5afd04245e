import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEgressJson } from './helpers/egress-records.js';
import { docker, IMAGE, runLauncher, type LauncherResult } from './helpers/run-launcher.js';
import { createLabNetwork, waitForPort, type LabNetwork } from './helpers/test-hosts.js';
import { TEST_LABEL } from './helpers/test-network.js';

/**
 * The egress allowances (R80-R86) on the real engine: each one reachable while its neighbour stays
 * blocked. Test hosts live on a private docker network; the host-port listeners are bound
 * to the host-gateway address only. Nothing leaves the machine.
 */

// Plain TCP on 2222/2223 and HTTP on 80 (answers with the Host header it was asked for).
const TCP_HTTP_SERVER = `const net=require('net'),http=require('http');
for (const p of [2222,2223]) net.createServer(s=>{s.on('error',()=>{});s.end('port '+p+'\\n');}).listen(p);
http.createServer((q,r)=>r.end('ok '+q.headers.host+'\\n')).listen(80);`;
// A forward proxy for absolute-URI GETs and CONNECT on 3128 (logs each request); 3129 is a neighbour.
const PROXY_SERVER = `const http=require('http'),net=require('net');
const p=http.createServer((q,r)=>{console.log('PROXY '+q.method+' '+q.url);
 let u;try{u=new URL(q.url);}catch{r.writeHead(400);r.end();return;}
 http.get({host:u.hostname,port:u.port||80,path:u.pathname,headers:{host:u.host}},up=>{r.writeHead(up.statusCode);up.pipe(r);})
  .on('error',e=>{r.writeHead(502);r.end(String(e));});
});
p.on('connect',(q,s,head)=>{console.log('PROXY CONNECT '+q.url);const [h,port]=q.url.split(':');
 const up=net.connect(Number(port),h,()=>{s.write('HTTP/1.1 200 OK\\r\\n\\r\\n');up.write(head);up.pipe(s);s.pipe(up);});
 up.on('error',()=>s.destroy());s.on('error',()=>up.destroy());});
p.listen(3128);
net.createServer(s=>{s.on('error',()=>{});s.end('neighbour\\n');}).listen(3129);`;
const HTTPS_SERVER = `const https=require('https'),fs=require('fs');
https.createServer({key:fs.readFileSync('/certs/server.key'),cert:fs.readFileSync('/certs/server.crt')},
 (q,r)=>r.end('tls ok\\n')).listen(443);`;

/** Runs inside the sandbox as the agent: one PASS/FAIL line per check. */
const CHECKS = String.raw`
ok()   { if "$@" >/dev/null 2>&1; then echo "PASS $NAME"; else echo "FAIL $NAME"; fi; }
fails(){ if "$@" >/dev/null 2>&1; then echo "FAIL $NAME"; else echo "PASS $NAME"; fi; }
tcp()  { timeout 5 bash -c "exec 3<>/dev/tcp/$1/$2 && head -c 64 <&3 | grep -q ."; }
web()  { curl --noproxy '*' -fsS --max-time 5 "http://$1/"; }
NAME="wildcard allows a.lab.test";                ok   web a.lab.test
NAME="wildcard does not allow lab.test";          fails getent hosts lab.test
NAME="wildcard does not allow lab.test.evil.test"; fails getent hosts lab.test.evil.test
NAME="deny beats the wildcard: bad.lab.test";     fails getent hosts bad.lab.test
NAME="wildcard opens 80 only: a.lab.test:2222";   fails tcp a.lab.test 2222
NAME="git.test:2222 allowed";                     ok   tcp git.test 2222
NAME="git.test:2223 blocked";                     fails tcp git.test 2223
NAME="git.test:80 blocked (port entry only)";     fails web git.test
NAME="host port allowed";                         ok   tcp host.docker.internal "$HOST_PORT"
NAME="other host port blocked";                   fails tcp host.docker.internal "$OTHER_HOST_PORT"
NAME="hidden.test does not resolve directly";     fails getent hosts hidden.test
NAME="proxy variables set";                       ok   test "$https_proxy" = "$HTTP_PROXY"
NAME="an unlisted host is as unreachable through the proxy as without it"; fails curl -fsS --max-time 10 http://hidden.test/
NAME="an allowed host through the proxy variables";  ok curl -fsS --max-time 10 http://a.lab.test/
NAME="the agent cannot reach the upstream proxy itself"; fails tcp proxy.test 3128
NAME="proxy neighbour port blocked";              fails tcp proxy.test 3129
NAME="CA trusted by curl";                        ok   curl --noproxy '*' -fsS --max-time 5 https://tls.test/
NAME="CA trusted by node";                        ok   node -e \
  "require('https').get('https://tls.test/',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"
`;
const CHECK_NAMES = [...CHECKS.matchAll(/^NAME="([^"]+)"/gm)].map((match) => match[1] as string);

let scratch: string;
let net: LabNetwork;
let hostListener: ChildProcess | undefined;
let withAll: LauncherResult;
let withoutCa: LauncherResult;
let proxyContainer: string;
let workdir: string;
let home: string;

/**
 * Two TCP listeners on `address`, in a child process: the launcher runs through spawnSync,
 * which blocks this process's event loop, so a server here could not answer.
 */
function startHostListeners(address: string): Promise<{ child: ChildProcess; ports: [string, string] }> {
  const script = `const net=require('net');const ports=[];let n=0;
for (let i=0;i<2;i++){const s=net.createServer(c=>{c.on('error',()=>{});c.end('host service\\n');});
 s.listen(0,process.argv[1],()=>{ports[i]=s.address().port;if(++n===2)console.log(ports.join(' '));});}`;
  const child = spawn(process.execPath, ['-e', script, address], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`host listener exited with ${code}`)));
    child.stdout?.once('data', (chunk: Buffer) => {
      const [first = '', second = ''] = chunk.toString().trim().split(' ');
      resolve({ child, ports: [first, second] });
    });
  });
}

function makeCertificates(dir: string): void {
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=codex-sandbox test CA',
  ]);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=tls.test']);
  writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:tls.test\n');
  openssl([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  ]);
  execFileSync('chmod', ['a+r', 'server.key', 'server.crt', 'ca.pem'], { cwd: dir });
}

beforeAll(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-egress-'));
  const certs = path.join(scratch, 'certs');
  workdir = path.join(scratch, 'project');
  home = path.join(scratch, 'home');
  for (const dir of [certs, workdir, home]) mkdirSync(dir);
  if (process.getuid?.() === 0) execFileSync('chown', ['4242:4242', workdir]);
  makeCertificates(certs);

  net = createLabNetwork('cs-e2e-egress');
  const networkName = net.name;
  const lab = net.startNode('lab', ['a.lab.test', 'lab.test', 'lab.test.evil.test', 'bad.lab.test', 'hidden.test'], TCP_HTTP_SERVER);
  const git = net.startNode('git', ['git.test'], TCP_HTTP_SERVER);
  proxyContainer = net.startNode('proxy', ['proxy.test'], PROXY_SERVER);
  const tls = net.startNode('tls', ['tls.test'], HTTPS_SERVER, ['--mount', `type=bind,source=${certs},target=/certs,readonly`]);
  for (const [container, port] of [
    [lab, 80],
    [lab, 2222],
    [git, 2222],
    [proxyContainer, 3128],
    [proxyContainer, 3129],
  ] as const)
    waitForPort(container, port);
  waitForPort(tls, 443, true);

  // host.docker.internal:host-gateway is the default bridge's gateway: listen there only.
  const gatewayLine = docker([
    'run',
    '--rm',
    '--label',
    TEST_LABEL,
    '--add-host',
    'host.docker.internal:host-gateway',
    '--network',
    networkName,
    '--entrypoint',
    'getent',
    IMAGE,
    'hosts',
    'host.docker.internal',
  ]);
  const gateway = gatewayLine.split(/\s+/)[0] ?? '';
  const listeners = await startHostListeners(gateway);
  hostListener = listeners.child;
  const [hostPort, otherHostPort] = listeners.ports;

  const common = [
    'shell',
    '--work_dir',
    workdir,
    '--network',
    networkName,
    '--allow',
    '*.lab.test',
    '--allow',
    'git.test:2222',
    '--deny',
    'bad.lab.test',
    '--allow-host-port',
    hostPort,
    '--allow',
    'tls.test',
  ];
  const command = ['--', 'env', `HOST_PORT=${hostPort}`, `OTHER_HOST_PORT=${otherHostPort}`, 'bash', '-s'];
  const env = { HOME: home };
  withAll = runLauncher([...common, '--proxy', 'http://proxy.test:3128', '--ca-cert', path.join(certs, 'ca.pem'), ...command], {
    cwd: scratch,
    env,
    input: CHECKS,
  });
  withoutCa = runLauncher([...common, ...command], {
    cwd: scratch,
    env,
    input: 'curl --noproxy "*" -sS --max-time 5 https://tls.test/; echo "curl exit $?"\n',
  });
}, 400000);

afterAll(() => {
  hostListener?.kill();
  net?.remove();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe('egress allowances, each with its neighbour blocked', () => {
  test('the launcher printed every allowance and the run finished', () => {
    expect(withAll.stderr).toContain('allowing *.lab.test tls.test (ports 80/443)');
    expect(withAll.stderr).toContain('allowing git.test:2222');
    expect(withAll.stderr).toContain('denying bad.lab.test\n');
    expect(withAll.stderr).toContain('using proxy http://proxy.test:3128 (from --proxy)');
    const reported = withAll.stdout.split('\n').filter((line) => /^(PASS|FAIL) /.test(line));
    expect({ reported: reported.length, stderr: withAll.stderr }).toEqual({ reported: CHECK_NAMES.length, stderr: expect.any(String) });
  });

  test.each(CHECK_NAMES)('%s', (name) => {
    const line = withAll.stdout.split('\n').find((entry) => entry === `PASS ${name}` || entry === `FAIL ${name}`);
    expect(line ?? `missing: ${name}\n${withAll.stderr}`).toBe(`PASS ${name}`);
  });

  test('the proxy really carried the allowed requests, and never the unlisted one (R91)', () => {
    const result = docker(['logs', proxyContainer]);
    expect(result).toContain('PROXY GET http://a.lab.test/');
    expect(result).toContain('PROXY CONNECT tls.test:443');
    expect(result).not.toContain('hidden.test');
  });

  test('without --ca-cert the same TLS host is not trusted: the inspection refuses it, recorded with the reason (R160)', () => {
    expect(withoutCa.status).toBe(0);
    expect(withoutCa.stdout).toContain('502 Bad Gateway');
    expect(withoutCa.stdout).toContain('Certificate verify failed');
    expect(withoutCa.stdout).not.toContain('tls ok');
    const record = runLauncher(['egress', '--json', '--requests', '--work_dir', workdir], { cwd: scratch, env: { HOME: home } });
    expect(parseEgressJson(record.stdout).destinations).toContainEqual(
      expect.objectContaining({ verdict: 'refused', reason: 'upstream certificate not trusted', name: 'tls.test' }),
    );
  });
});
