import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createPodmanLab,
  loadImage,
  podman,
  rootfulMode,
  runLauncherAs,
  startPodmanMockModel,
  type PodmanLab,
} from './helpers/podman-lab.js';
import { LOGGING_SERVER, STATIC_SERVER } from './helpers/test-hosts.js';

/**
 * R180-R186 for real: the manifest `exec --emit` prints runs under `podman kube play` (the
 * Job's template as a Pod, `--emit pod`). The pod clones the repository from the lab's git
 * host, the real Codex works against the mock model, whose tool call also tries an allowed
 * and an unlisted lab host: the lab hosts' logs are the verdict. The report lands on the
 * pod's `report` volume; the credential comes from a Secret the test creates (the agent sees
 * only its placeholder).
 */

const mode = rootfulMode();
const SECRET_VALUE = `sk-kube-${randomBytes(8).toString('hex')}`;
const PROBES =
  'curl -sS -m 5 http://allowed.test/from-pod; curl -sS -m 5 http://other.test/from-pod || echo refused-other; env | grep ^MOCK_TOKEN=';

let scratch: string;
let lab: PodmanLab;
let allowed: string;
let other: string;
let secret: string;
let podName: string | undefined;

beforeAll(() => {
  loadImage(mode);
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-kube-'));
  const git = (cwd: string, args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, env: { PATH: process.env.PATH ?? '' } });
  const source = path.join(scratch, 'source');
  mkdirSync(source);
  git(source, ['init', '-q', '-b', 'main']);
  writeFileSync(path.join(source, 'README.md'), 'the project\n');
  git(source, ['add', 'README.md']);
  git(source, ['commit', '-q', '-m', 'one']);
  const served = path.join(scratch, 'served');
  mkdirSync(served);
  git(scratch, ['clone', '-q', '--bare', source, path.join(served, 'project.git')]);
  git(path.join(served, 'project.git'), ['update-server-info']);

  lab = createPodmanLab(mode, 'cs-e2e-kube');
  lab.startNode('git', ['git.test'], STATIC_SERVER, ['--mount', `type=bind,source=${served},target=/srv,readonly`]);
  allowed = lab.startNode('allowed', ['allowed.test'], LOGGING_SERVER);
  other = lab.startNode('other', ['other.test'], LOGGING_SERVER);
  startPodmanMockModel(mode, lab, { MOCK_SCRIPT_PREFIX: PROBES });
  // Podman 4's secretKeyRef reads a secret holding a JSON map of base64 values.
  secret = `csb-e2e-cred-${randomBytes(3).toString('hex')}`;
  const file = path.join(scratch, 'secret.json');
  const base64 = (value: string) => Buffer.from(value).toString('base64');
  writeFileSync(file, JSON.stringify({ OPENAI_API_KEY: base64('sk-unused'), MOCK_TOKEN: base64(SECRET_VALUE) }));
  podman(mode, ['secret', 'create', secret, file]);
}, 600000);

afterAll(() => {
  if (podName !== undefined) {
    spawnSync('podman', ['pod', 'rm', '-f', podName]);
    const volumes = spawnSync('podman', ['volume', 'ls', '--format', '{{.Name}}'], { encoding: 'utf8' }).stdout.split('\n');
    for (const volume of volumes.filter((name) => name.startsWith(`${podName}-`))) spawnSync('podman', ['volume', 'rm', '-f', volume]);
  }
  if (secret !== undefined) spawnSync('podman', ['secret', 'rm', secret]);
  lab?.remove();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

const MOCK_PROVIDER = [
  '-m',
  'mock-model',
  '-c',
  'model_provider=mock',
  '-c',
  'model_providers.mock.name=mock',
  '-c',
  'model_providers.mock.base_url=http://model.test/v1',
  '-c',
  'model_providers.mock.wire_api=responses',
  // The mock's key: a credential of model.test (--secret MOCK_TOKEN=model.test), injected by the proxy.
  '-c',
  'model_providers.mock.env_key=MOCK_TOKEN',
];

test('the emitted pod runs under podman kube play: clone, agent, firewall, report, credential outside', () => {
  const cwd = path.join(scratch, 'launcher-cwd');
  mkdirSync(cwd);
  const emit = runLauncherAs(
    mode,
    [
      'exec',
      '--emit',
      'pod',
      '--kube-secret',
      secret,
      '--repo',
      'http://git.test/project.git@main',
      '--secret',
      'MOCK_TOKEN=model.test',
    ].concat(['--allow', 'git.test', '--allow', 'model.test', '--allow', 'allowed.test', 'create the file', '--', ...MOCK_PROVIDER]),
    { cwd, env: { MOCK_TOKEN: 'not-used-by-emit' } },
  );
  expect({ status: emit.status, stderr: emit.status === 0 ? '' : emit.stderr }).toEqual({ status: 0, stderr: '' });
  // Nothing of the host's secret value in the manifest, and nothing written on the host.
  expect(emit.stdout).not.toContain('not-used-by-emit');
  expect(existsSync(path.join(cwd, '.codex'))).toBe(false);
  podName = /^ {2}name: "([a-z0-9-]+)"$/m.exec(emit.stdout)?.[1];
  expect(podName).toMatch(/^codex-workspace-[0-9a-f]{8}-[0-9a-f]{8}$/);
  const manifest = path.join(scratch, 'pod.yaml');
  writeFileSync(manifest, emit.stdout);

  podman(mode, ['kube', 'play', '--network', lab.name, manifest]);
  const container = `${podName}-sandbox`;
  const exit = podman(mode, ['wait', container]);
  const logs = spawnSync('podman', ['logs', container], { encoding: 'utf8' });
  const output = `${logs.stdout}${logs.stderr}`;
  expect({ exit, tail: exit === '0' ? '' : output.slice(-2000) }).toEqual({ exit: '0', tail: '' });
  expect(output).toContain('done: file created');
  expect(output).toContain('refused-other');

  // Lab-side evidence: the allowed host got the request, the unlisted one nothing.
  const got = (name: string) =>
    lab
      .logs(name)
      .split('\n')
      .filter((line) => line.startsWith('GOT '));
  expect(got(allowed)).toEqual(['GOT allowed.test/from-pod']);
  expect(got(other)).toEqual([]);
  // The agent saw the placeholder, never the Secret's value; the model host got the value.
  expect(output).toMatch(/^MOCK_TOKEN=[A-Za-z0-9]{48}$/m);
  expect(output).not.toContain(SECRET_VALUE);
  const sent = lab
    .logs(`${lab.name}-model`)
    .split('\n')
    .filter((line) => line.startsWith('MOCK-REQUEST '))
    .map((line) => (JSON.parse(line.slice('MOCK-REQUEST '.length)) as { credentialHash: string | null }).credentialHash);
  expect(sent.length).toBeGreaterThan(0);
  expect(new Set(sent)).toEqual(new Set([createHash('sha256').update(SECRET_VALUE).digest('hex').slice(0, 16)]));

  // The report: exit.json and the final message on the pod's report volume.
  const mountpoint = podman(mode, ['volume', 'inspect', '--format', '{{.Mountpoint}}', `${podName}-report`]);
  const report = JSON.parse(readFileSync(path.join(mountpoint, 'exit.json'), 'utf8')) as { v: number; exitCode: number };
  expect(report).toMatchObject({ v: 1, exitCode: 0 });
  expect(readFileSync(path.join(mountpoint, 'last-message.md'), 'utf8').trim()).toBe('done: file created');
  expect(readFileSync(path.join(mountpoint, 'egress.log'), 'utf8')).toContain('other.test');
}, 600000);
