import { doctorExitCode, renderDoctorJson, renderDoctorText, type DoctorCheck } from '../../scripts/core/doctor-report.js';

const ok: DoctorCheck = { check: 'docker CLI', ok: true, detail: 'Docker version 27', fix: '', essential: true };
const engine: DoctorCheck = { check: 'docker engine', ok: false, detail: 'not reachable', fix: 'start it', essential: true };
const auth: DoctorCheck = { check: 'auth', ok: false, detail: 'no auth.json found', fix: 'codex login', essential: false };

describe('doctor report', () => {
  it('one line per check, the fix after a dash', () => {
    expect(renderDoctorText([ok, engine, auth])).toBe(
      'ok    docker CLI     Docker version 27\n' +
        'FAIL  docker engine  not reachable — fix: start it\n' +
        'warn  auth           no auth.json found — fix: codex login\n',
    );
  });
  it('--json: {check, ok, detail, fix} only', () => {
    expect(JSON.parse(renderDoctorJson([ok, auth]))).toEqual([
      { check: 'docker CLI', ok: true, detail: 'Docker version 27', fix: '' },
      { check: 'auth', ok: false, detail: 'no auth.json found', fix: 'codex login' },
    ]);
  });
  it.each([
    [[ok], 0],
    [[ok, auth], 0],
    [[ok, engine, auth], 1],
  ])('exit code %#', (checks, code) => {
    expect(doctorExitCode(checks)).toBe(code);
  });
});
