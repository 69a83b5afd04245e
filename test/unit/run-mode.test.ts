import { assembleRunPlan, type ResolvedRun, type RunSession } from '../../scripts/core/run/assemble-run-plan.js';
import { MOUNT_IDS_ENV, type MountIdentity } from '../../scripts/core/run/mount-ids.js';
import { planHeadlessRun, resolveRunMode } from '../../scripts/core/run/run-mode.js';
import { attachMountIds, buildDockerRunArgs } from '../../scripts/core/run/run-plan.js';

/**
 * How a run is driven is part of its plan (R41, R50, R54): the flows read tty, session,
 * tracking and headless mode from the resolved run, never from the options again; mount
 * identities are attached in one place and survive a plan assembled again (R103).
 */
const BASE: ResolvedRun = {
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
  gid: 1000,
  tty: true,
  runId: 'abcd1234',
  workdirHash: '0'.repeat(64),
  launcherPid: 1,
  launcherHost: 'h',
  launcherVersion: '1.0.0',
  args: ['--model', 'x'],
};

const TERMINAL = { stdinIsTTY: true, stdoutIsTTY: true };
const SESSION: RunSession = { name: 'dev', keep: true, replace: false, parallel: true, strictMounts: true };
const IDS: ReadonlyMap<string, MountIdentity> = new Map([['/app/w/proj', { dev: '64', ino: '12', kind: 'dir' as const }]]);
const mountIdsOf = (argv: string[]) => argv.find((entry) => entry.startsWith(`${MOUNT_IDS_ENV}=`));

describe('resolveRunMode', () => {
  it('a plain run: -t only when stdin and stdout are terminals; no session, no tracking, not headless', () => {
    expect(resolveRunMode({}, TERMINAL)).toEqual({ tty: true });
    expect(resolveRunMode({}, { stdinIsTTY: true, stdoutIsTTY: false })).toEqual({ tty: false });
    expect(resolveRunMode({ track: false, headless: false }, { stdinIsTTY: false, stdoutIsTTY: true })).toEqual({ tty: false });
  });

  it('a session plan carries its name and switches (a copy, not the options object)', () => {
    const mode = resolveRunMode({ session: SESSION }, TERMINAL);
    expect(mode).toEqual({ tty: true, session: SESSION });
    expect(mode.session).not.toBe(SESSION);
    const plan = assembleRunPlan({ ...BASE, ...mode });
    expect(plan.containerName).toBe('codex-session-dev');
    expect(plan.labels).toContainEqual(['codex-sandbox.session', 'dev']);
  });

  it('--track and headless are fields of the run; headless never gets -t', () => {
    expect(resolveRunMode({ track: true }, TERMINAL)).toEqual({ tty: true, track: true });
    expect(resolveRunMode({ headless: true, track: true }, TERMINAL)).toEqual({ tty: false, track: true, headless: true });
  });

  it('the mode fields leave the docker argv alone', () => {
    const plain = buildDockerRunArgs(assembleRunPlan(BASE));
    expect(buildDockerRunArgs(assembleRunPlan({ ...BASE, track: true }))).toEqual(plain);
    expect(buildDockerRunArgs(assembleRunPlan({ ...BASE, headless: true }))).toEqual(plain);
  });
});

describe("planHeadlessRun: exec's run", () => {
  it('has tracking off (--track is the report’s), no TTY, the headless argv; the rest unchanged', () => {
    const { run, lastMessage } = planHeadlessRun({ ...BASE, track: true }, 'fix it', ['--model', 'y']);
    expect(run.track).toBe(false);
    expect(run.headless).toBe(true);
    expect(run.tty).toBe(false);
    expect(run.args).toEqual(expect.arrayContaining(['exec', 'fix it']));
    expect(run.args).toContain('y');
    expect(lastMessage).toBe('file');
    expect({ ...run, track: undefined, headless: undefined, tty: true, args: BASE.args }).toEqual({
      ...BASE,
      track: undefined,
      headless: undefined,
    });
  });

  it("another agent's headless mode leaves the final message on stdout", () => {
    const { run, lastMessage } = planHeadlessRun({ ...BASE, agent: { id: 'claude', passEnv: [] } }, 'fix it', []);
    expect(lastMessage).toBe('stdout');
    expect(run.args).toContain('fix it');
  });
});

describe('attachMountIds: the one place mount identities join a plan', () => {
  it('undefined leaves the plan as it is; ids reach SANDBOX_MOUNT_IDS', () => {
    const plan = assembleRunPlan(BASE);
    expect(attachMountIds(plan, undefined)).toBe(plan);
    expect(mountIdsOf(buildDockerRunArgs(plan))).toBeUndefined();
    expect(mountIdsOf(buildDockerRunArgs(attachMountIds(plan, IDS)))).toBe(`${MOUNT_IDS_ENV}=64:12 d /app/w/proj`);
  });

  it("a plan assembled again (a parallel session's new name) keeps the pinned identities", () => {
    const pinned = attachMountIds(assembleRunPlan({ ...BASE, session: SESSION }), IDS);
    const renamed = attachMountIds(assembleRunPlan({ ...BASE, session: { ...SESSION, name: 'dev-2' } }), pinned.mountIds);
    expect(renamed.containerName).toBe('codex-session-dev-2');
    expect(renamed.labels).toContainEqual(['codex-sandbox.session', 'dev-2']);
    expect(mountIdsOf(buildDockerRunArgs(renamed))).toBe(mountIdsOf(buildDockerRunArgs(pinned)));
  });
});
