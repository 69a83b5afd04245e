import { chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createPodmanLab,
  loadImage,
  podman,
  prepareRootlessMode,
  rootfulMode,
  runLauncherAs,
  startPodmanMockModel,
  waitForPodmanPort,
  type PodmanLab,
  type PodmanMode,
} from './helpers/podman-lab.js';
import { IMAGE } from './helpers/run-launcher.js';
import { LOGGING_SERVER } from './helpers/test-hosts.js';
import { MOCK_MODEL_CONFIG } from './helpers/test-service.js';

/**
 * The Podman lane (R173-R177): the firewall, the name check, ownership, sessions and `exec`
 * with `--engine podman`, rootful (as root) and rootless (as a user this suite creates).
 * Judged by what the lab hosts received. Podman must be installed (CI's podman set-up does
 * it): without it this suite fails, it does not skip.
 */

const AGENT_UID = 1000; // rootful: the owner of the workdir, as for docker
const FINAL = 'done: file created'; // the mock model's final message

const MODES: Array<[string, () => PodmanMode]> = [
  ['rootful', rootfulMode],
  ['rootless', prepareRootlessMode],
];

describe.each(MODES)('podman %s', (kind, makeMode) => {
  let mode: PodmanMode;
  let scratch: string;
  let lab: PodmanLab;
  let allowed: string;
  let other: string;
  let otherIp: string;

  beforeAll(() => {
    mode = makeMode();
    loadImage(mode);
    scratch = mkdtempSync(path.join(os.tmpdir(), `cs-e2e-podman-${kind}-`));
    chownSync(scratch, mode.uid, mode.gid);
    lab = createPodmanLab(mode, `cs-e2e-pod-${kind}`);
    allowed = lab.startNode('allowed', ['allowed.test'], LOGGING_SERVER);
    other = lab.startNode('other', ['other.test'], LOGGING_SERVER);
    startPodmanMockModel(mode, lab);
    waitForPodmanPort(mode, allowed, 80);
    waitForPodmanPort(mode, other, 80);
    otherIp = podman(mode, ['inspect', '-f', `{{(index .NetworkSettings.Networks "${lab.name}").IPAddress}}`, other]);
  }, 600000);

  afterAll(() => {
    lab?.remove();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  /** A workdir owned as a real user's would be: the rootless user's own, or uid 1000 under root. */
  const newWorkdir = (name: string) => {
    const dir = path.join(scratch, name);
    mkdirSync(dir);
    const owner = mode.kind === 'rootless' ? mode.uid : AGENT_UID;
    chownSync(dir, owner, owner);
    return dir;
  };
  const launch = (args: string[], cwd: string, env: Record<string, string> = {}) =>
    runLauncherAs(mode, args, { cwd, env, timeoutMs: 180000 });
  const served = (container: string) =>
    lab
      .logs(container)
      .split('\n')
      .filter((line) => line.startsWith('GOT '));

  test('the firewall and the name check hold: only the allowed name is reached', () => {
    const workdir = newWorkdir('firewall');
    const script = [
      'curl -fsS -m 5 http://allowed.test/by-name',
      'curl -fsS -m 5 http://other.test/unlisted || echo refused-unlisted',
      `curl -fsS -m 5 -H 'Host: allowed.test' http://${otherIp}/by-address || echo refused-address`,
      `curl -fsS -m 5 --resolve allowed.test:80:${otherIp} http://allowed.test/spoofed || echo refused-spoofed`,
      'id -u',
    ].join('; ');
    const run = launch(
      ['shell', '--work_dir', workdir, '--network', lab.name, '--allow', 'allowed.test', '--', 'bash', '-c', script],
      workdir,
    );
    expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
    expect({ stdout: run.stdout, stderr: run.stderr }).toEqual({ stdout: expect.stringContaining('ok\n'), stderr: expect.any(String) });
    for (const word of ['refused-unlisted', 'refused-address', 'refused-spoofed']) expect(run.stdout).toContain(word);
    expect(served(allowed)).toEqual(['GOT allowed.test/by-name']);
    expect(served(other)).toEqual([]);
    // The agent runs as the workdir's owner, never root.
    expect(run.stdout.trim().split('\n').pop()).toBe(String(mode.kind === 'rootless' ? mode.uid : AGENT_UID));
  }, 240000);

  test("what the agent writes belongs to the workdir's owner on the host", () => {
    const workdir = newWorkdir('owner');
    const run = launch(['shell', '--work_dir', workdir, '--', 'bash', '-c', 'mkdir made && echo x > made/by-agent'], workdir);
    expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
    const owner = mode.kind === 'rootless' ? mode.uid : AGENT_UID;
    for (const file of ['made', 'made/by-agent']) {
      const stat = statSync(path.join(workdir, file));
      expect({ file, uid: stat.uid, gid: stat.gid }).toEqual({ file, uid: owner, gid: owner });
    }
  }, 240000);

  test('a session: created kept, listed, re-entered with its firewall, stopped and destroyed', () => {
    const workdir = newWorkdir('session');
    const name = `pod-${kind}`;
    const create = launch(
      ['shell', '--work_dir', workdir, '--name', name, '--keep', '--network', lab.name, '--allow', 'allowed.test', '--', 'true'],
      workdir,
    );
    expect({ status: create.status, stderr: create.status === 0 ? '' : create.stderr }).toEqual({ status: 0, stderr: '' });
    try {
      const list = launch(['list', '--format', 'json'], workdir);
      expect(list.status).toBe(0);
      const sessions = JSON.parse(list.stdout) as Array<{ name?: string; status?: string; workdir?: string }>;
      expect(sessions.filter((s) => s.name === name).map((s) => [s.status, s.workdir])).toEqual([['running', workdir]]);
      const enter = launch(
        [
          'shell',
          '--work_dir',
          workdir,
          '--name',
          name,
          '--',
          'bash',
          '-c',
          'curl -fsS -m 5 http://allowed.test/session; curl -fsS -m 5 http://other.test/session || echo refused',
        ],
        workdir,
      );
      expect(enter.status).toBe(0);
      expect(enter.stdout).toContain('refused');
      expect(served(allowed)).toContain('GOT allowed.test/session');
      expect(served(other)).toEqual([]);
      expect(launch(['stop', name], workdir).status).toBe(0);
      const stopped = JSON.parse(launch(['list', '--all', '--format', 'json'], workdir).stdout) as Array<{
        name?: string;
        status?: string;
      }>;
      expect(stopped.filter((s) => s.name === name).map((s) => s.status)).toEqual(['exited']);
    } finally {
      const destroy = launch(['destroy', name, '--force'], workdir);
      expect({ status: destroy.status, stderr: destroy.status === 0 ? '' : destroy.stderr }).toEqual({ status: 0, stderr: '' });
    }
    expect(podman(mode, ['ps', '-a', '--filter', `label=codex-sandbox.session=${name}`, '--format', '{{.Names}}'])).toBe('');
  }, 300000);

  test('exec runs the real Codex against the mock model and writes its report', () => {
    const workdir = newWorkdir('exec');
    const config = path.join(scratch, 'config.toml');
    writeFileSync(config, MOCK_MODEL_CONFIG);
    chownSync(config, mode.uid, mode.gid);
    const home = path.join(scratch, 'exec-home');
    if (!existsSync(home)) {
      mkdirSync(home);
      chownSync(home, mode.uid, mode.gid);
    }
    const run = launch(
      ['exec', '--work_dir', workdir, '--image', IMAGE, '--network', lab.name, '--config', config, 'create the file'],
      workdir,
      { HOME: mode.kind === 'rootless' ? mode.home : home, OPENAI_ALLOWED_DOMAINS: 'model.test' },
    );
    expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout).toBe(`${FINAL}\n`);
    const made = statSync(path.join(workdir, 'agent-made-this.txt'));
    expect(made.uid).toBe(mode.kind === 'rootless' ? mode.uid : AGENT_UID);
    const runs = readdirSync(path.join(workdir, '.codex', 'runs'));
    expect(runs).toHaveLength(1);
    expect(readdirSync(path.join(workdir, '.codex', 'runs', runs[0] ?? '')).sort()).toEqual(['exit.json', 'run.log', 'summary.md']);
  }, 300000);

  test('what Podman lacks is refused in one line before anything is created (R176)', () => {
    const workdir = newWorkdir('refused');
    const run = launch(['shell', '--work_dir', workdir, '--allow-host-port', '8080', '--', 'true'], workdir);
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split('\n').pop()).toMatch(
      /^run-in-container: --allow-host-port and a proxy on the host's loopback need Docker's host-gateway/,
    );
    expect(readdirSync(workdir)).toEqual([]);
  }, 60000);
});
