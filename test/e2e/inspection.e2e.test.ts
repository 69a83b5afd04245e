import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { parseEgressJson } from './helpers/egress-records.js';
import { CLI, containersFor, docker, runLauncher, type LauncherResult } from './helpers/run-launcher.js';
import {
  CHECK_HELPERS,
  checkNames,
  createLabNetwork,
  makeSelfSignedCertificate,
  waitForPort,
  type LabNetwork,
} from './helpers/test-hosts.js';

/**
 * TLS inspection (R160-R166), judged by what the test hosts logged: one TLS server answers
 * for cdn-allowed.test and cdn-evil.test on one address (its certificate trusted with
 * --ca-cert; the agent's clients never use -k), and api.test logs the credential it
 * received. The agent holds a placeholder; the real value reaches api.test only, is refused
 * toward any other host, and is on no file, argv or environment the agent can read.
 */
const AGENT_UID = process.getuid?.() === 0 ? 4242 : (process.getuid?.() ?? 1000);
const REAL = `realtok-${'Q7x'.repeat(8)}`; // the shape the agent's search looks for: realtok-[A-Za-z0-9]{24}

/** HTTPS (and HTTP) server logging `SERVED proto host=… sni=… auth=… path=…`; it echoes the Authorization it got. */
const API_SERVER = String.raw`const http=require('http'),https=require('https'),fs=require('fs');
const h=(p)=>(q,s)=>{let b='';q.on('data',d=>{if(b.length<300)b+=d;});q.on('end',()=>{
 console.log('SERVED '+p+' host='+(q.headers.host||'')+' sni='+(q.socket.servername||'')+' auth='+(q.headers.authorization||'-')+
  ' method='+q.method+' path='+q.url+' body='+b.replace(/\s/g,'_'));
 s.end('seen '+(q.headers.authorization||'-')+'\n');});};
http.createServer(h('http')).listen(80,'::');
const t=https.createServer({key:fs.readFileSync('/certs/server.key'),cert:fs.readFileSync('/certs/server.crt')},h('https'));
t.on('upgrade',(q,k)=>{const a=require('crypto').createHash('sha1').update(q.headers['sec-websocket-key']+
 '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');console.log('UPGRADE host='+q.headers.host);
 k.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: '+a+'\r\n\r\n');
 k.write(Buffer.from([0x81,5,104,101,108,108,111]));});
t.listen(443,'::');`;

const CHECKS = String.raw`
NAME="HTTPS to an allowed name, trusted through the run's CA (no -k)"; ok curl -fsS -m 10 https://cdn-allowed.test/
NAME="the certificate the agent sees is the run CA's";     ok bash -c 'openssl s_client -connect cdn-allowed.test:443 \
  -servername cdn-allowed.test </dev/null 2>/dev/null | openssl x509 -noout -issuer | grep -q "codex-sandbox run CA"'
NAME="fronting: allowed SNI, other Host, is refused with 421"; ok bash -c '[[ "$(curl -sS -m 10 -o /dev/null -w "%{http_code}" \
  -H "Host: cdn-evil.test" https://cdn-allowed.test/)" == 421 ]]'
NAME="fronting: the refusal says why";                      ok bash -c 'curl -sS -m 10 -H "Host: cdn-evil.test" https://cdn-allowed.test/ |
  grep -q "does not match the TLS server name"'
NAME="the CA's key is not readable by the agent";           fails bash -c 'cat /run/codex-sandbox/inspect/mitmproxy-ca.pem'
NAME="the inspection port refuses the agent";               fails curl -fsS -m 5 -x http://127.0.0.1:3140 http://cdn-allowed.test/
NAME="the agent's variable is a placeholder of the same shape"; ok bash -c '[[ "$TEST_TOKEN" =~ ^realtok-[A-Za-z0-9]{24}$ ]]'
NAME="the placeholder works toward its host";               ok bash -c 'curl -fsS -m 10 -H "Authorization: Bearer $TEST_TOKEN" \
  https://api.test/with-token | grep -qF "seen Bearer $TEST_TOKEN"'
NAME="the placeholder in a body toward its host";           ok curl -fsS -m 10 --data "token=$TEST_TOKEN" https://api.test/body
NAME="the placeholder toward another allowed host is refused"; ok bash -c '[[ "$(curl -sS -m 10 -o /dev/null -w "%{http_code}" \
  -H "Authorization: Bearer $TEST_TOKEN" https://cdn-allowed.test/leak)" == 403 ]]'
NAME="the placeholder in a URL toward another host is refused"; ok bash -c '[[ "$(curl -sS -m 10 -o /dev/null -w "%{http_code}" \
  "http://cdn-allowed.test/leak?k=$TEST_TOKEN")" == 403 ]]'
NAME="a no-inspect host keeps its own certificate";         ok bash -c 'openssl s_client -connect plain.test:443 -servername plain.test \
  </dev/null 2>/dev/null | openssl x509 -noout -issuer | grep -q "CN = cdn-allowed.test"'
NAME="a rule's path prefix admits any method";              ok curl -fsS -m 10 -X POST https://rules.test/ok/x
NAME="a rule's method admits any path";                     ok curl -fsS -m 10 https://rules.test/other
NAME="outside the rules: 403, the rule named for the agent"; ok bash -c 'out="$(curl -sS -m 10 -X POST -w " %{http_code}" \
  https://rules.test/other)"; [[ "$out" == *"outside this sandbox'"'"'s rules"*" 403" ]]'
NAME="a WebSocket upgrade to an allowed host works, frames pass"; ok bash -c 'curl -sS -N -i --http1.1 -m 3 \
  -H "Connection: Upgrade" -H "Upgrade: websocket" -H "Sec-WebSocket-Version: 13" \
  -H "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" https://cdn-allowed.test/ws 2>/dev/null | tr -d "\0" | grep -aq hello'
NAME="search: files, argv and environ the agent can read";  { grep -rIhaoE "realtok-[A-Za-z0-9]{24}" / \
  --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev 2>/dev/null; cat /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null |
  tr "\0" "\n" | grep -aoE "realtok-[A-Za-z0-9]{24}"; } | sort -u | sed "s/^/FOUND /"; echo "PASS $NAME"
`;

let scratch: string;
let home: string;
let workdir: string;
let lab: LabNetwork;
let web: string;
let api: string;
let run: LauncherResult;
let run2: LauncherResult;
let workdir2: string;
const FROM_CMD = `realtok-${'c0m'.repeat(8)}`;
const CHECKS2 = String.raw`
NAME="--secret-from: the command's value reaches its host"; ok curl -fsS -m 10 -H "Authorization: Bearer $FROM_CMD" https://api.test/cmd
NAME="--read-only-web: GET works";                         ok curl -fsS -m 10 https://cdn-allowed.test/get
NAME="--read-only-web: POST is refused with the reason";   ok bash -c 'out="$(curl -sS -m 10 -X POST -w " %{http_code}"   https://cdn-allowed.test/post)"; [[ "$out" == *"--read-only-web"*" 403" ]]'
`;

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-inspect-'));
  home = path.join(scratch, 'home');
  workdir = path.join(scratch, 'project');
  workdir2 = path.join(scratch, 'project2');
  const certs = path.join(scratch, 'certs');
  for (const dir of [home, workdir, workdir2, certs]) mkdirSync(dir);
  if (process.getuid?.() === 0) for (const dir of [workdir, workdir2]) chownSync(dir, AGENT_UID, AGENT_UID);
  makeSelfSignedCertificate(certs, ['cdn-allowed.test', 'cdn-evil.test', 'api.test', 'plain.test', 'rules.test']);
  const certMount = ['--mount', `type=bind,source=${certs},target=/certs,readonly`];
  lab = createLabNetwork('cs-e2e-inspect');
  web = lab.startNode('web', ['cdn-allowed.test', 'cdn-evil.test', 'plain.test', 'rules.test'], API_SERVER, certMount);
  api = lab.startNode('api', ['api.test'], API_SERVER, certMount);
  for (const host of [web, api]) waitForPort(host, 443, true);
  const args = ['shell', '--work_dir', workdir, '--network', lab.name, '--allow', 'cdn-allowed.test', '--allow', 'api.test'];
  args.push('--allow', 'plain.test', '--allow', 'rules.test/ok/*', '--allow', 'GET,HEAD rules.test');
  args.push('--ca-cert', path.join(certs, 'server.crt'), '--no-inspect', 'plain.test', '--secret', 'TEST_TOKEN=api.test');
  run = runLauncher([...args, '--', 'bash', '-s'], {
    cwd: scratch,
    env: { HOME: home, TEST_TOKEN: REAL },
    input: `${CHECK_HELPERS}${CHECKS}`,
    timeoutMs: 240000,
  });
  const args2 = ['shell', '--work_dir', workdir2, '--network', lab.name, '--allow', 'cdn-allowed.test', '--allow', 'api.test'];
  args2.push('--ca-cert', path.join(certs, 'server.crt'), '--read-only-web', '--secret', 'FROM_CMD=api.test');
  run2 = runLauncher([...args2, '--secret-from', `printf %s ${FROM_CMD}`, '--', 'bash', '-s'], {
    cwd: scratch,
    env: { HOME: home },
    input: `${CHECK_HELPERS}${CHECKS2}`,
    timeoutMs: 240000,
  });
}, 500000);

afterAll(() => {
  lab?.remove();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

function resultOf(name: string): string {
  return (
    run.stdout.split('\n').find((line) => line === `PASS ${name}` || line.startsWith(`FAIL ${name}`)) ?? `missing: ${name}\n${run.stderr}`
  );
}

describe('TLS inspected in the sandbox, credentials injected outside the agent (R160-R166)', () => {
  test('every check ran', () => {
    expect({ status: run.status, results: run.stdout.split('\n').filter((l) => /^(PASS|FAIL) /.test(l)).length }).toEqual({
      status: 0,
      results: checkNames(CHECKS).length,
    });
  });

  test.each(checkNames(CHECKS))('%s', (name) => {
    expect(resultOf(name)).toBe(`PASS ${name}`);
  });

  test.each(checkNames(CHECKS2))('%s', (name) => {
    expect(run2.stdout.split('\n').find((line) => line === `PASS ${name}` || line.startsWith(`FAIL ${name}`)) ?? run2.stderr).toBe(
      `PASS ${name}`,
    );
  });

  test('the end-of-run line names the leak', () => {
    expect(run.stderr).toContain('credential TEST_TOKEN sent to cdn-allowed.test');
  });

  test('--secret-from and --read-only-web as the hosts saw them', () => {
    expect(lab.logs(api)).toContain(`auth=Bearer ${FROM_CMD} method=GET path=/cmd`);
    expect(lab.logs(web)).toContain('method=GET path=/get');
    expect(lab.logs(web)).not.toContain('path=/post');
  });

  test('the fronted name was never served; the allowed one was, with the real SNI', () => {
    const logs = lab.logs(web);
    expect(logs).toContain('SERVED https host=cdn-allowed.test sni=cdn-allowed.test');
    expect(logs).not.toContain('host=cdn-evil.test');
    expect(logs).not.toContain('/leak');
    expect(logs).toContain('UPGRADE host=cdn-allowed.test');
    expect(logs).toContain('host=rules.test sni=rules.test auth=- method=POST path=/ok/x');
    expect(logs).not.toContain('method=POST path=/other');
  });

  test('the API host received the real credential, in the header and in the body', () => {
    const logs = lab.logs(api);
    expect(logs).toContain(`auth=Bearer ${REAL} method=GET path=/with-token`);
    expect(logs).toContain(`path=/body body=token=${REAL}`);
    expect(logs).not.toMatch(/realtok-(?!Q7xQ7x|c0mc0m)/);
  });

  test('the search found the placeholder (it works) and never the real value', () => {
    const found = run.stdout.split('\n').filter((l) => l.startsWith('FOUND '));
    expect(found.length).toBeGreaterThan(0);
    expect(found).not.toContain(`FOUND ${REAL}`);
    expect(run.stdout).not.toContain(REAL);
    expect(run.stderr).not.toContain(REAL);
  });

  test('the record: each request, the injected credential by name, the leak, fronting and the rule (R166)', () => {
    const egress = runLauncher(['egress', '--json', '--requests'], { cwd: workdir, env: { HOME: home } });
    const requests = parseEgressJson(egress.stdout).destinations;
    const has = (match: Record<string, unknown>) => expect(requests).toContainEqual(expect.objectContaining(match));
    has({
      verdict: 'allowed',
      kind: 'request',
      method: 'GET',
      name: 'api.test',
      path: '/with-token',
      status: 200,
      credential: 'TEST_TOKEN',
    });
    has({ verdict: 'refused', reason: 'credential sent', name: 'cdn-allowed.test', credential: 'TEST_TOKEN', path: '/leak' });
    has({ verdict: 'refused', reason: 'name does not match', name: 'cdn-allowed.test', status: 421 });
    has({ verdict: 'refused', reason: 'rule', method: 'POST', name: 'rules.test', path: '/other', status: 403 });
    expect(egress.stdout).not.toContain('k=');
    const text = runLauncher(['egress', '--blocked'], { cwd: workdir, env: { HOME: home } }).stdout;
    expect(text).toContain('credential TEST_TOKEN sent to cdn-allowed.test');
  });
});

/** Every process of a running sandbox (root's, the proxy's and the agent's), searched as root for the real value. */
describe('a running sandbox: no process environment or argv holds the real value (R161)', () => {
  test('root searches every /proc/*/environ and cmdline: the placeholder is there, the real value never', async () => {
    const dir = path.join(scratch, 'running');
    mkdirSync(dir);
    if (process.getuid?.() === 0) chownSync(dir, AGENT_UID, AGENT_UID);
    const args = ['shell', '--work_dir', dir, '--network', lab.name, '--allow', 'api.test', '--secret', 'TEST_TOKEN=api.test'];
    const child = spawn(process.execPath, [CLI, ...args, '--', 'sleep', '60'], {
      cwd: scratch,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, TEST_TOKEN: REAL },
      stdio: 'ignore',
    });
    try {
      let container = '';
      for (let i = 0; i < 300 && container === ''; i++) {
        const [name] = containersFor(dir);
        const ready = name === undefined ? '' : docker(['ps', '--filter', `name=${name}`, '--format', '{{.Names}}']);
        if (ready !== '' && docker(['exec', ready, 'sh', '-c', 'pgrep -f "^sleep 60$" || true']) !== '') container = ready;
        else await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(container).not.toBe('');
      // The value is given on stdin: it never becomes an argument or a variable of the search.
      const count = (value: string) =>
        docker(
          [
            'exec',
            '-i',
            container,
            'sh',
            '-c',
            'exec 3<&0; cat /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null | tr "\\0" "\\n" | grep -cF -f /dev/fd/3 || true',
          ],
          `${value}\n`,
        );
      const env = docker(['inspect', '-f', '{{range .Config.Env}}{{println .}}{{end}}', container]);
      const placeholder = /^TEST_TOKEN=(.*)$/m.exec(env)?.[1] ?? '';
      expect(placeholder).toMatch(/^realtok-[A-Za-z0-9]{24}$/);
      expect(placeholder).not.toBe(REAL);
      expect(Number(count(placeholder))).toBeGreaterThan(0); // the search works
      expect(count(REAL)).toBe('0');
      expect(env).not.toContain(REAL);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      for (const name of containersFor(dir)) docker(['rm', '-f', name]);
    }
  }, 120000);
});
