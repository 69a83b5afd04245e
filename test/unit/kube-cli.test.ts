import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Pod } from 'kubernetes-models/v1/Pod';
import { runCli } from './helpers/run-cli.js';
import { copyFixture, makeTempDir, removeTempDir, snapshotTree } from './helpers/temp-dir.js';

const yaml = createRequire(import.meta.url)('js-yaml') as { load: (text: string) => unknown };

let tmp: string;
let home: string;
let work: string;

beforeEach(() => {
  tmp = makeTempDir('codex-sandbox-kube-');
  home = path.join(tmp, 'home');
  fs.mkdirSync(home);
  work = copyFixture('basic-project', path.join(tmp, 'work'));
  if (process.getuid?.() === 0) fs.chownSync(work, 4242, 4242);
});

afterEach(() => removeTempDir(tmp));

const EMIT = ['exec', '--emit', 'kubernetes', '--repo', 'https://github.com/o/r@main', '--allow', 'github.com'];

type Manifest = { kind: string; spec: { template?: { spec: Record<string, unknown> } } & Record<string, unknown> };

/** Runs the CLI and checks that nothing below the temp dir (workdir and home) changed. */
function runUnchanged(args: string[], env: Record<string, string> = {}) {
  const before = snapshotTree(tmp);
  const result = runCli(args, { cwd: work, home, env });
  expect(snapshotTree(tmp)).toEqual(before);
  return result;
}

test('--emit kubernetes prints a valid Job and writes nothing on the host (R180, R182)', () => {
  const result = runUnchanged([...EMIT, 'fix the tests'], { OPENAI_API_KEY: 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789' });
  expect(result.status).toBe(0);
  expect(fs.existsSync(path.join(work, '.codex', '.environment'))).toBe(false);
  expect(result.stdout).not.toContain('sk-proj-abcdefghijklmnopqrstuvwxyz0123456789');
  expect(result.stdout.startsWith('# codex-sandbox Job')).toBe(true);
  const job = yaml.load(result.stdout) as Manifest;
  expect(() => new Job(job as never).validate()).not.toThrow();
  const container = (job.spec.template?.spec.containers as Array<{ args: string[]; env: Array<{ name: string; value?: string }> }>)[0];
  expect(container?.args.at(-1)).toBe('fix the tests');
  const env = Object.fromEntries((container?.env ?? []).map((entry) => [entry.name, entry.value]));
  expect(env).toMatchObject({ SANDBOX_REPO_URL: 'https://github.com/o/r', SANDBOX_REPO_REF: 'main', SANDBOX_REPO_DIR: 'r' });
  expect(env.SANDBOX_ALLOWED_DOMAINS).toContain('github.com');
  expect(result.stderr).toContain('the Secret codex-sandbox-credentials must hold OPENAI_API_KEY');
});

test('--emit pod prints a valid Pod (podman kube play), --kube-secret and --report-claim reach it', () => {
  const args = ['exec', '--emit', 'pod', '--repo', 'https://github.com/o/r', '--ref', 'v1', '--allow', 'github.com'];
  const result = runUnchanged([...args, '--kube-secret', 'keys', '--report-claim', 'reports', '--agent', 'claude', 'go']);
  expect(result.status).toBe(0);
  const pod = yaml.load(result.stdout) as Manifest & { spec: Record<string, unknown> };
  expect(pod.kind).toBe('Pod');
  expect(() => new Pod(pod as never).validate()).not.toThrow();
  expect(JSON.stringify(pod.spec.volumes)).toContain('"claimName":"reports"');
  expect(JSON.stringify(pod.spec.initContainers)).toContain('{"name":"keys","key":"ANTHROPIC_API_KEY"}');
});

describe('bad input: one line, exit 2, nothing written (R182)', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['another kind', ['exec', '--emit', 'docker', '--repo', 'https://github.com/o/r', 'x'], /--emit "docker" is not known/],
    ['no --repo', ['exec', '--emit', 'kubernetes', 'x'], /--emit needs --repo URL/],
    ['--out', [...EMIT, '--out', 'report', 'x'], /--emit: --out needs this host/],
    ['--track', [...EMIT, '--track', 'x'], /--emit: --track needs this host/],
    ['--read-only', [...EMIT, '--read-only', '.', 'x'], /--emit: --read-only needs this host/],
    ['--allow-host-port', [...EMIT, '--allow-host-port', '3000', 'x'], /--emit: --allow-host-port needs this host/],
    ['a second workdir', [...EMIT, '--work_dir', '.', '--work_dir', '..', 'x'], /--emit: a second workdir needs this host/],
    ['--dry-run', [...EMIT, '--dry-run', 'x'], /--emit: --dry-run needs this host/],
    [
      'a host not allowed',
      ['exec', '--emit', 'kubernetes', '--repo', 'https://gitlab.com/o/r', 'x'],
      /--repo host gitlab.com is not allowed/,
    ],
    ['two refs', [...EMIT, '--ref', 'v1', 'x'], /give it once/],
    ['no prompt', EMIT, /exec needs a PROMPT/],
    // --kube-secret without --emit: refused by the parse (cli-parse-refusals.test.ts).
    ['a bad Secret name', [...EMIT, '--kube-secret', 'Bad_Name', 'x'], /--kube-secret "Bad_Name" is not a Kubernetes name/],
  ];
  test.each(cases)('%s', (_what, args, message) => {
    const result = runUnchanged(args);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});
