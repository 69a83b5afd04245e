import { assembleRunPlan, type ResolvedRun } from '../../scripts/core/run/assemble-run-plan.js';
import { listBuildEgressArgs } from '../../scripts/core/egress/build-egress-args.js';
import { buildEgressPolicy, coversName, layerFromText, type EgressLayer } from '../../scripts/core/egress/egress-policy.js';
import {
  describeEgressPolicy,
  listCaMounts,
  listEgressAddHosts,
  listEgressEnv,
  listEgressSecrets,
} from '../../scripts/core/egress/egress-run-args.js';
import { UsageError } from '../../scripts/core/errors.js';
import { parseProxyUrl, selectProxy } from '../../scripts/core/egress/proxy-spec.js';
import { buildDockerRunArgs } from '../../scripts/core/run/run-plan.js';

const DEFAULTS = [
  'api.openai.com',
  'chatgpt.com',
  'chat.openai.com',
  'auth.openai.com',
  'auth0.openai.com',
  'platform.openai.com',
  'openai.com',
];
const GITHUB = [
  'github.com',
  'api.github.com',
  'codeload.github.com',
  'gist.github.com',
  'raw.githubusercontent.com',
  'objects.githubusercontent.com',
  'release-assets.githubusercontent.com',
];

describe('buildEgressPolicy: merging sources', () => {
  it.each<[string, EgressLayer[], { domains: string[]; ports?: string[]; denied?: string[]; hostPorts?: number[] }]>([
    ['nothing: the defaults only', [], { domains: DEFAULTS }],
    [
      'flags add to the environment (lists add up)',
      [{ source: '--allow', allow: ['a.test'] }, layerFromText('OPENAI_ALLOWED_DOMAINS', { allow: 'b.test, c.test:2222' })],
      { domains: [...DEFAULTS, 'b.test', 'a.test'], ports: ['c.test:2222'] },
    ],
    [
      'lower layers come first, duplicates collapse',
      [
        { source: 'flags', allow: ['x.test', 'api.openai.com'] },
        { source: 'project file', allow: ['y.test', 'X.TEST'] },
        { source: 'user file', allow: ['z.test'] },
      ],
      { domains: [...DEFAULTS, 'z.test', 'y.test', 'x.test'] },
    ],
    ['presets expand', [{ source: '--allow', allow: ['@github'] }], { domains: [...DEFAULTS, ...GITHUB] }],
    [
      'deny removes exact entries of a preset',
      [
        { source: '--allow', allow: ['@github'] },
        { source: '--deny', deny: ['gist.github.com'] },
      ],
      // Every deny reaches the image (R167): no live change can lift it there.
      { domains: [...DEFAULTS, ...GITHUB.filter((h) => h !== 'gist.github.com')], denied: ['gist.github.com'] },
    ],
    [
      'a deny from a lower layer still wins over a flag allow',
      [
        { source: '--allow', allow: ['a.test', 'b.test:22'] },
        { source: 'user file', deny: ['a.test', 'b.test'] },
      ],
      { domains: DEFAULTS, denied: ['a.test', 'b.test'] },
    ],
    [
      'a deny wildcard removes the subdomains it covers, not the apex',
      [
        { source: '--allow', allow: ['lab.test', 'a.lab.test', '*.lab.test', 'x.lab.test:2222'] },
        { source: '--deny', deny: ['*.lab.test'] },
      ],
      { domains: [...DEFAULTS, 'lab.test'], denied: ['*.lab.test'] },
    ],
    [
      'every deny is passed on (NXDOMAIN inside an allowed wildcard; no live allow lifts it)',
      [
        { source: '--allow', allow: ['*.lab.test'] },
        { source: '--deny', deny: ['bad.lab.test', '*.worse.lab.test', 'lab.test', 'other.test'] },
      ],
      { domains: [...DEFAULTS, '*.lab.test'], denied: ['bad.lab.test', '*.worse.lab.test', 'lab.test', 'other.test'] },
    ],
    [
      'a wildcard port entry also passes covered denies on',
      [
        { source: '--allow', allow: ['*.lab.test:2222'] },
        { source: '--deny', deny: ['bad.lab.test'] },
      ],
      { domains: DEFAULTS, ports: ['*.lab.test:2222'], denied: ['bad.lab.test'] },
    ],
    [
      'deny host:port removes only that port',
      [
        { source: '--allow', allow: ['db.test:5432', 'db.test:6379', 'db.test'] },
        { source: '--deny', deny: ['db.test:6379'] },
      ],
      { domains: [...DEFAULTS, 'db.test'], ports: ['db.test:5432'] },
    ],
    [
      'host ports: validated, deduplicated, in order',
      [
        { source: '--allow-host-port', hostPorts: ['3000', '8080'] },
        { source: 'project file', hostPorts: ['8080', '11434'] },
      ],
      { domains: DEFAULTS, hostPorts: [8080, 11434, 3000] },
    ],
    ['host:443 is the plain entry', [{ source: '--allow', allow: ['a.test:443', 'a.test:80'] }], { domains: [...DEFAULTS, 'a.test'] }],
  ])('%s', (_name, layers, expected) => {
    const policy = buildEgressPolicy(layers);
    expect({
      domains: policy.domains,
      ports: policy.ports.map((p) => `${p.host}:${p.port}`),
      denied: policy.denied,
      hostPorts: policy.hostPorts,
    }).toEqual({ ports: [], denied: [], hostPorts: [], ...expected });
  });

  it.each<[EgressLayer[], string]>([
    [
      [{ source: '--allow', allow: ['10.0.0.5'] }],
      '--allow: "10.0.0.5" is not a valid host name (IP addresses are not allowed, only host names)' +
        '; for a service on the Docker host use --allow-host-port PORT',
    ],
    [
      [{ source: '.codex/sandbox.ini:3 [network] deny', deny: ['@nope'] }],
      '.codex/sandbox.ini:3 [network] deny: unknown preset "@nope": use one of @npm @pypi @github @maven @debian @rust @go',
    ],
    [
      [{ source: '--allow-host-port', hostPorts: ['70000'] }],
      '--allow-host-port: host port "70000" is not a TCP port: use a number from 1 to 65535',
    ],
    [
      [{ source: 'OPENAI_ALLOWED_DOMAINS', allow: ['good.test', 'bad_name.test'] }],
      'OPENAI_ALLOWED_DOMAINS: "bad_name.test" is not a valid host name',
    ],
    [
      [
        { source: '--allow', allow: ['*.lab.test:2222'] },
        { source: '--deny', deny: ['a.lab.test:2222'] },
      ],
      '--deny a.lab.test:2222: one port of a name inside the wildcard *.lab.test:2222 cannot be denied alone;' +
        ' deny the name (a.lab.test) instead',
    ],
  ])('refuses %j with one line naming the source', (layers, message) => {
    expect(() => buildEgressPolicy(layers)).toThrow(UsageError);
    expect(() => buildEgressPolicy(layers)).toThrow(message);
  });

  it.each<[string, string, boolean]>([
    ['*.lab.test', 'a.lab.test', true],
    ['*.lab.test', 'a.b.lab.test', true],
    ['*.lab.test', '*.a.lab.test', true],
    ['*.lab.test', '*.lab.test', true],
    ['*.lab.test', 'lab.test', false],
    ['*.lab.test', 'lab.test.evil.test', false],
    ['*.lab.test', 'evillab.test', false],
    ['lab.test', 'a.lab.test', false],
    ['lab.test', 'lab.test', true],
  ])('coversName(%j, %j) is %j', (pattern, name, expected) => {
    expect(coversName(pattern, name)).toBe(expected);
  });
});

describe('proxy URLs', () => {
  it.each<
    [string, { url: string; hostUrl: string; redacted: string; host: string; port: number; viaHostGateway: boolean; credentials?: string }]
  >([
    [
      'http://proxy.corp:3128',
      {
        url: 'http://proxy.corp:3128',
        hostUrl: 'http://proxy.corp:3128',
        redacted: 'http://proxy.corp:3128',
        host: 'proxy.corp',
        port: 3128,
        viaHostGateway: false,
      },
    ],
    [
      'http://proxy.corp:3128/',
      {
        url: 'http://proxy.corp:3128',
        hostUrl: 'http://proxy.corp:3128',
        redacted: 'http://proxy.corp:3128',
        host: 'proxy.corp',
        port: 3128,
        viaHostGateway: false,
      },
    ],
    [
      'http://Proxy.Corp',
      {
        url: 'http://proxy.corp:80',
        hostUrl: 'http://proxy.corp:80',
        redacted: 'http://proxy.corp:80',
        host: 'proxy.corp',
        port: 80,
        viaHostGateway: false,
      },
    ],
    [
      'http://me:s%40cret@10.1.2.3:8080',
      {
        url: 'http://me:s%40cret@10.1.2.3:8080',
        hostUrl: 'http://me:s%40cret@10.1.2.3:8080',
        redacted: 'http://***@10.1.2.3:8080',
        host: '10.1.2.3',
        port: 8080,
        viaHostGateway: false,
        credentials: 'me:s@cret',
      },
    ],
    [
      'http://127.0.0.1:3128',
      {
        url: 'http://host.docker.internal:3128',
        hostUrl: 'http://127.0.0.1:3128',
        redacted: 'http://host.docker.internal:3128',
        host: 'host.docker.internal',
        port: 3128,
        viaHostGateway: true,
      },
    ],
    [
      'http://u:p@localhost:8888',
      {
        url: 'http://u:p@host.docker.internal:8888',
        hostUrl: 'http://u:p@localhost:8888',
        redacted: 'http://***@host.docker.internal:8888',
        host: 'host.docker.internal',
        port: 8888,
        viaHostGateway: true,
        credentials: 'u:p',
      },
    ],
    [
      'http://[::1]:3128',
      {
        url: 'http://host.docker.internal:3128',
        hostUrl: 'http://[::1]:3128',
        redacted: 'http://host.docker.internal:3128',
        host: 'host.docker.internal',
        port: 3128,
        viaHostGateway: true,
      },
    ],
  ])('%j', (raw, expected) => {
    expect(parseProxyUrl(raw, '--proxy')).toEqual({ source: '--proxy', ...expected });
  });

  it.each<[string, string]>([
    ['proxy:3128', '--proxy must be an http:// proxy URL (it starts with proxy:)'],
    ['not a url', '--proxy is not a URL: use http://host:port (or http://user:password@host:port)'],
    ['https://proxy:3128', '--proxy must be an http:// proxy URL (it starts with https:)'],
    ['socks5://proxy:1080', '--proxy must be an http:// proxy URL (it starts with socks5:)'],
    ['http://proxy:3128/path', '--proxy must not have a path, query or fragment'],
    ['http://bad_host:3128', '--proxy has an invalid proxy host "bad_host"'],
    [
      'http://me:a%20b@proxy:3128',
      "--proxy: proxy credentials with blanks, quotes, backslashes, '#' or a ':' in the user name cannot be handed to the sandbox's proxy",
    ],
    [
      'http://me:a%22b@proxy:3128',
      "--proxy: proxy credentials with blanks, quotes, backslashes, '#' or a ':' in the user name cannot be handed to the sandbox's proxy",
    ],
    [
      'http://me:a%23b@proxy:3128',
      "--proxy: proxy credentials with blanks, quotes, backslashes, '#' or a ':' in the user name cannot be handed to the sandbox's proxy",
    ],
    [
      'http://m%3Ae:ab@proxy:3128',
      "--proxy: proxy credentials with blanks, quotes, backslashes, '#' or a ':' in the user name cannot be handed to the sandbox's proxy",
    ],
    ['http://me:%E0%A4%A@proxy:3128', '--proxy has malformed percent-escapes in its credentials'],
  ])('refuses %j', (raw, message) => {
    expect(() => parseProxyUrl(raw, '--proxy')).toThrow(UsageError);
    expect(() => parseProxyUrl(raw, '--proxy')).toThrow(message);
  });

  it('--proxy wins; then HTTPS_PROXY, https_proxy, HTTP_PROXY, http_proxy; empty counts as unset', () => {
    const env = { HTTPS_PROXY: '', https_proxy: 'http://b.test:2', HTTP_PROXY: 'http://c.test:3', http_proxy: 'http://d.test:4' };
    expect(selectProxy('http://a.test:1', env)?.url).toBe('http://a.test:1');
    expect(selectProxy(undefined, env)).toMatchObject({ url: 'http://b.test:2', source: 'https_proxy' });
    expect(selectProxy(undefined, { http_proxy: 'http://d.test:4' })).toMatchObject({ source: 'http_proxy' });
    expect(selectProxy(undefined, {})).toBeUndefined();
    expect(() => selectProxy(undefined, { HTTP_PROXY: 'ftp://x' })).toThrow('HTTP_PROXY must be an http:// proxy URL');
  });
});

describe('what reaches docker run', () => {
  it('a plain policy adds nothing', () => {
    const policy = buildEgressPolicy([]);
    expect(listEgressEnv(policy)).toEqual([]);
    expect(listEgressAddHosts(policy)).toEqual([]);
    expect(listCaMounts([])).toEqual([]);
  });

  it('every allowance as env values, in a fixed order', () => {
    const policy = buildEgressPolicy(
      [
        { source: '--allow', allow: ['*.lab.test', 'git.test:22'] },
        { source: '--deny', deny: ['bad.lab.test'] },
        { source: '--allow-host-port', hostPorts: ['3000'] },
      ],
      parseProxyUrl('http://u:p@proxy.test:3128', '--proxy'),
    );
    expect(listEgressEnv(policy)).toEqual([
      ['SANDBOX_ALLOWED_PORTS', 'git.test:22'],
      ['SANDBOX_DENIED_DOMAINS', 'bad.lab.test'],
      ['SANDBOX_HOST_PORTS', '3000'],
      ['SANDBOX_PROXY', 'proxy.test:3128'],
      ['HTTP_PROXY', 'http://127.0.0.1:3128'],
      ['HTTPS_PROXY', 'http://127.0.0.1:3128'],
      ['http_proxy', 'http://127.0.0.1:3128'],
      ['https_proxy', 'http://127.0.0.1:3128'],
      ['NO_PROXY', 'localhost,127.0.0.1,::1,host.docker.internal'],
      ['no_proxy', 'localhost,127.0.0.1,::1,host.docker.internal'],
      ['npm_config_proxy', 'http://127.0.0.1:3128'],
      ['npm_config_https_proxy', 'http://127.0.0.1:3128'],
    ]);
    expect(listEgressAddHosts(policy)).toEqual(['host.docker.internal:host-gateway']);
    expect(describeEgressPolicy(policy, DEFAULTS)).toEqual([
      'allowing *.lab.test (ports 80/443)',
      'allowing git.test:22',
      'denying bad.lab.test',
      'allowing host.docker.internal port 3000 (the Docker host)',
      'using proxy http://***@proxy.test:3128 (from --proxy)',
      "the sandbox's name check forwards what it admits through it;" +
        " the agent's proxy variables point at the name check (http://127.0.0.1:3128)",
    ]);
  });

  it('the upstream proxy and its credentials never reach a variable the agent reads (R91)', () => {
    const policy = buildEgressPolicy([], parseProxyUrl('http://user:s3cr%21t@proxy.test:3128', '--proxy'));
    const agentVisible = listEgressEnv(policy).filter(([key]) => !key.startsWith('SANDBOX_'));
    expect(agentVisible.length).toBe(8);
    for (const [, value] of agentVisible) {
      expect(value).not.toMatch(/proxy\.test|user|s3cr/);
    }
    // The login is passed by name (R84): its value is never an env value of the plan, only a secret.
    expect(JSON.stringify(listEgressEnv(policy))).not.toMatch(/user|s3cr/);
    expect(listEgressSecrets(policy)).toEqual({ SANDBOX_PROXY_AUTH: 'user:s3cr!t' });
    expect(listEgressSecrets(buildEgressPolicy([], parseProxyUrl('http://proxy.test:3128', '--proxy')))).toEqual({});
    expect(policy.hostPorts).toEqual([]);
  });

  it('a proxy on the host loopback is reached by the sandbox as host.docker.internal, never opened to the agent as a host port', () => {
    const policy = buildEgressPolicy([], parseProxyUrl('http://127.0.0.1:3128', 'HTTPS_PROXY'));
    const proxyUrl = 'http://127.0.0.1:3128';
    expect(policy.hostPorts).toEqual([]);
    expect(listEgressEnv(policy)).toEqual([
      ['SANDBOX_PROXY', 'host.docker.internal:3128'],
      ['HTTP_PROXY', proxyUrl],
      ['HTTPS_PROXY', proxyUrl],
      ['http_proxy', proxyUrl],
      ['https_proxy', proxyUrl],
      ['NO_PROXY', 'localhost,127.0.0.1,::1'],
      ['no_proxy', 'localhost,127.0.0.1,::1'],
      ['npm_config_proxy', proxyUrl],
      ['npm_config_https_proxy', proxyUrl],
    ]);
    expect(listEgressAddHosts(policy)).toEqual(['host.docker.internal:host-gateway']);
    expect(describeEgressPolicy(policy, DEFAULTS)[2]).toMatch(
      /^the proxy is on the host's loopback: the sandbox reaches it as host.docker.internal:3128/,
    );
  });

  it('the whole argv of a run with host ports and a CA file', () => {
    const run: ResolvedRun = {
      command: 'agent',
      agent: { id: 'codex', passEnv: [] },
      workdir: '/w',
      envDir: '/w/.codex/.environment',
      sessionsDir: '/w/.codex/.environment/sessions',
      readOnly: [],
      allowlist: DEFAULTS,
      egress: buildEgressPolicy([{ source: '--allow-host-port', hostPorts: ['3000'] }]),
      caFiles: ['/etc/corp-ca.pem'],
      image: 'codex-sandbox:latest',
      dns: [],
      uid: 1000,
      gid: 1000,
      tty: false,
      runId: 'abcdef01',
      workdirHash: '0123456789abcdef',
      launcherPid: 42,
      launcherHost: 'host',
      launcherVersion: '0.1.0',
      args: [],
    };
    const argv = buildDockerRunArgs(assembleRunPlan(run));
    const start = argv.indexOf('net.netfilter.nf_conntrack_acct=1') + 1;
    expect(argv.slice(start)).toEqual([
      '--add-host',
      'host.docker.internal:host-gateway',
      '--mount',
      'type=bind,source=/w,target=/app/w',
      '--mount',
      'type=bind,source=/etc/corp-ca.pem,target=/usr/local/share/ca-certificates/codex-sandbox/1.crt,readonly',
      '-w',
      '/app/w',
      '-e',
      'CODEX_HOME=/codex_home',
      '-e',
      'HOME=/codex_home',
      '-e',
      'SANDBOX_WORKDIR=/app/w',
      '-e',
      'SANDBOX_ENV_DIR=/app/w/.codex/.environment',
      '-e',
      `SANDBOX_ALLOWED_DOMAINS=${DEFAULTS.join(' ')}`,
      '-e',
      'SANDBOX_HOST_UID=1000',
      '-e',
      'SANDBOX_HOST_GID=1000',
      '-e',
      'SANDBOX_CODEX_HOME=/app/w/.codex/.environment',
      '-e',
      'SANDBOX_HOST_PORTS=3000',
      'codex-sandbox:latest',
    ]);
  });

  it('R84 build arguments: predefined proxy args by name only (values for the CLI), host network for a loopback proxy, no CA', () => {
    expect(listBuildEgressArgs({})).toEqual({ args: [], env: {} });
    const built = listBuildEgressArgs({
      proxy: parseProxyUrl('http://u:p@127.0.0.1:3128', 'HTTPS_PROXY'),
      caPem: '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n',
    });
    expect(built.args).toEqual([
      '--build-arg',
      'HTTP_PROXY',
      '--build-arg',
      'HTTPS_PROXY',
      '--build-arg',
      'http_proxy',
      '--build-arg',
      'https_proxy',
      '--build-arg',
      'NO_PROXY',
      '--build-arg',
      'no_proxy',
      '--network',
      'host',
    ]);
    expect(built.env).toEqual({
      HTTP_PROXY: 'http://u:p@127.0.0.1:3128',
      HTTPS_PROXY: 'http://u:p@127.0.0.1:3128',
      http_proxy: 'http://u:p@127.0.0.1:3128',
      https_proxy: 'http://u:p@127.0.0.1:3128',
      NO_PROXY: 'localhost,127.0.0.1,::1',
      no_proxy: 'localhost,127.0.0.1,::1',
    });
  });
});
