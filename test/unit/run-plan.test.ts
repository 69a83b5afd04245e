import { assembleRunPlan, type ResolvedRun } from '../../scripts/core/run/assemble-run-plan.js';
import { CODEX_HOME_TARGET } from '../../scripts/core/run/container-identity.js';
import { buildDockerRunArgs, type RunPlan } from '../../scripts/core/run/run-plan.js';
import { SECURITY_ARGS } from './helpers/security-args.js';

const HASH = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

/** A resolved run for workdir /w/proj with the default Codex home; tests override fields. */
function resolved(overrides: Partial<ResolvedRun> = {}): ResolvedRun {
  return {
    command: 'agent',
    agent: { id: 'codex', passEnv: [] },
    workdir: '/w/proj',
    envDir: '/w/proj/.codex/.environment',
    sessionsDir: '/w/proj/.codex/.environment/sessions',
    readOnly: [],
    allowlist: ['api.openai.com', 'x.io'],
    image: 'codex-sandbox:latest',
    dns: [],
    uid: 1000,
    gid: 1001,
    tty: false,
    runId: 'r1d2',
    workdirHash: HASH,
    launcherPid: 4242,
    launcherHost: 'host1',
    launcherVersion: '9.9.9',
    args: [],
    egressLogDir: '/state/egress/r1d2',
    ...overrides,
  };
}

const HEAD = ['run', '--rm', '-i'];
const IDENTITY = [
  '--name',
  'codex-proj-01234567-r1d2',
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
// R103: the Codex home inside the workdir is not bound a second time (/codex_home links to it).
const BASE_MOUNTS = [
  '--mount',
  'type=bind,source=/w/proj,target=/app/w/proj',
  '--mount',
  'type=bind,source=/state/egress/r1d2,target=/var/lib/codex-sandbox/private/egress',
];
const HOME_IN_WORKDIR = '/app/w/proj/.codex/.environment';
const WORKDIR = ['-w', '/app/w/proj'];
const envArgs = (envDir = HOME_IN_WORKDIR) => [
  '-e',
  'CODEX_HOME=/codex_home',
  '-e',
  'HOME=/codex_home',
  '-e',
  'SANDBOX_WORKDIR=/app/w/proj',
  '-e',
  `SANDBOX_ENV_DIR=${envDir}`,
  '-e',
  'SANDBOX_ALLOWED_DOMAINS=api.openai.com x.io',
  '-e',
  'SANDBOX_HOST_UID=1000',
  '-e',
  'SANDBOX_HOST_GID=1001',
  '-e',
  'SANDBOX_EGRESS_LOG=1',
  ...(envDir === '/codex_home' ? [] : ['-e', `SANDBOX_CODEX_HOME=${envDir}`]),
];

const argvFor = (overrides: Partial<ResolvedRun>) => buildDockerRunArgs(assembleRunPlan(resolved(overrides)));

describe('buildDockerRunArgs(assembleRunPlan(…)): whole argv', () => {
  it('minimal run', () => {
    expect(argvFor({})).toEqual([...HEAD, ...IDENTITY, ...SECURITY, ...BASE_MOUNTS, ...WORKDIR, ...envArgs(), 'codex-sandbox:latest']);
  });

  it('tty: -t right after -i only when tty is true', () => {
    expect(argvFor({ tty: true })).toEqual([
      'run',
      '--rm',
      '-i',
      '-t',
      ...IDENTITY,
      ...SECURITY,
      ...BASE_MOUNTS,
      ...WORKDIR,
      ...envArgs(),
      'codex-sandbox:latest',
    ]);
    expect(argvFor({ tty: false })).not.toContain('-t');
  });

  it('auth.json is mounted read-only as auth.json of the Codex home (in the workdir mount)', () => {
    expect(argvFor({ agent: { id: 'codex', credentialFile: '/home/me/.codex/auth.json', passEnv: [] } })).toEqual([
      ...HEAD,
      ...IDENTITY,
      ...SECURITY,
      ...BASE_MOUNTS,
      '--mount',
      `type=bind,source=/home/me/.codex/auth.json,target=${HOME_IN_WORKDIR}/auth.json,readonly`,
      ...WORKDIR,
      ...envArgs(),
      'codex-sandbox:latest',
    ]);
  });

  it("sessions elsewhere get their own mount at the Codex home's sessions, after auth", () => {
    expect(argvFor({ sessionsDir: '/data/sessions', agent: { id: 'codex', credentialFile: '/a/auth.json', passEnv: [] } })).toEqual([
      ...HEAD,
      ...IDENTITY,
      ...SECURITY,
      ...BASE_MOUNTS,
      '--mount',
      `type=bind,source=/a/auth.json,target=${HOME_IN_WORKDIR}/auth.json,readonly`,
      '--mount',
      `type=bind,source=/data/sessions,target=${HOME_IN_WORKDIR}/sessions`,
      ...WORKDIR,
      ...envArgs(),
      'codex-sandbox:latest',
    ]);
  });

  it('read-only paths are mounted read-only at /app<path>, in order', () => {
    expect(argvFor({ readOnly: ['/opt/data', '/srv/a,b'] })).toEqual([
      ...HEAD,
      ...IDENTITY,
      ...SECURITY,
      ...BASE_MOUNTS,
      '--mount',
      'type=bind,source=/opt/data,target=/app/opt/data,readonly',
      '--mount',
      'type=bind,"source=/srv/a,b","target=/app/srv/a,b",readonly',
      ...WORKDIR,
      ...envArgs(),
      'codex-sandbox:latest',
    ]);
  });

  it('--network and --dns come before the mounts; --dns also tells the entrypoint where Docker forwards DNS (R96)', () => {
    expect(argvFor({ network: 'proj_default', dns: ['10.0.0.2', '1.1.1.1'] })).toEqual([
      ...HEAD,
      ...IDENTITY,
      ...SECURITY,
      '--network',
      'proj_default',
      '--dns',
      '10.0.0.2',
      '--dns',
      '1.1.1.1',
      ...BASE_MOUNTS,
      ...WORKDIR,
      ...envArgs(),
      '-e',
      'SANDBOX_DOCKER_DNS=10.0.0.2 1.1.1.1',
      'codex-sandbox:latest',
    ]);
  });

  it('shell command: SANDBOX_COMMAND=shell and the command label say so', () => {
    const identity = [...IDENTITY];
    identity[identity.indexOf('codex-sandbox.command=codex')] = 'codex-sandbox.command=shell';
    expect(argvFor({ command: 'shell', args: ['ls', '-la'] })).toEqual([
      ...HEAD,
      ...identity,
      ...SECURITY,
      ...BASE_MOUNTS,
      ...WORKDIR,
      ...envArgs(),
      '-e',
      'SANDBOX_COMMAND=shell',
      'codex-sandbox:latest',
      'ls',
      '-la',
    ]);
  });

  it('codex args follow the image untouched', () => {
    const args = ['--model', 'o3', '--', '$(rm -rf /)', ';', '&&', '', 'a b', '-v', '/x:/y', '"q"'];
    expect(argvFor({ args, image: 'my/img:1' })).toEqual([
      ...HEAD,
      ...IDENTITY,
      ...SECURITY,
      ...BASE_MOUNTS,
      ...WORKDIR,
      ...envArgs(),
      'my/img:1',
      '--model',
      'o3',
      '--',
      '$(rm -rf /)',
      ';',
      '&&',
      '',
      'a b',
      '-v',
      '/x:/y',
      '"q"',
    ]);
  });

  it('SANDBOX_ENV_DIR is /codex_home when the Codex home is outside the workdir', () => {
    expect(argvFor({ envDir: '/elsewhere/home', sessionsDir: '/elsewhere/home/sessions' })).toEqual([
      ...HEAD,
      ...IDENTITY,
      ...SECURITY,
      '--mount',
      'type=bind,source=/w/proj,target=/app/w/proj',
      '--mount',
      'type=bind,source=/elsewhere/home,target=/codex_home',
      '--mount',
      'type=bind,source=/state/egress/r1d2,target=/var/lib/codex-sandbox/private/egress',
      ...WORKDIR,
      ...envArgs('/codex_home'),
      'codex-sandbox:latest',
    ]);
  });

  it('SANDBOX_ENV_DIR is /app<path> for a --codex-home inside the workdir (not bound again: SANDBOX_CODEX_HOME)', () => {
    expect(argvFor({ envDir: '/w/proj/ch', sessionsDir: '/w/proj/ch/sessions' })).toEqual([
      ...HEAD,
      ...IDENTITY,
      ...SECURITY,
      '--mount',
      'type=bind,source=/w/proj,target=/app/w/proj',
      '--mount',
      'type=bind,source=/state/egress/r1d2,target=/var/lib/codex-sandbox/private/egress',
      ...WORKDIR,
      ...envArgs('/app/w/proj/ch'),
      'codex-sandbox:latest',
    ]);
  });

  it('a sibling that merely shares the prefix (/w/proj2) counts as outside', () => {
    const argv = argvFor({ envDir: '/w/proj2/home', sessionsDir: '/w/proj2/home/sessions' });
    expect(argv).toContain('SANDBOX_ENV_DIR=/codex_home');
  });

  it('never uses -v and never builds a shell string', () => {
    const argv = argvFor({
      agent: { id: 'codex', credentialFile: '/a/auth.json', passEnv: [] },
      readOnly: ['/r'],
      sessionsDir: '/s',
      tty: true,
    });
    expect(argv.filter((word) => word === '-v' || word === '--volume')).toEqual([]);
    expect(argv.filter((word) => word === '--mount')).toHaveLength(5);
  });
});

describe('assembleRunPlan', () => {
  it('produces the plan fields from resolved values', () => {
    const plan: RunPlan = assembleRunPlan(resolved({ network: 'n1', dns: ['9.9.9.9'], tty: true, args: ['x'] }));
    expect(plan).toEqual({
      image: 'codex-sandbox:latest',
      containerName: 'codex-proj-01234567-r1d2',
      labels: [
        ['codex-sandbox.managed', 'true'],
        ['codex-sandbox.workdir', '/w/proj'],
        ['codex-sandbox.run-id', 'r1d2'],
        ['codex-sandbox.command', 'codex'],
        ['codex-sandbox.launcher-pid', '4242'],
        ['codex-sandbox.launcher-host', 'host1'],
        ['codex-sandbox.version', '9.9.9'],
      ],
      mounts: [
        { source: '/w/proj', target: '/app/w/proj', readonly: false },
        { source: '/state/egress/r1d2', target: '/var/lib/codex-sandbox/private/egress', readonly: false },
      ],
      workingDir: '/app/w/proj',
      env: [
        ['CODEX_HOME', '/codex_home'],
        ['HOME', '/codex_home'],
        ['SANDBOX_WORKDIR', '/app/w/proj'],
        ['SANDBOX_ENV_DIR', '/app/w/proj/.codex/.environment'],
        ['SANDBOX_ALLOWED_DOMAINS', 'api.openai.com x.io'],
        ['SANDBOX_HOST_UID', '1000'],
        ['SANDBOX_HOST_GID', '1001'],
        ['SANDBOX_EGRESS_LOG', '1'],
        ['SANDBOX_CODEX_HOME', '/app/w/proj/.codex/.environment'],
        ['SANDBOX_DOCKER_DNS', '9.9.9.9'],
      ],
      tty: true,
      network: 'n1',
      dns: ['9.9.9.9'],
      args: ['x'],
    });
    expect(CODEX_HOME_TARGET).toBe('/codex_home');
  });
});
