import { assembleRunPlan, type ResolvedRun } from '../../scripts/core/run/assemble-run-plan.js';
import { buildHeadlessArgs } from '../../scripts/core/agents/agents.js';
import { buildDockerRunArgs } from '../../scripts/core/run/run-plan.js';

/**
 * Additions to the run plan (R50, R53, R55): --repo env, --protect-git mounts, exec args. Each whole
 * argv is compared with the plain run's argv plus exactly the expected elements, so nothing
 * else may change (and without the features, nothing changes at all).
 */
const BASE: ResolvedRun = {
  command: 'agent',
  agent: { id: 'codex', passEnv: [] },
  workdir: '/w/proj',
  envDir: '/w/proj/.codex/.environment',
  sessionsDir: '/w/proj/.codex/.environment/sessions',
  readOnly: [],
  allowlist: ['api.openai.com', 'git.test'],
  image: 'codex-sandbox:latest',
  dns: [],
  uid: 1000,
  gid: 1000,
  tty: false,
  runId: 'abcd1234',
  workdirHash: '0'.repeat(64),
  launcherPid: 1,
  launcherHost: 'h',
  launcherVersion: '1.0.0',
  args: [],
};

const plain = buildDockerRunArgs(assembleRunPlan(BASE));
const at = (argv: string[], value: string) => argv.indexOf(value);

test('without the features the argv has no trace of them', () => {
  expect(plain.join('\n')).not.toMatch(/SANDBOX_REPO|\.git,|readonly.*\.git/);
});

test('--repo adds SANDBOX_REPO_URL/REF/DIR after the other env, nothing else', () => {
  const argv = buildDockerRunArgs(assembleRunPlan({ ...BASE, repo: { url: 'http://git.test/p.git', ref: 'main', dir: 'p' } }));
  const image = at(plain, 'codex-sandbox:latest');
  expect(argv).toEqual([
    ...plain.slice(0, image),
    '-e',
    'SANDBOX_REPO_URL=http://git.test/p.git',
    '-e',
    'SANDBOX_REPO_REF=main',
    '-e',
    'SANDBOX_REPO_DIR=p',
    ...plain.slice(image),
  ]);
  const noRef = buildDockerRunArgs(assembleRunPlan({ ...BASE, repo: { url: 'http://git.test/p.git', dir: 'p' } }));
  expect(noRef).toEqual([
    ...plain.slice(0, image),
    '-e',
    'SANDBOX_REPO_URL=http://git.test/p.git',
    '-e',
    'SANDBOX_REPO_DIR=p',
    ...plain.slice(image),
  ]);
});

test('--protect-git mounts each .git read-only onto itself, after every other mount', () => {
  const argv = buildDockerRunArgs(assembleRunPlan({ ...BASE, protectedGit: ['/w/proj/.git'] }));
  const workdirFlag = at(plain, '-w');
  expect(argv).toEqual([
    ...plain.slice(0, workdirFlag),
    '--mount',
    'type=bind,source=/w/proj/.git,target=/app/w/proj/.git,readonly',
    ...plain.slice(workdirFlag),
  ]);
});

test('exec: codex exec args after the image, never -t', () => {
  const args = buildHeadlessArgs('codex', 'do it', ['--model', 'm'], '/codex_home/runs/abcd1234/last-message.md').args;
  const argv = buildDockerRunArgs(assembleRunPlan({ ...BASE, args }));
  expect(argv).toEqual([
    ...plain,
    'exec',
    '--skip-git-repo-check',
    '--output-last-message',
    '/codex_home/runs/abcd1234/last-message.md',
    '--model',
    'm',
    '--',
    'do it',
  ]);
  expect(argv).not.toContain('-t');
});
