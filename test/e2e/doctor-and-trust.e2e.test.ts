import { chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLauncher } from './helpers/run-launcher.js';
import { createTestNetwork, type TestNetwork } from './helpers/test-network.js';

/** R75, R76: project settings trusted by content hash, and `doctor` with and without an engine. */
const AGENT_UID = process.getuid?.() === 0 ? 4242 : (process.getuid?.() ?? 1000);

let network: TestNetwork;
let scratch: string;
let workdir: string;
let home: string;
let settings: string;

const launch = (args: string[], env: Record<string, string> = {}) => runLauncher(args, { cwd: workdir, env: { HOME: home, ...env } });
const curlAllowed = () =>
  launch([
    'shell',
    '--network',
    network.name,
    '--',
    'sh',
    '-c',
    'curl -sS -m 3 http://allowed.test/ 2>&1; curl -sS -m 3 http://blocked.test/ 2>&1; true',
  ]);

beforeAll(() => {
  network = createTestNetwork();
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-trust-'));
  workdir = path.join(scratch, 'project');
  home = path.join(scratch, 'home');
  mkdirSync(path.join(workdir, '.codex'), { recursive: true });
  mkdirSync(home);
  if (process.getuid?.() === 0) chownSync(workdir, AGENT_UID, AGENT_UID);
  settings = path.join(workdir, '.codex', 'sandbox.ini');
  writeFileSync(settings, '[network]\nallow = allowed.test\n');
}, 120000);

afterAll(() => {
  network?.remove();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe('project settings trusted by content hash', () => {
  test('untrusted: refused non-interactively (exit 2) after showing the policy; nothing started', () => {
    const result = curlAllowed();
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`warning: ${settings} is not trusted yet; the policy it sets:\n  + network allow: allowed.test\n`);
    expect(result.stderr.trim().split('\n').pop()).toBe(
      `run-in-container: ${settings} is not trusted: run \`run-in-container trust\` to approve`,
    );
  });

  test('after `trust`: the run applies it (allowed.test reachable, blocked.test still not)', () => {
    const trust = launch(['trust']);
    expect(trust.status).toBe(0);
    expect(trust.stdout).toBe(`${settings} sets:\n    network allow: allowed.test\n`);
    const store = path.join(home, '.config', 'codex-sandbox', 'trust.json');
    expect(statSync(store).mode & 0o777).toBe(0o600);
    const result = curlAllowed();
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('ok allowed');
    expect(result.stdout).toContain('Could not resolve host: blocked.test');
  });

  test('changed content: refused again, with the diff against the approved version', () => {
    writeFileSync(settings, '[network]\nallow = allowed.test blocked.test\n');
    const result = curlAllowed();
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      `warning: ${settings} has changed since you approved it; the policy it sets:\n` +
        '  - network allow: allowed.test\n  + network allow: allowed.test blocked.test\n',
    );
    expect(result.stdout).not.toContain('ok blocked');
  });

  test('`trust --revoke` forgets the approval', () => {
    expect(launch(['trust']).status).toBe(0);
    expect(curlAllowed().status).toBe(0);
    const revoke = launch(['trust', '--revoke']);
    expect(revoke.status).toBe(0);
    expect(revoke.stderr).toContain(`revoked trust in ${settings}`);
    expect(curlAllowed().status).toBe(2);
  });
});

describe('doctor', () => {
  test('with the engine: every essential check passes (exit 0), --json is an array of {check, ok, detail, fix}', () => {
    const result = launch(['doctor', '--json']);
    const checks = JSON.parse(result.stdout) as Array<{ check: string; ok: boolean; detail: string; fix: string }>;
    const byName = Object.fromEntries(checks.map((c) => [c.check, c]));
    expect(result.status).toBe(0);
    for (const name of ['docker CLI', 'docker engine', 'sandbox image', 'iptables/ipset in a container'])
      expect(byName[name]?.ok).toBe(true);
    expect(byName['sandbox image']?.detail).toMatch(/^codex-sandbox:latest, codex \d+\.\d+\.\d+/);
    expect(byName['docker engine']?.detail).toMatch(/^reachable, version \d+/);
    expect(byName.auth).toEqual({
      check: 'auth',
      ok: false,
      detail: 'no auth.json found',
      fix: expect.stringContaining('run-in-container login'),
    });
    expect(byName['project settings']?.detail).toContain(settings);
    expect(Object.keys(checks[0]!).sort()).toEqual(['check', 'detail', 'fix', 'ok']);
    // R127: each agent, its version in the image (the e2e image has all three) and its login.
    expect(byName['agent codex']?.detail).toMatch(/^Codex \d+\.\d+\.\d+ in codex-sandbox:latest$/);
    expect(byName['agent claude']?.detail).toMatch(/^Claude Code \d+\.\d+\.\d+ in codex-sandbox:latest$/);
    expect(byName['agent gemini']?.detail).toMatch(/^Gemini CLI \d+\.\d+\.\d+ in codex-sandbox:latest$/);
    expect(byName['login claude']).toEqual({
      check: 'login claude',
      ok: false,
      detail: 'no Claude Code login or API key found',
      fix: 'run `run-in-container login --agent claude`, or set ANTHROPIC_API_KEY',
    });
    expect(checks.map((c) => c.check).indexOf('agent codex')).toBeLessThan(checks.map((c) => c.check).indexOf('auth'));
  });

  test('--agent gemini: only that agent; a key in the environment is named, its value never shown', () => {
    const result = launch(['doctor', '--agent', 'gemini'], { GEMINI_API_KEY: 'gm-secret-key' });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^ok\s+login gemini\s+GEMINI_API_KEY from your environment$/m);
    expect(result.stdout).not.toContain('gm-secret-key');
    expect(result.stdout).not.toMatch(/agent codex|agent claude|^\S+\s+auth\s/m);
  });

  test('dead engine (DOCKER_HOST to a missing socket): under 5 s, exit 1, the engine line says how to start it', () => {
    const started = Date.now();
    const result = launch(['doctor'], { DOCKER_HOST: 'unix:///nonexistent.sock' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.status).toBe(1);
    const engine = result.stdout.split('\n').find((l) => l.includes('docker engine'));
    expect(engine).toMatch(
      /^FAIL\s+docker engine\s+not reachable .* — fix: start it \(e\.g\. sudo systemctl start docker\) or fix DOCKER_HOST$/,
    );
    expect(result.stdout).toMatch(/^ok\s+docker CLI /m);
  });

  test('no docker on PATH: exit 1, the CLI line says to install Docker', () => {
    const onlyNode = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-nodocker-'));
    try {
      const result = launch(['doctor'], { PATH: onlyNode });
      expect(result.status).toBe(1);
      expect(result.stdout).toMatch(/^FAIL\s+docker CLI\s+not found on PATH — fix: install Docker/m);
    } finally {
      rmSync(onlyNode, { recursive: true, force: true });
    }
  });
});
