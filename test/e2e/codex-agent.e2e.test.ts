import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { containersFor, dockerLogs, IMAGE, runLauncher } from './helpers/run-launcher.js';
import { MOCK_MODEL_CONFIG, startMockModel, type TestService } from './helpers/test-service.js';

/**
 * The real codex binary (R33, R50), run by `run-in-container` and driven by a local mock of
 * the OpenAI Responses API (test/e2e/mock-model/server.js, reached as `model.test` on a
 * private test network), runs the shell command the "model" asks for and so creates a file
 * in the workdir. That only works because the entrypoint starts codex with its inner
 * (bubblewrap) sandbox off; the second test turns it back on and shows the command failing.
 */

const FILE = 'agent-made-this.txt';
const CONTENT = 'made by the agent\n'; // what the mock's tool call writes
const FINAL = 'done: file created'; // the mock's last message when the tool output says so
const PROMPT = 'create the file';
const AGENT_UID = 4242; // workdir owner when the tests run as root: the agent takes it

interface MockRequest {
  method: string;
  url: string;
  body: { input?: Array<{ type?: string; call_id?: string; output?: unknown }>; tools?: Array<{ name?: string }> } | null;
}

let scratch: string;
let home: string;
let config: string;
let network: string;
let mock: string;
let service: TestService | undefined;

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-agent-'));
  home = path.join(scratch, 'home');
  mkdirSync(home);
  config = path.join(scratch, 'config.toml');
  writeFileSync(config, MOCK_MODEL_CONFIG);

  service = startMockModel('cs-e2e-agent');
  network = service.network;
  mock = service.container;
});

afterAll(() => {
  service?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

/** A fresh workdir (owned by AGENT_UID when we are root, as a CI checkout would be by its user). */
function newWorkdir(name: string): string {
  const workdir = path.join(scratch, name);
  mkdirSync(workdir);
  if (process.getuid?.() === 0) chownSync(workdir, AGENT_UID, AGENT_UID);
  return workdir;
}

/** Runs `run-in-container … -- CODEX_ARGS` against the mock; returns the result and what the mock saw. */
function runAgent(workdir: string, codexArgs: string[]) {
  const logStart = dockerLogs(mock).length;
  const result = runLauncher(['--work_dir', workdir, '--image', IMAGE, '--network', network, '--config', config, '--', ...codexArgs], {
    cwd: scratch,
    env: { HOME: home, OPENAI_ALLOWED_DOMAINS: 'model.test' },
    timeoutMs: 60000,
  });
  const log = dockerLogs(mock).slice(logStart);
  const lines = (prefix: string) =>
    log
      .split('\n')
      .filter((line) => line.startsWith(`${prefix} `))
      .map((line) => JSON.parse(line.slice(prefix.length + 1)) as unknown);
  const responses = (lines('MOCK-REQUEST') as MockRequest[]).filter((r) => r.method === 'POST' && r.url.endsWith('/responses'));
  const toolCalls = lines('MOCK-TOOL-CALL') as Array<{ name: string; call_id: string; arguments: unknown }>;
  const toolOutputs = responses.flatMap((r) => (r.body?.input ?? []).filter((item) => item.type === 'function_call_output'));
  return { ...result, log, responses, toolCalls, toolOutputs };
}

test('codex in the sandbox runs the command the model asks for and creates a file in the workdir', () => {
  const workdir = newWorkdir('project');
  const run = runAgent(workdir, ['exec', '--skip-git-repo-check', PROMPT]);
  const output = `${run.stdout}\n${run.stderr}`;

  expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
  expect(output).not.toContain('bwrap');
  // codex's own banner: the entrypoint's -c sandbox_mode="danger-full-access" took effect.
  expect(run.stderr).toContain('sandbox: danger-full-access');

  // The model was reached through the firewall and offered the shell tool; it asked for it once.
  expect(run.responses.length).toBeGreaterThanOrEqual(2);
  expect(run.responses[0]?.body?.input?.some((item) => JSON.stringify(item).includes(PROMPT))).toBe(true);
  expect(run.toolCalls).toEqual([expect.objectContaining({ name: 'exec_command' })]);

  // The command ran in the workdir, as the host (workdir) user.
  const file = path.join(workdir, FILE);
  expect(existsSync(file)).toBe(true);
  expect(readFileSync(file, 'utf8')).toBe(CONTENT);
  expect(statSync(file).uid).toBe(process.getuid?.() === 0 ? AGENT_UID : process.getuid?.());

  // Its output went back to the model in a later request, under the call's id.
  expect(run.toolOutputs).toEqual([
    expect.objectContaining({ call_id: run.toolCalls[0]?.call_id, output: expect.stringContaining(`created-${FILE}`) }),
  ]);
  expect(String(run.toolOutputs[0]?.output)).toMatch(/exited with code 0/);

  // The model's final answer reached the user; nothing is left running.
  expect(run.stdout).toContain(FINAL);
  expect(containersFor(workdir)).toEqual([]);
});

test("with codex's inner sandbox switched back on the same command fails with bwrap (why the entrypoint turns it off)", () => {
  const workdir = newWorkdir('inner-sandbox-on');
  // A later -c wins over the entrypoint's: the user can still choose codex's own sandbox.
  const run = runAgent(workdir, ['-c', 'sandbox_mode="workspace-write"', 'exec', '--skip-git-repo-check', PROMPT]);

  expect(run.stderr).toContain('sandbox: workspace-write');
  expect(run.toolCalls).toEqual([expect.objectContaining({ name: 'exec_command' })]);
  expect(run.toolOutputs).toEqual([
    expect.objectContaining({ call_id: run.toolCalls[0]?.call_id, output: expect.stringContaining('bwrap') }),
  ]);
  expect(existsSync(path.join(workdir, FILE))).toBe(false);
  expect(run.stdout).not.toContain(FINAL);
  expect(containersFor(workdir)).toEqual([]);
});
