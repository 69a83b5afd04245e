import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEgressJson } from './helpers/egress-records.js';
import { docker, IMAGE, runLauncher, type LauncherResult } from './helpers/run-launcher.js';
import {
  CHECK_HELPERS,
  checkNames,
  createLabNetwork,
  makeSelfSignedCertificate,
  waitForPort,
  WEB_SERVER,
  type LabNetwork,
} from './helpers/test-hosts.js';

/**
 * Egress by host name (R90, R92-R94): one web host answers for cdn-allowed.test and
 * cdn-evil.test on one address (HTTP and HTTPS, its certificate given with --ca-cert: the
 * inspection verifies it; the client's -k must not matter); only cdn-allowed.test is allowed. The verdict comes from what the test hosts
 * logged, not from what the sandbox prints. IPv4 and IPv6. Nothing leaves the machine.
 */
const AGENT_UID = process.getuid?.() === 0 ? 4242 : (process.getuid?.() ?? 1000);

const CHECKS = String.raw`
NAME="HTTP to the allowed name";                              ok curl -fsS -m 5 http://cdn-allowed.test/
NAME="HTTPS to the allowed name (-k)";                        ok curl -fsSk -m 5 https://cdn-allowed.test/
NAME="HTTPS to the allowed name, the run's CA trusted (no -k)"; ok curl -fsS -m 5 https://cdn-allowed.test/
NAME="the agent's TLS is inspected: the run CA's certificate, not the host's"; ok \
  bash -c '[[ "$(openssl s_client -connect cdn-allowed.test:443 -servername cdn-allowed.test </dev/null 2>/dev/null |
    openssl x509 -noout -fingerprint -sha256)" != "$SERVER_FP" ]] && openssl s_client -connect cdn-allowed.test:443 \
    -servername cdn-allowed.test </dev/null 2>/dev/null | openssl x509 -noout -issuer | grep -q "codex-sandbox run CA"'
NAME="other name on the same address, --resolve, HTTP";       quick_fail curl -fsS -m 5 \
  --resolve "cdn-evil.test:80:$WEB_IP" http://cdn-evil.test/
NAME="other name, Host header";                               quick_fail curl -fsS -m 5 -H 'Host: cdn-evil.test' http://cdn-allowed.test/
NAME="fronting: the allowed SNI with the other name's Host (HTTPS)"; quick_fail curl -fsS -m 5 -H 'Host: cdn-evil.test' \
  https://cdn-allowed.test/
NAME="fronting: the same over HTTP/2";                       quick_fail curl -fsS --http2 -m 5 -H 'Host: cdn-evil.test' \
  https://cdn-allowed.test/
NAME="other name, absolute-form request target";              quick_fail curl -fsS -m 5 \
  --request-target http://cdn-evil.test/ http://cdn-allowed.test/
NAME="other name, --resolve, HTTPS (SNI)";                    quick_fail curl -fsSk -m 5 \
  --resolve "cdn-evil.test:443:$WEB_IP" https://cdn-evil.test/
NAME="other name with curl --noproxy '*'";                    quick_fail curl -fsSk --noproxy '*' -m 5 \
  --resolve "cdn-evil.test:443:$WEB_IP" https://cdn-evil.test/
NAME="TLS to the bare address";                               quick_fail curl -fsSk -m 5 "https://$WEB_IP/"
NAME="TLS without a server name";                             quick_fail \
  bash -c 'openssl s_client -connect "$WEB_IP:443" -noservername </dev/null 2>&1 | grep -q "BEGIN CERTIFICATE"'
NAME="HTTP without a Host header (HTTP/1.0)";                 quick_fail curl -fsS -0 -H 'Host:' -m 5 "http://$WEB_IP/"
NAME="the allowed name pointed at another address, HTTP";     quick_fail curl -fsS -m 5 \
  --resolve "cdn-allowed.test:80:$OTHER_IP" http://cdn-allowed.test/
NAME="the allowed name pointed at another address, HTTPS";    quick_fail curl -fsSk -m 5 \
  --resolve "cdn-allowed.test:443:$OTHER_IP" https://cdn-allowed.test/
NAME="a raw socket is intercepted too";                       quick_fail bash -c 'exec 3<>"/dev/tcp/$WEB_IP/80";
  printf "GET / HTTP/1.1\r\nHost: cdn-evil.test\r\nConnection: close\r\n\r\n" >&3; grep -q "^HTTP/1.1 200" <&3'
NAME="the HTTP refusal is one line that says why";            ok \
  bash -c '[[ "$(curl -sS -m 5 -H "Host: cdn-evil.test" http://cdn-allowed.test/)" == "codex-sandbox: cdn-evil.test "* ]]'
NAME="the proxy ports answer, but apply the same names";      quick_fail curl -fsSk -m 5 -x http://127.0.0.1:3128 https://cdn-evil.test/
NAME="CONNECT to an allowed name with another SNI";           quick_fail curl -fsSk -m 5 -x http://127.0.0.1:3128 \
  --connect-to cdn-evil.test:443:cdn-allowed.test:443 https://cdn-evil.test/
`;
const V6_CHECKS = String.raw`
NAME="IPv6: HTTP to the allowed name";                        ok curl -6 -fsS -m 5 \
  --resolve "cdn-allowed.test:80:[$WEB_IP6]" http://cdn-allowed.test/
NAME="IPv6: HTTPS to the allowed name";                       ok curl -6 -fsSk -m 5 \
  --resolve "cdn-allowed.test:443:[$WEB_IP6]" https://cdn-allowed.test/
NAME="IPv6: other name, HTTP";                                quick_fail curl -6 -fsS -m 5 \
  --resolve "cdn-evil.test:80:[$WEB_IP6]" http://cdn-evil.test/
NAME="IPv6: other name, HTTPS";                               quick_fail curl -6 -fsSk -m 5 \
  --resolve "cdn-evil.test:443:[$WEB_IP6]" https://cdn-evil.test/
NAME="IPv6: TLS to the bare address";                         quick_fail curl -6 -fsSk -m 5 "https://[$WEB_IP6]/"
`;

let scratch: string;
let home: string;
let workdir: string;
let workdir6: string;
/** What each test host had logged before the sandbox ran (its own readiness probes). */
const before = new Map<string, number>();
let lab: LabNetwork;
let lab6: LabNetwork;
let web: string;
let other: string;
let web6: string;
let run: LauncherResult;
let run6: LauncherResult;
let certFile: string;

/** What `container` logged after the readiness probes. */
function logsSince(network: LabNetwork, container: string): string {
  return network.logs(container).slice(before.get(container) ?? 0);
}

function checkShell(network: LabNetwork, dir: string, env: string[], script: string): LauncherResult {
  return runLauncher(
    // The test hosts' certificate is trusted by the inspection (R160) as a user's private CA would be.
    [
      'shell',
      '--work_dir',
      dir,
      '--network',
      network.name,
      '--allow',
      'cdn-allowed.test',
      '--ca-cert',
      certFile,
      '--',
      'env',
      ...env,
      'bash',
      '-s',
    ],
    {
      cwd: scratch,
      env: { HOME: home },
      input: `${CHECK_HELPERS}${script}`,
    },
  );
}

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-names-'));
  home = path.join(scratch, 'home');
  workdir = path.join(scratch, 'project');
  workdir6 = path.join(scratch, 'project6');
  const certs = path.join(scratch, 'certs');
  certFile = path.join(certs, 'server.crt');
  for (const dir of [home, workdir, workdir6, certs]) mkdirSync(dir);
  if (process.getuid?.() === 0) for (const dir of [workdir, workdir6]) chownSync(dir, AGENT_UID, AGENT_UID);
  makeSelfSignedCertificate(certs, ['cdn-allowed.test', 'cdn-evil.test', 'other.test']);
  const fingerprint = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', path.join(certs, 'server.crt')], {
    encoding: 'utf8',
  }).trim();
  const certMount = ['--mount', `type=bind,source=${certs},target=/certs,readonly`];

  lab = createLabNetwork('cs-e2e-names');
  web = lab.startNode('web', ['cdn-allowed.test', 'cdn-evil.test'], WEB_SERVER, [...certMount, '-e', 'NAME=cdn']);
  other = lab.startNode('other', ['other.test'], WEB_SERVER, [...certMount, '-e', 'NAME=other']);
  for (const host of [web, other]) {
    waitForPort(host, 80);
    waitForPort(host, 443, true);
    before.set(host, lab.logs(host).length);
  }
  run = checkShell(lab, workdir, [`WEB_IP=${lab.ipOf(web)}`, `OTHER_IP=${lab.ipOf(other)}`, `SERVER_FP=${fingerprint}`], CHECKS);

  lab6 = createLabNetwork('cs-e2e-names6', { ipv6Subnet: 'fd00:c0de:5a9d::/64' });
  web6 = lab6.startNode('web', ['cdn-allowed.test', 'cdn-evil.test'], WEB_SERVER, [...certMount, '-e', 'NAME=cdn6']);
  waitForPort(web6, 443, true);
  before.set(web6, lab6.logs(web6).length);
  run6 = checkShell(lab6, workdir6, [`WEB_IP6=${lab6.ipv6Of(web6)}`], V6_CHECKS);
}, 400000);

afterAll(() => {
  lab?.remove();
  lab6?.remove();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

function resultOf(result: LauncherResult, name: string): string {
  return (
    result.stdout.split('\n').find((line) => line === `PASS ${name}` || line.startsWith(`FAIL ${name}`)) ??
    `missing: ${name}\n${result.stderr}`
  );
}

describe('only the allowed name is served, by Host and by SNI (R90)', () => {
  test('every check ran', () => {
    expect({
      status: run.status,
      results: run.stdout.split('\n').filter((l) => /^(PASS|FAIL) /.test(l)).length,
      stderr: run.stderr,
    }).toEqual({
      status: 0,
      results: checkNames(CHECKS).length,
      stderr: expect.any(String),
    });
  });

  test.each(checkNames(CHECKS))('%s', (name) => {
    expect(resultOf(run, name)).toBe(`PASS ${name}`);
  });

  test('the test host served the allowed name over HTTP and HTTPS, and never the other name, a bare address or TLS without a name', () => {
    const log = logsSince(lab, web);
    expect(log).toContain('SERVED http host=cdn-allowed.test sni=');
    expect(log).toContain('SERVED https host=cdn-allowed.test sni=cdn-allowed.test');
    expect(log).not.toContain('cdn-evil.test');
    expect(log).not.toMatch(/host=\[?[0-9a-f.:]+\]?( |$)/m);
    expect(log).not.toMatch(/^TLS sni=$/m);
  });

  test('the other address got nothing at all (no connection went to an address the name does not have)', () => {
    expect(logsSince(lab, other)).not.toMatch(/SERVED|TLS/);
  });
});

describe('the egress record: allowed with bytes, refusals with reasons (R92-R94)', () => {
  const last = () =>
    parseEgressJson(runLauncher(['egress', '--last', '--json', '--work_dir', workdir], { cwd: scratch, env: { HOME: home } }).stdout);

  test('the allowed host, per port, with bytes up and down', () => {
    const allowed = last().destinations.filter((d) => d.verdict === 'allowed');
    for (const kind of ['http', 'tls']) {
      expect(allowed).toContainEqual(
        expect.objectContaining({
          kind,
          name: 'cdn-allowed.test',
          count: expect.any(Number),
          bytesUp: expect.any(Number),
          bytesDown: expect.any(Number),
        }),
      );
    }
    expect(allowed.every((d) => d.name === 'cdn-allowed.test' && (d.bytesDown as number) > 0)).toBe(true);
  });

  test('every refusal with its reason', () => {
    const refused = last().destinations.filter((d) => d.verdict === 'refused');
    const has = (reason: string, match: Record<string, unknown>) =>
      expect(refused).toContainEqual(expect.objectContaining({ reason, ...match }));
    has('name not allowed', { kind: 'http', name: 'cdn-evil.test' });
    has('name not allowed', { kind: 'tls', name: 'cdn-evil.test' });
    has('TLS without a name', { kind: 'tls', port: 443 });
    has('name does not match', { kind: 'http', name: 'cdn-allowed.test' });
    has('name does not match', { kind: 'tls', name: 'cdn-allowed.test' });
    has('address without a name', { kind: 'http', address: lab.ipOf(web) });
  });

  test('the end-of-run line lists what was refused and what to allow, never what got through', () => {
    const line = run.stderr.split('\n').find((l) => l.startsWith('refused '));
    expect(line).toMatch(/cdn-evil\.test \(\d+×, [^)]*name not allowed/);
    expect(line).toContain('--allow cdn-evil.test');
    expect(line).not.toMatch(/--allow cdn-allowed\.test/);
  });

  test('`egress --allowed` and `--blocked` split the record', () => {
    const show = (flag: string) => runLauncher(['egress', flag, '--work_dir', workdir], { cwd: scratch, env: { HOME: home } }).stdout;
    expect(show('--allowed')).toMatch(/^allowed .*cdn-allowed\.test:443 .*up \d/m);
    expect(show('--allowed')).not.toMatch(/^refused /m);
    expect(show('--blocked')).toMatch(/^refused .*cdn-evil\.test:80 .*name not allowed/m);
    expect(show('--blocked')).not.toMatch(/^allowed /m);
    expect(runLauncher(['egress', '--allowed', '--blocked', '--work_dir', workdir], { cwd: scratch, env: { HOME: home } }).status).toBe(2);
  });
});

describe('IPv6 is checked by name too (R90)', () => {
  test.each(checkNames(V6_CHECKS))('%s', (name) => {
    expect(resultOf(run6, name)).toBe(`PASS ${name}`);
  });

  test('the IPv6 test host never served the other name', () => {
    const log = logsSince(lab6, web6);
    expect(log).toContain('SERVED https host=cdn-allowed.test');
    expect(log).not.toContain('cdn-evil.test');
  });
});

describe('fail closed (R90)', () => {
  test('when the name check cannot start, the sandbox stops with exit 71 and one line, the command never runs', () => {
    // Something else holds Squid's intercept port before the entrypoint starts it.
    const blocker = "require('net').createServer().listen(3129,'127.0.0.1')";
    const result = execFileSync(
      'docker',
      [
        'run',
        '--rm',
        '--label',
        'codex-sandbox.test=1',
        '--cap-drop',
        'ALL',
        ...['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'KILL', 'SETUID', 'SETGID', 'SETPCAP', 'NET_BIND_SERVICE', 'NET_ADMIN', 'NET_RAW'].flatMap(
          (c) => ['--cap-add', c],
        ),
        '--network',
        lab.name,
        '-e',
        'SANDBOX_ALLOWED_DOMAINS=cdn-allowed.test',
        '-e',
        'SANDBOX_COMMAND=shell',
        '--entrypoint',
        'bash',
        IMAGE,
        '-c',
        `(node -e "${blocker}" &); sleep 0.5; /usr/local/bin/sandbox-entrypoint echo COMMAND-RAN; echo "exit=$?"`,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    expect(result).toContain('exit=71');
    expect(result).not.toContain('COMMAND-RAN');
  });

  test('a name check that dies later leaves 80/443 closed, never direct', () => {
    const name = `names-${process.pid}`;
    try {
      const start = runLauncher(
        ['shell', '--name', name, '--keep', '--work_dir', workdir6, '--network', lab.name, '--allow', 'cdn-allowed.test', '--', 'true'],
        { cwd: scratch, env: { HOME: home } },
      );
      expect(start.status).toBe(0);
      const container = docker(['ps', '--filter', `label=codex-sandbox.session=${name}`, '--format', '{{.Names}}']);
      docker(['exec', '-u', '0', container, 'pkill', '-KILL', '-x', 'squid']);
      const linesBefore = lab.logs(web).split('\n').length;
      const after = runLauncher(['attach', name, '--', 'sh', '-c', 'curl -fsS -m 5 http://cdn-allowed.test/; echo "curl=$?"'], {
        cwd: workdir6,
        env: { HOME: home },
      });
      expect(after.stdout).toMatch(/curl=(7|56|52)\b/);
      expect(lab.logs(web).split('\n').length).toBe(linesBefore);
    } finally {
      runLauncher(['destroy', name, '--force'], { cwd: scratch, env: { HOME: home } });
    }
  });
});
