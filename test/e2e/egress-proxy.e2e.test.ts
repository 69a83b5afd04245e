import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEgressJson } from './helpers/egress-records.js';
import { runLauncher, type LauncherResult } from './helpers/run-launcher.js';
import {
  CHECK_HELPERS,
  checkNames,
  createLabNetwork,
  FORWARD_PROXY,
  makeSelfSignedCertificate,
  waitForPort,
  WEB_SERVER,
  type LabNetwork,
} from './helpers/test-hosts.js';

/**
 * An upstream proxy is the sandbox's business, never the agent's (R91): with HTTPS_PROXY set
 * on the host (a proxy that forwards everything, with a login), the agent reaches the
 * allowed name through it and an unlisted host by no route; only the sandbox's own proxy
 * talks to the upstream, and the login is nowhere the agent can read. Judged by what the
 * upstream and the test hosts logged.
 */
const AGENT_UID = process.getuid?.() === 0 ? 4242 : (process.getuid?.() ?? 1000);
const LOGIN = 'agentless:pw-9f3k';

const CHECKS = String.raw`
secret=pw-; secret+=9f3k
NAME="the proxy variables point at the sandbox's own proxy";  ok test "$HTTPS_PROXY" = http://127.0.0.1:3128 \
  -a "$http_proxy" = http://127.0.0.1:3128
NAME="allowed name through the upstream: HTTPS via the proxy variables"; ok curl -fsSk -m 10 https://cdn-allowed.test/
NAME="allowed name through the upstream: HTTP via the proxy variables";  ok curl -fsS -m 10 http://cdn-allowed.test/
NAME="allowed name through the upstream: intercepted (--noproxy)";       ok curl -fsSk --noproxy '*' -m 10 https://cdn-allowed.test/
NAME="unlisted host via the proxy variables, HTTP";           quick_fail curl -fsS -m 5 http://other.test/
NAME="unlisted host via the proxy variables, HTTPS (CONNECT)"; quick_fail curl -fsSk -m 5 https://other.test/
NAME="unlisted host with -x straight to the upstream";        quick_fail curl -fsSk -m 5 \
  -x "http://${LOGIN}@proxy.test:3128" https://other.test/
NAME="plain HTTP with -x straight to the upstream";           quick_fail curl -fsS -m 5 \
  -x "http://${LOGIN}@proxy.test:3128" http://other.test/
NAME="CONNECT by hand to the upstream's address";             quick_fail bash -c 'exec 3<>"/dev/tcp/$PROXY_IP/3128";
  printf "CONNECT other.test:443 HTTP/1.1\r\nHost: other.test:443\r\n\r\n" >&3; grep -q " 200 " <&3'
NAME="unlisted host with --noproxy and --resolve";            quick_fail curl -fsSk --noproxy '*' -m 5 \
  --resolve "other.test:443:$OTHER_IP" https://other.test/
NAME="the login is not in the agent's environment";           fails bash -c 'env | grep -qF -- "$0"' "$secret"
NAME="the login is in no /proc/*/environ the agent can read"; fails \
  bash -c 'cat /proc/[0-9]*/environ 2>/dev/null | tr "\0" "\n" | grep -qF -- "$0"' "$secret"
NAME="the login is on no command line";                       fails bash -c 'ps -eo args | grep -F -- "$0" | grep -qv grep' "$secret"
NAME="the login is not in a file the agent can read";         fails \
  bash -c 'grep -rqsF -- "$0" /etc /run /var/lib/codex-sandbox /codex_home' "$secret"
`.replaceAll('${LOGIN}', LOGIN);

let scratch: string;
let home: string;
let workdir: string;
let lab: LabNetwork;
let web: string;
let other: string;
let proxy: string;
let run: LauncherResult;
let otherBefore = 0;

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-proxy-'));
  home = path.join(scratch, 'home');
  workdir = path.join(scratch, 'project');
  const certs = path.join(scratch, 'certs');
  for (const dir of [home, workdir, certs]) mkdirSync(dir);
  if (process.getuid?.() === 0) chownSync(workdir, AGENT_UID, AGENT_UID);
  makeSelfSignedCertificate(certs, ['cdn-allowed.test', 'other.test']);
  const certMount = ['--mount', `type=bind,source=${certs},target=/certs,readonly`];
  lab = createLabNetwork('cs-e2e-proxy');
  web = lab.startNode('web', ['cdn-allowed.test'], WEB_SERVER, [...certMount, '-e', 'NAME=cdn']);
  other = lab.startNode('other', ['other.test'], WEB_SERVER, [...certMount, '-e', 'NAME=other']);
  proxy = lab.startNode('proxy', ['proxy.test'], FORWARD_PROXY, ['-e', `AUTH=${LOGIN}`]);
  waitForPort(web, 443, true);
  waitForPort(other, 443, true);
  waitForPort(proxy, 3128);
  otherBefore = lab.logs(other).length; // its own readiness probe
  run = runLauncher(
    [
      'shell',
      '--work_dir',
      workdir,
      '--network',
      lab.name,
      '--allow',
      'cdn-allowed.test',
      // Inspected through the upstream (R160): the inspection trusts the test host's certificate.
      '--ca-cert',
      path.join(certs, 'server.crt'),
      '--',
      'env',
      `PROXY_IP=${lab.ipOf(proxy)}`,
      `OTHER_IP=${lab.ipOf(other)}`,
      'bash',
      '-s',
    ],
    { cwd: scratch, env: { HOME: home, HTTPS_PROXY: `http://${LOGIN}@proxy.test:3128` }, input: `${CHECK_HELPERS}${CHECKS}` },
  );
}, 300000);

afterAll(() => {
  lab?.remove();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe('through an upstream proxy (R91)', () => {
  test('every check ran; the launcher named the proxy without its login', () => {
    expect({ status: run.status, results: run.stdout.split('\n').filter((l) => /^(PASS|FAIL) /.test(l)).length }).toEqual({
      status: 0,
      results: checkNames(CHECKS).length,
    });
    expect(run.stderr).toContain('using proxy http://***@proxy.test:3128 (from HTTPS_PROXY)');
    expect(run.stderr).not.toContain('pw-9f3k');
  });

  test.each(checkNames(CHECKS))('%s', (name) => {
    const line = run.stdout.split('\n').find((l) => l === `PASS ${name}` || l.startsWith(`FAIL ${name}`));
    expect(line ?? `missing: ${name}\n${run.stderr}`).toBe(`PASS ${name}`);
  });

  test('the upstream carried the allowed name (with the login) and never the unlisted host', () => {
    const log = lab.logs(proxy);
    expect(log).toContain('FORWARDED CONNECT cdn-allowed.test:443');
    expect(log).toContain('FORWARDED GET http://cdn-allowed.test/');
    expect(log).not.toContain('other.test');
    expect(log).not.toContain('NO-LOGIN CONNECT cdn-allowed.test');
  });

  test('the unlisted host received nothing by any route; the allowed one was served', () => {
    expect(lab.logs(other).slice(otherBefore)).not.toMatch(/SERVED|TLS/);
    expect(lab.logs(web)).toContain('SERVED https host=cdn-allowed.test sni=cdn-allowed.test');
  });

  test('the egress record lists the unlisted host as refused, never as reached', () => {
    const record = parseEgressJson(
      runLauncher(['egress', '--last', '--json', '--work_dir', workdir], { cwd: scratch, env: { HOME: home } }).stdout,
    );
    expect(record.destinations).toContainEqual(
      expect.objectContaining({ verdict: 'refused', name: 'other.test', reason: 'name not allowed' }),
    );
    expect(record.destinations.filter((d) => d.verdict === 'allowed' && d.name === 'other.test')).toEqual([]);
    expect(record.destinations).toContainEqual(expect.objectContaining({ verdict: 'allowed', name: 'cdn-allowed.test', kind: 'tls' }));
    const line = run.stderr.split('\n').find((l) => l.startsWith('refused ')) ?? '';
    expect(line).toContain('other.test');
    expect(line).not.toMatch(/--allow proxy\.test/);
  });
});
