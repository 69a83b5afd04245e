import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { containersFor, IMAGE, runLauncher } from './helpers/run-launcher.js';
import { MOCK_MODEL_CONFIG, startMockModel, type TestService } from './helpers/test-service.js';

/**
 * R50-R52: `run-in-container exec PROMPT` runs the real codex binary headless against
 * the local mock of the Responses API (test/e2e/mock-model/server.js as `model.test` on a
 * private network) and writes run.log, summary.md and exit.json; the final message is on
 * stdout and the exit code is the agent's. Item 5: `--track` + `diff`.
 */

const FILE = 'agent-made-this.txt'; // what the mock's tool call creates
const FINAL = 'done: file created'; // the mock's final message
const AGENT_UID = 4242;

let scratch: string;
let home: string;
let config: string;
let network: string;
let service: TestService | undefined;

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-exec-'));
  home = path.join(scratch, 'home');
  mkdirSync(home);
  config = path.join(scratch, 'config.toml');
  writeFileSync(config, MOCK_MODEL_CONFIG);
  service = startMockModel('cs-e2e-exec');
  network = service.network;
});

afterAll(() => {
  service?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

function newWorkdir(name: string): string {
  const workdir = path.join(scratch, name);
  mkdirSync(workdir);
  writeFileSync(path.join(workdir, 'existing.txt'), 'one\ntwo\n');
  if (process.getuid?.() === 0) {
    chownSync(workdir, AGENT_UID, AGENT_UID);
    chownSync(path.join(workdir, 'existing.txt'), AGENT_UID, AGENT_UID);
  }
  return workdir;
}

function launch(args: string[]) {
  return runLauncher(args, { cwd: scratch, env: { HOME: home, OPENAI_ALLOWED_DOMAINS: 'model.test' }, timeoutMs: 90000 });
}

function execArgs(workdir: string, extra: string[] = []): string[] {
  return ['exec', '--work_dir', workdir, '--image', IMAGE, '--network', network, '--config', config, ...extra];
}

function onlyReportDir(workdir: string): string {
  const runs = path.join(workdir, '.codex', 'runs');
  const entries = readdirSync(runs);
  expect(entries).toHaveLength(1);
  expect(entries[0]).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
  return path.join(runs, entries[0] ?? '');
}

test('exec writes run.log, summary.md and exit.json; the final message is on stdout; exit code 0', () => {
  const workdir = newWorkdir('ok');
  const run = launch([...execArgs(workdir), 'create the file']);

  expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
  expect(run.stdout).toBe(`${FINAL}\n`);
  expect(existsSync(path.join(workdir, FILE))).toBe(true);

  const report = onlyReportDir(workdir);
  expect(readdirSync(report).sort()).toEqual(['exit.json', 'run.log', 'summary.md']);
  const runLog = readFileSync(path.join(report, 'run.log'), 'utf8');
  const logLines = runLog.trimEnd().split('\n');
  expect(logLines.length).toBeGreaterThan(3);
  for (const line of logLines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (stdout|stderr) /);
  expect(runLog).toMatch(new RegExp(`Z stdout ${FINAL}`));
  expect(runLog).toContain('sandbox: danger-full-access');

  const summary = readFileSync(path.join(report, 'summary.md'), 'utf8');
  expect(summary).toContain('create the file');
  expect(summary).toContain(`\`\`\`text\n${FINAL}\n\`\`\``);
  expect(summary).toContain(` ${FILE} | added`);
  expect(summary).not.toContain('existing.txt');
  expect(summary).toContain('- exit code: 0');

  const exit = JSON.parse(readFileSync(path.join(report, 'exit.json'), 'utf8')) as Record<string, unknown>;
  expect(exit).toEqual(expect.objectContaining({ exitCode: 0, image: IMAGE, workdir, repo: null, changedFiles: 1 }));
  expect(exit.codexVersion).toMatch(/^\d+\.\d+\.\d+/);
  // Filled in by the egress record (R92: a count), null only when it is unavailable.
  expect(exit.blockedEgress === null || typeof exit.blockedEgress === 'number').toBe(true);
  expect(Date.parse(String(exit.endedAt))).toBeGreaterThanOrEqual(Date.parse(String(exit.startedAt)));
  expect(path.basename(report)).toContain(String(exit.runId));
  expect(containersFor(workdir)).toEqual([]);
});

test("exec passes the agent's failing exit code through and still writes the report (--out)", () => {
  const workdir = newWorkdir('fails');
  const out = path.join(scratch, 'fails-report');
  // A codex exec flag that does not exist: codex itself exits 2 before any model call.
  const run = launch([...execArgs(workdir, ['--out', out]), 'anything', '--', '--no-such-codex-flag']);

  expect(run.status).toBe(2);
  expect(run.stdout).toBe('');
  expect(readdirSync(out).sort()).toEqual(['exit.json', 'run.log', 'summary.md']);
  expect(readFileSync(path.join(out, 'run.log'), 'utf8')).toMatch(/Z stderr .*--no-such-codex-flag/);
  expect(readFileSync(path.join(out, 'summary.md'), 'utf8')).toContain('(the agent wrote no final message; see run.log)');
  expect(JSON.parse(readFileSync(path.join(out, 'exit.json'), 'utf8'))).toEqual(expect.objectContaining({ exitCode: 2, changedFiles: 0 }));
  expect(existsSync(path.join(workdir, '.codex', 'runs'))).toBe(false);
});

test('exec --out refuses a directory that is not empty, before any container starts', () => {
  const workdir = newWorkdir('busy-out');
  const out = path.join(scratch, 'busy');
  mkdirSync(out);
  writeFileSync(path.join(out, 'keep.txt'), 'x');
  const run = launch([...execArgs(workdir, ['--out', out]), 'anything']);
  expect(run.status).toBe(2);
  expect(run.stderr.trim().split('\n').pop()).toBe(
    `run-in-container: --out ${JSON.stringify(out)} is not empty: give a new or empty directory`,
  );
  expect(readdirSync(out)).toEqual(['keep.txt']);
  expect(existsSync(path.join(workdir, '.codex'))).toBe(false);
});

test('--track records the workdir before and after; diff shows exactly what the agent changed (not a git repo)', () => {
  const workdir = newWorkdir('tracked');
  const run = launch([...execArgs(workdir, ['--track']), 'create the file']);
  expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
  const runId = /tracking run ([0-9a-f]{8})/.exec(run.stderr)?.[1];
  expect(runId).toMatch(/^[0-9a-f]{8}$/);
  const summary = readFileSync(path.join(onlyReportDir(workdir), 'summary.md'), 'utf8');
  expect(summary).toContain(`${FILE} | added +1 -0`);

  const stat = launch(['diff', '--work_dir', workdir, '--stat']);
  expect(stat.status).toBe(0);
  expect(stat.stdout).toContain(`${FILE} | 1 +`);
  expect(stat.stdout).toContain('1 file changed, 1 insertion(+)');

  const patch = launch(['diff', String(runId), '--work_dir', workdir]);
  expect(patch.status).toBe(0);
  expect(patch.stdout).toContain(`+++ b/${FILE}`);
  expect(patch.stdout).toContain('+made by the agent');
  expect(patch.stdout).not.toContain('existing.txt');

  // The tracking repository is outside the workdir; the workdir got no .git of its own.
  expect(existsSync(path.join(workdir, '.git'))).toBe(false);
  expect(readdirSync(path.join(home, '.local', 'state', 'codex-sandbox', 'track')).some((name) => name.endsWith('.git'))).toBe(true);

  const unknown = launch(['diff', '0badc0de', '--work_dir', workdir]);
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toContain('no tracked run 0badc0de for this workdir');
});
