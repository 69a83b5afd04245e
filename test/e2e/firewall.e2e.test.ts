import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { containersFor, REPO_ROOT, runLauncher, type LauncherResult } from './helpers/run-launcher.js';
import { createTestNetwork, type TestNetwork } from './helpers/test-network.js';

/**
 * The sandbox on a real engine, driven through `run-in-container shell`: one run of
 * fixtures/sandbox-checks.sh inside the sandbox (as the agent) proves the firewall, DNS
 * filter and privilege drop from the inside; the rest is checked from the host.
 */
const CHECKS_SCRIPT = path.join(REPO_ROOT, 'test/e2e/fixtures/sandbox-checks.sh');
const CHECK_NAMES = [...readFileSync(CHECKS_SCRIPT, 'utf8').matchAll(/^(?:check|refused|fast_fail)\s+"([^"]+)"/gm)].map(
  (match) => match[1] as string,
);
// When the launcher runs as root, the agent takes the workdir owner's uid: give it one.
const AGENT_UID = process.getuid?.() === 0 ? 4242 : (process.getuid?.() ?? 1000);

let network: TestNetwork;
let scratch: string;
let workdir: string;
let run: LauncherResult;

beforeAll(() => {
  network = createTestNetwork();
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-fw-'));
  workdir = path.join(scratch, 'project');
  const configDir = path.join(scratch, 'codex-config');
  const home = path.join(scratch, 'home');
  for (const dir of [workdir, configDir, home]) mkdirSync(dir);
  writeFileSync(path.join(configDir, 'auth.json'), '{"OPENAI_API_KEY":"test"}\n', { mode: 0o644 });
  writeFileSync(path.join(configDir, 'config.toml'), 'model = "test"\n');
  const initScript = path.join(scratch, 'init.sh');
  writeFileSync(
    initScript,
    '#!/bin/bash\nset -e\nprintf "%s\\n%s\\n%s\\n" "$PWD" "$SANDBOX_ENV_DIR" "$(id -u)" > "$SANDBOX_ENV_DIR/init.out"\n',
  );
  if (process.getuid?.() === 0) chownSync(workdir, AGENT_UID, AGENT_UID);
  run = runLauncher(
    [
      'shell',
      '--work_dir',
      workdir,
      '--network',
      network.name,
      '--dns',
      network.dnsIp,
      '--init_script',
      initScript,
      '--',
      'env',
      `ALLOWED_IP=${network.allowedIp}`,
      `BLOCKED_IP=${network.blockedIp}`,
      `DNS_IP=${network.dnsIp}`,
      `GATEWAY=${network.gateway}`,
      'bash',
      '-s',
    ],
    {
      cwd: scratch,
      env: { HOME: home, CODEX_CONFIG_DIR: configDir, OPENAI_ALLOWED_DOMAINS: 'allowed.test logged.test' },
      input: readFileSync(CHECKS_SCRIPT, 'utf8'),
    },
  );
}, 300000);

afterAll(() => {
  network?.remove();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe('inside the sandbox, as the agent', () => {
  test('the check script ran to the end', () => {
    expect(CHECK_NAMES.length).toBeGreaterThan(25);
    const reported = run.stdout.split('\n').filter((line) => /^(PASS|FAIL) /.test(line));
    expect({ reported: reported.length, stderr: run.stderr }).toEqual({ reported: CHECK_NAMES.length, stderr: expect.any(String) });
  });

  test.each(CHECK_NAMES)('%s', (name) => {
    const line = run.stdout.split('\n').find((entry) => entry.startsWith(`PASS ${name}`) || entry.startsWith(`FAIL ${name}:`));
    expect(line ?? `missing: ${name}\n${run.stderr}`).toMatch(/^PASS /);
  });

  test('the command exit code comes back (0 when every check passed)', () => {
    expect(run.status).toBe(0);
  });
});

describe('seen from the host', () => {
  test('non-allowlisted names never reach the upstream DNS server; allowlisted ones do', () => {
    const log = network.dnsLog();
    expect(log).toMatch(/query\[A+\] logged\.test/);
    const leakProbes = [...readFileSync(CHECKS_SCRIPT, 'utf8').matchAll(/\b(leak-[a-z-]+\.test)\b/g)].map((m) => m[1]);
    expect(leakProbes.length).toBeGreaterThanOrEqual(5);
    for (const leaked of ['sub.allowed.test', 'sub.logged.test', 'blocked.test', ...leakProbes]) {
      expect(log).not.toContain(leaked);
    }
  });

  test('the init hook ran as the agent in the workdir with SANDBOX_ENV_DIR', () => {
    const envDir = path.join(workdir, '.codex', '.environment');
    const [cwd, envVar, uid] = readFileSync(path.join(envDir, 'init.out'), 'utf8').trim().split('\n');
    expect({ cwd, envVar, uid }).toEqual({ cwd: `/app${workdir}`, envVar: `/app${envDir}`, uid: String(AGENT_UID) });
  });

  test('a file the agent created in the workdir belongs to the host user', () => {
    expect(statSync(path.join(workdir, 'created-by-agent')).uid).toBe(AGENT_UID);
  });

  test('auth.json was mounted, never copied', () => {
    expect(existsSync(path.join(workdir, '.codex', '.environment', 'config.toml'))).toBe(true);
    const stub = path.join(workdir, '.codex', '.environment', 'auth.json');
    // Docker leaves an empty mount point behind; the credentials themselves never land here.
    expect(existsSync(stub) ? statSync(stub).size : 0).toBe(0);
  });

  test('the container is gone after exit', () => {
    expect(containersFor(workdir)).toEqual([]);
  });
});
