import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { containersFor, docker, IMAGE, runLauncher, type LauncherResult } from './helpers/run-launcher.js';
import { createTestNetwork, TEST_LABEL, type TestNetwork } from './helpers/test-network.js';

/**
 * R187-R190: `build --from-devcontainer` on a real engine. The project's devcontainer.json
 * names a Dockerfile (`FROM ${BASE}` on the local base image, plus a marker file); the launcher
 * builds it as the base, checks the base, builds the sandbox on top and tags the project's
 * toolchain image without moving codex-sandbox:latest. A shell run in that image sees the
 * marker and the firewall still holds. A base without apt-get is refused in one line.
 * Everything this file creates is labelled or uniquely tagged and removed afterwards.
 */
const BASE = process.env.SANDBOX_BASE_IMAGE ?? 'local/node:bookworm';
const AGENT_UID = process.getuid?.() === 0 ? 4242 : (process.getuid?.() ?? 1000);
const NO_APT_IMAGE = `codex-sandbox-test/no-apt:${process.pid}`;
const MARKER = `toolchain marker ${process.pid}`;

let scratch: string;
let project: string;
let home: string;
let network: TestNetwork;
let build: LauncherResult;
const created: string[] = [];

const imageId = (image: string) =>
  spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', image], { encoding: 'utf8' }).stdout.trim();
const labelsOf = (image: string) =>
  JSON.parse(docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', image])) as Record<string, string>;

function writeDevcontainer(dir: string, config: object, files: Record<string, string> = {}): void {
  mkdirSync(path.join(dir, '.devcontainer'), { recursive: true });
  writeFileSync(path.join(dir, '.devcontainer', 'devcontainer.json'), `// the project's toolchain\n${JSON.stringify(config, null, 2)}\n`);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
}

beforeAll(
  () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-toolchain-'));
    project = path.join(scratch, 'project');
    home = path.join(scratch, 'home');
    mkdirSync(project);
    mkdirSync(home);
    writeDevcontainer(
      project,
      { build: { dockerfile: 'Dockerfile', context: '..', args: { BASE } } },
      { 'toolchain-marker.txt': `${MARKER}\n` },
    );
    writeFileSync(
      path.join(project, '.devcontainer', 'Dockerfile'),
      'ARG BASE\nFROM ${BASE}\nCOPY toolchain-marker.txt /opt/toolchain-marker\n',
    );
    if (process.getuid?.() === 0) chownSync(project, AGENT_UID, AGENT_UID);
    // Codex pinned to the version the global setup installed: the test needs no newer release.
    const codex = labelsOf(IMAGE)['codex-sandbox.agent.codex'] ?? 'latest';
    build = runLauncher(['build', '--from-devcontainer', project, '--codex-version', codex], {
      cwd: scratch,
      env: { HOME: home },
      timeoutMs: 20 * 60 * 1000,
    });
    for (const tag of build.stdout.trim().split('\n')) if (tag !== '') created.push(tag);
    const base = /building the devcontainer's base (codex-sandbox-base:[0-9a-f]{12})/.exec(build.stderr)?.[1];
    if (base !== undefined) created.push(base);
    const stable = /--image (codex-sandbox:toolchain-[0-9a-f]{8})/.exec(build.stderr)?.[1];
    if (stable !== undefined) created.push(stable);
    network = createTestNetwork();
  },
  25 * 60 * 1000,
);

afterAll(() => {
  network?.remove();
  for (const image of [...created, NO_APT_IMAGE]) spawnSync('docker', ['rmi', image], { encoding: 'utf8' });
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe('R187-R190 build --from-devcontainer', () => {
  test('builds the Dockerfile as the base, then the sandbox on it; tags the toolchain image, not latest', () => {
    expect({ status: build.status, stderr: build.status === 0 ? '' : build.stderr.slice(-2000) }).toEqual({ status: 0, stderr: '' });
    const [versioned] = created;
    expect(versioned).toMatch(/^codex-sandbox:[0-9.]+-node[0-9]+-toolchain-[0-9a-f]{8}$/);
    const stable = created.find((tag) => /^codex-sandbox:toolchain-[0-9a-f]{8}$/.test(tag)) ?? '';
    const base = created.find((tag) => tag.startsWith('codex-sandbox-base:')) ?? '';
    expect(imageId(stable)).toBe(imageId(versioned ?? ''));
    expect(labelsOf(stable)).toMatchObject({
      'codex-sandbox.base': base,
      'codex-sandbox.variant': stable.split(':')[1],
      'codex-sandbox.agent.codex': expect.stringMatching(/^[0-9]+\.[0-9]+\.[0-9]+/),
    });
    expect(labelsOf(base)).toMatchObject({ 'codex-sandbox.base-build': '1' });
    // latest is not this image (other test runs may rebuild latest meanwhile: compare with the toolchain image).
    expect(imageId(IMAGE)).not.toBe(imageId(stable));
    expect(labelsOf(IMAGE)['codex-sandbox.variant']).toBeUndefined();
  });

  test('a shell in the toolchain image sees the marker, and the firewall still holds', () => {
    const stable = created.find((tag) => /^codex-sandbox:toolchain-/.test(tag)) ?? 'missing';
    const script =
      'cat /opt/toolchain-marker; ' +
      'curl -sS -m 5 http://allowed.test/ || echo "allowed: failed"; ' +
      // By IP on port 80 the name check answers (a refusal page), so "reached" means the host's own reply.
      `case "$(curl -sS -m 5 http://${network.blockedIp}/ 2>&1)" in "ok blocked"*) echo "blocked: REACHED";; *) echo "blocked: refused";; esac; ` +
      'if getent hosts blocked.test >/dev/null; then echo "name: resolved"; else echo "name: refused"; fi';
    const run = runLauncher(
      ['shell', '--image', stable, '--work_dir', project, '--network', network.name, '--dns', network.dnsIp, '--', 'sh', '-c', script],
      { cwd: scratch, env: { HOME: home, OPENAI_ALLOWED_DOMAINS: 'allowed.test' }, timeoutMs: 180000 },
    );
    expect({ status: run.status, stdout: run.stdout }).toEqual({
      status: 0,
      stdout: `${MARKER}\nok allowed\nblocked: refused\nname: refused\n`,
    });
    expect(containersFor(project)).toEqual([]);
  }, 240000);
});

describe('R189 a base that cannot carry the sandbox', () => {
  test('a base without apt-get is refused in one line before any build; nothing is tagged', () => {
    docker(['build', '-q', '--label', TEST_LABEL, '-t', NO_APT_IMAGE, '-'], `FROM ${BASE}\nRUN rm -f /usr/bin/apt-get\n`);
    const other = path.join(scratch, 'no-apt');
    mkdirSync(other);
    writeDevcontainer(other, { image: NO_APT_IMAGE });
    const before = docker(['images', '-q', 'codex-sandbox']).split('\n').sort();
    const result = runLauncher(['build', '--from-devcontainer', other], { cwd: scratch, env: { HOME: home } });
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 2, stdout: '' });
    expect(result.stderr.trim().split('\n')).toEqual([
      `run-in-container: base image ${NO_APT_IMAGE} has no apt-get (Debian-like package manager): the sandbox needs one; ` +
        'use a Debian bookworm based image',
    ]);
    expect(docker(['images', '-q', 'codex-sandbox']).split('\n').sort()).toEqual(before);
  });
});
