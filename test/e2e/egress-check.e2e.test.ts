import { chownSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLauncher, type LauncherResult } from './helpers/run-launcher.js';
import { createLabNetwork, LOGGING_SERVER, waitForPort, type LabNetwork } from './helpers/test-hosts.js';

/**
 * `egress check` (R169) agrees with what the run then does, for every source of an allowance
 * and for a denied name: each name is checked first, then one run with the same flags,
 * settings and environment tries them all; the lab host's log is the verdict.
 */
const AGENT_UID = process.getuid?.() === 0 ? 4242 : (process.getuid?.() ?? 1000);
// The names, and where their allowance comes from. All are aliases of one lab host.
const NAMES: Record<string, string> = {
  'api.openai.com': "Codex's built-in hosts",
  'pypi.org': 'the preset @pypi (--allow)',
  'flag.test': '--allow',
  'settings.test': 'the project settings file',
  'env.test': 'OPENAI_ALLOWED_DOMAINS',
  'provider.test': 'config.toml model_providers',
  'denied.test': 'allowed by --allow, denied by the settings file',
  'none.test': 'nothing',
};

let scratch: string;
let workdir: string;
let home: string;
let lab: LabNetwork;
let web: string;

beforeAll(() => {
  scratch = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-check-')));
  workdir = path.join(scratch, 'project');
  home = path.join(scratch, 'home');
  for (const dir of [workdir, home, path.join(home, '.codex'), path.join(workdir, '.codex')]) mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(workdir, '.codex', 'sandbox.ini'), '[network]\nallow = settings.test\ndeny = denied.test\n');
  writeFileSync(
    path.join(home, '.codex', 'config.toml'),
    'model_provider = "lab"\n[model_providers.lab]\nname = "lab"\nbase_url = "http://provider.test/v1"\n',
  );
  if (process.getuid?.() === 0) chownSync(workdir, AGENT_UID, AGENT_UID);
  lab = createLabNetwork('cs-e2e-check');
  web = lab.startNode('web', Object.keys(NAMES), LOGGING_SERVER);
  waitForPort(web, 80);
  // The settings file is the user's: approved as a user would approve it.
  expect(launch(['trust']).status).toBe(0);
}, 120000);

afterAll(() => {
  lab?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

const FLAGS = ['--allow', '@pypi', '--allow', 'flag.test', '--allow', 'denied.test'];
const launch = (args: string[]): LauncherResult =>
  runLauncher(args, { cwd: workdir, env: { HOME: home, OPENAI_ALLOWED_DOMAINS: 'env.test' } });

interface Verdict {
  v: number;
  host: string;
  port: number;
  allowed: boolean;
  source?: string;
  reason?: string;
}

describe('R169 egress check agrees with the run', () => {
  it('for every source of an allowance and for a denied name', () => {
    const checked = new Map<string, Verdict>();
    for (const name of Object.keys(NAMES)) {
      const result = launch(['egress', 'check', name, ...FLAGS, '--json']);
      const verdict = JSON.parse(result.stdout) as Verdict;
      expect({ name, exit: result.status }).toEqual({ name, exit: verdict.allowed ? 0 : 1 });
      checked.set(name, verdict);
    }
    // What the check says, by name (the sources are in its answer).
    expect(Object.fromEntries([...checked].map(([name, v]) => [name, v.allowed]))).toEqual({
      'api.openai.com': true,
      'pypi.org': true,
      'flag.test': true,
      'settings.test': true,
      'env.test': true,
      'provider.test': true,
      'denied.test': false,
      'none.test': false,
    });
    expect(checked.get('denied.test')?.reason).toBe('denied');
    // Then the run: one request to each name; the lab host's log says which got through.
    const script = Object.keys(NAMES)
      .map((name) => `curl -fsS -m 5 http://${name}/check >/dev/null 2>&1 || true`)
      .join('\n');
    const run = launch(['shell', '--network', lab.name, ...FLAGS, '--', 'bash', '-c', script]);
    expect(run.status).toBe(0);
    const reached = new Set(
      lab
        .logs(web)
        .split('\n')
        .filter((line) => line.startsWith('GOT '))
        .map((line) => line.slice(4).split('/')[0]),
    );
    for (const [name, verdict] of checked) expect({ name, reached: reached.has(name) }).toEqual({ name, reached: verdict.allowed });
  }, 180000);
});
