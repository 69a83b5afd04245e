import { assembleRunPlan, type ResolvedRun } from '../../scripts/core/run/assemble-run-plan.js';
import { buildDockerRunArgs } from '../../scripts/core/run/run-plan.js';
import { checkWorkdirSet } from '../../scripts/core/run/workdir-set.js';
import { SECURITY_ARGS } from './helpers/security-args.js';

const HASH = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

function resolved(overrides: Partial<ResolvedRun> = {}): ResolvedRun {
  return {
    command: 'agent',
    agent: { id: 'codex', passEnv: [] },
    workdir: '/w/proj',
    envDir: '/w/proj/.codex/.environment',
    sessionsDir: '/w/proj/.codex/.environment/sessions',
    readOnly: [],
    allowlist: ['api.openai.com'],
    image: 'codex-sandbox:latest',
    dns: [],
    uid: 1000,
    gid: 1001,
    tty: true,
    runId: 'r1d2',
    workdirHash: HASH,
    launcherPid: 4242,
    launcherHost: 'host1',
    launcherVersion: '9.9.9',
    args: ['--model', 'o3'],
    ...overrides,
  };
}

const LABELS = [
  '--label',
  'codex-sandbox.managed=true',
  '--label',
  'codex-sandbox.workdir=/w/proj',
  '--label',
  'codex-sandbox.run-id=r1d2',
  '--label',
  'codex-sandbox.command=codex',
  '--label',
  'codex-sandbox.launcher-pid=4242',
  '--label',
  'codex-sandbox.launcher-host=host1',
  '--label',
  'codex-sandbox.version=9.9.9',
];
const SECURITY = SECURITY_ARGS;
const ENV = [
  '-e',
  'CODEX_HOME=/codex_home',
  '-e',
  'HOME=/codex_home',
  '-e',
  'SANDBOX_WORKDIR=/app/w/proj',
  '-e',
  'SANDBOX_ENV_DIR=/app/w/proj/.codex/.environment',
  '-e',
  'SANDBOX_ALLOWED_DOMAINS=api.openai.com',
  '-e',
  'SANDBOX_HOST_UID=1000',
  '-e',
  'SANDBOX_HOST_GID=1001',
  // R103: the Codex home inside the workdir is reached through /codex_home -> this, not bound again.
  '-e',
  'SANDBOX_CODEX_HOME=/app/w/proj/.codex/.environment',
];

describe('several workdirs', () => {
  it('mounts each at /app<path> after the first, sets SANDBOX_WORKDIRS and the workdirs label', () => {
    const argv = buildDockerRunArgs(assembleRunPlan(resolved({ extraWorkdirs: ['/w/lib', '/x/docs'] })));
    expect(argv).toEqual([
      'run',
      '--rm',
      '-i',
      '-t',
      '--name',
      'codex-proj-01234567-r1d2',
      ...LABELS,
      '--label',
      'codex-sandbox.workdirs=["/w/proj","/w/lib","/x/docs"]',
      ...SECURITY,
      '--mount',
      'type=bind,source=/w/proj,target=/app/w/proj',
      '--mount',
      'type=bind,source=/w/lib,target=/app/w/lib',
      '--mount',
      'type=bind,source=/x/docs,target=/app/x/docs',
      '-w',
      '/app/w/proj',
      ...ENV,
      '-e',
      'SANDBOX_WORKDIRS=/app/w/proj\n/app/w/lib\n/app/x/docs',
      'codex-sandbox:latest',
      '--model',
      'o3',
    ]);
  });

  it.each([
    [
      ['/a', '/b', '/a'],
      ['/a', '/b'],
    ],
    [
      ['/a', '/ab'],
      ['/a', '/ab'],
    ],
    [
      ['/b', '/a'],
      ['/b', '/a'],
    ],
  ])('checkWorkdirSet(%j) = %j (duplicates collapse, order kept)', (input, expected) => {
    expect(checkWorkdirSet(input)).toEqual(expected);
  });

  it.each([
    [['/a', '/a/b'], 'workdir /a/b is inside workdir /a: their mounts would overlap, list only /a'],
    [['/a/b', '/a'], 'workdir /a/b is inside workdir /a: their mounts would overlap, list only /a'],
    [['/a', 'b\nc'.replace('b', '/b')], 'contains a newline'],
  ])('checkWorkdirSet(%j) is refused', (input, message) => {
    expect(() => checkWorkdirSet(input)).toThrow(message);
  });
});

describe('named session', () => {
  it('starts detached (no --rm/-i/-t), labelled, SANDBOX_COMMAND=session, no command args', () => {
    const argv = buildDockerRunArgs(
      assembleRunPlan(
        resolved({ command: 'shell', session: { name: 'dev', keep: false, replace: false, parallel: false, strictMounts: false } }),
      ),
    );
    const mounts = JSON.stringify([['/w/proj', '/app/w/proj', 'rw']]);
    expect(argv).toEqual([
      'run',
      '-d',
      '--name',
      'codex-session-dev',
      ...LABELS.map((word) => (word === 'codex-sandbox.command=codex' ? 'codex-sandbox.command=shell' : word)),
      '--label',
      'codex-sandbox.session=dev',
      '--label',
      `codex-sandbox.mounts=${mounts}`,
      ...SECURITY,
      '--mount',
      'type=bind,source=/w/proj,target=/app/w/proj',
      '-w',
      '/app/w/proj',
      ...ENV,
      '-e',
      'SANDBOX_COMMAND=session',
      'codex-sandbox:latest',
    ]);
  });
});
