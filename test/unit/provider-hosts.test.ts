import fs from 'node:fs';
import path from 'node:path';
import type { ConfigFacts as HomeFacts } from '../../scripts/core/agents/agent-home-plan.js';
import { UsageError } from '../../scripts/core/errors.js';
import { listProviderHosts } from '../../scripts/core/egress/provider-allowances.js';
import { findCaCertificates } from '../../scripts/host/engine/ca-certs.js';
import { splitList } from '../../scripts/core/split-list.js';
import type { HostContext } from '../../scripts/host/host-context.js';
import { findProviderAllowances, readCodexConfig } from '../../scripts/host/egress/provider-hosts.js';
import { makeTempDir, removeTempDir, writeFile } from './helpers/temp-dir.js';

const PROVIDERS = `model = "m"
[model_providers.corp]
base_url = "https://llm.corp.test/v1"
[model_providers.local]
base_url = "http://localhost:11434/v1"
[model_providers.odd]
base_url = "https://models.corp.test:8443/api"
`;
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

let tmp: string;
let work: string;
let envDir: string;
beforeEach(() => {
  tmp = makeTempDir('codex-sandbox-egress-');
  work = path.join(tmp, 'work');
  envDir = path.join(work, '.codex', '.environment');
  fs.mkdirSync(envDir, { recursive: true });
});
afterEach(() => removeTempDir(tmp));

const facts = (configSource: HomeFacts['configSource'], configTargetExists: boolean): HomeFacts => ({
  envDir,
  envDirExists: true,
  sessionsDir: path.join(envDir, 'sessions'),
  sessionsDirExists: false,
  configSource,
  configTargetExists,
});
const writable = () => [work, envDir, path.join(envDir, 'sessions')];

describe('model-provider hosts', () => {
  it('lists base_url hosts, with a port other than 80/443, and explains the unusable ones', () => {
    expect(
      listProviderHosts({
        model_providers: {
          a: { base_url: 'https://x.test' },
          b: { base_url: 'http://y.test:80' },
          c: { base_url: 'ftp://z.test' },
          d: { base_url: 'nope' },
          e: { name: 'no url' },
        },
      }),
    ).toEqual([
      { name: 'a', host: 'x.test', spec: 'x.test' },
      { name: 'b', host: 'y.test', spec: 'y.test' },
      { name: 'c', host: 'z.test', problem: 'base_url uses ftp: (only http and https can be allowed)' },
      { name: 'd', host: 'nope', problem: 'base_url is not a URL' },
    ]);
    expect(listProviderHosts({})).toEqual([]);
    expect(listProviderHosts({ model_providers: 'x' })).toEqual([]);
  });

  it('a config outside every agent-writable tree: its providers are allowed', async () => {
    const config = writeFile(path.join(tmp, 'home', '.codex', 'config.toml'), PROVIDERS);
    expect(await findProviderAllowances(facts({ path: config, explicit: false }, false), writable())).toEqual({
      allow: ['llm.corp.test', 'models.corp.test:8443'],
      messages: [
        'allowing llm.corp.test (model provider corp)',
        'not auto-allowing localhost (model provider local): it is an IP address or the host itself;' +
          ' for a service on the Docker host use --allow-host-port PORT',
        'allowing models.corp.test:8443 (model provider odd)',
      ],
    });
  });

  it('the copy in the Codex home (agent-writable) adds nothing; the trusted source still counts', async () => {
    const config = writeFile(
      path.join(tmp, 'home', '.codex', 'config.toml'),
      '[model_providers.corp]\nbase_url = "https://llm.corp.test/v1"\n',
    );
    writeFile(
      path.join(envDir, 'config.toml'),
      '[model_providers.corp]\nbase_url = "https://llm.corp.test/v1"\n[model_providers.evil]\nbase_url = "https://exfil.test"\n',
    );
    expect(await findProviderAllowances(facts({ path: config, explicit: false }, true), writable())).toEqual({
      allow: ['llm.corp.test'],
      messages: [
        'allowing llm.corp.test (model provider corp)',
        `not auto-allowing exfil.test (model provider evil): the config (${path.join(envDir, 'config.toml')})` +
          ' is writable by the agent; allow it with --allow exfil.test',
      ],
    });
  });

  it('a config inside the workdir (even an explicit --config) is never trusted', async () => {
    const config = writeFile(path.join(work, '.codex', 'config.toml'), '[model_providers.p]\nbase_url = "https://p.test"\n');
    for (const explicit of [true, false]) {
      expect(await findProviderAllowances(facts({ path: config, explicit }, false), writable())).toEqual({
        allow: [],
        messages: [
          `not auto-allowing p.test (model provider p): the config (${config}) is writable by the agent; allow it with --allow p.test`,
        ],
      });
    }
  });

  it('a symlink from outside into the workdir is judged by where it leads', async () => {
    const inside = writeFile(path.join(work, 'cfg.toml'), '[model_providers.p]\nbase_url = "https://p.test"\n');
    const link = path.join(tmp, 'link.toml');
    fs.symlinkSync(inside, link);
    expect((await findProviderAllowances(facts({ path: link, explicit: true }, false), writable())).allow).toEqual([]);
  });

  it('a malformed config the agent can write is reported, not fatal (the agent must not lock the user out)', async () => {
    const envCopy = writeFile(path.join(envDir, 'config.toml'), 'model = "m"\nbroken =\n');
    const result = await findProviderAllowances(facts(undefined, true), writable());
    expect(result.allow).toEqual([]);
    expect(result.messages).toEqual([
      expect.stringMatching(
        new RegExp(`^not checking model providers: ${envCopy.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: malformed TOML`),
      ),
    ]);
  });

  it('malformed TOML: one line naming the file and the line', async () => {
    const config = writeFile(path.join(tmp, 'bad.toml'), 'model = "m"\nbroken =\n');
    await expect(readCodexConfig(config, [])).rejects.toThrow(UsageError);
    await expect(readCodexConfig(config, [])).rejects.toThrow(
      `${config}:2: malformed TOML` +
        ' (Unexpected character, expecting string, number, datetime, boolean, inline array or inline table): fix that line',
    );
  });
});

describe('extra CA certificates', () => {
  const ctx = (env: Record<string, string>): HostContext => ({
    cwd: tmp,
    env,
    home: tmp,
    uid: 1,
    gid: 1,
    stdinIsTTY: false,
    stdoutIsTTY: false,
    pid: 1,
    hostname: 'h',
  });

  it('--ca-cert, then SANDBOX_CA_CERTS, then NODE_EXTRA_CA_CERTS; deduplicated by real path', async () => {
    const a = writeFile(path.join(tmp, 'a.pem'), PEM);
    const b = writeFile(path.join(tmp, 'b.crt'), PEM);
    const c = writeFile(path.join(tmp, 'c.pem'), PEM.trimEnd());
    const result = await findCaCertificates(['a.pem'], ctx({ SANDBOX_CA_CERTS: `${b}:${a},${c}`, NODE_EXTRA_CA_CERTS: b }), []);
    expect(result).toEqual({ files: [a, b, c], pem: `${PEM}${PEM}${PEM}`, warnings: [] });
  });

  it.each<[string[], Record<string, string>, string]>([
    [['missing.pem'], {}, '--ca-cert "missing.pem" does not exist (ENOENT): check the path'],
    [['notpem.txt'], {}, '--ca-cert "notpem.txt" is not a PEM certificate (no -----BEGIN CERTIFICATE----- line): give the CA in PEM form'],
    [[], { SANDBOX_CA_CERTS: 'missing.pem' }, 'SANDBOX_CA_CERTS "missing.pem" does not exist (ENOENT): check the path'],
    [['.'], {}, '--ca-cert "." is not a regular file: give a file'],
  ])('refuses %j %j', async (flags, env, message) => {
    writeFile(path.join(tmp, 'notpem.txt'), 'hello\n');
    await expect(findCaCertificates(flags, ctx(env), [])).rejects.toThrow(message);
  });

  it('an unusable NODE_EXTRA_CA_CERTS is only a warning', async () => {
    expect(await findCaCertificates([], ctx({ NODE_EXTRA_CA_CERTS: 'gone.pem' }), [])).toEqual({
      files: [],
      pem: '',
      warnings: ['ignoring NODE_EXTRA_CA_CERTS "gone.pem" does not exist (ENOENT): check the path'],
    });
  });

  it('splits SANDBOX_CA_CERTS on colons and commas (a path may hold a blank)', () => {
    expect(splitList(' a.pem:b.pem,, my ca.pem ', /[:,]/)).toEqual(['a.pem', 'b.pem', 'my ca.pem']);
    expect(splitList(undefined, /[:,]/)).toEqual([]);
  });
});
