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
  // R100: a credential path or error message can name a file the agent created in the workdir.
  const hostile: DoctorCheck = {
    check: 'login claude',
    ok: false,
    detail: '/w/.codex/.environment/\u001b]52;c;aGk=\u0007creds\u202e.json: not a regular file',
    fix: 'remove \u001b[2Jit\nok    forged line',
    essential: false,
  };
  it('text: control and bidi characters in any field are shown escaped, one line per check', () => {
    expect(renderDoctorText([hostile])).toBe(
      'warn  login claude  /w/.codex/.environment/\\x1b]52;c;aGk=\\x07creds\\u{202e}.json: not a regular file' +
        ' — fix: remove \\x1b[2Jit\\x0aok    forged line\n',
    );
  });
  it('--json: nothing a terminal acts on stays raw, the parsed values are exact', () => {
    const text = renderDoctorJson([{ ...hostile, detail: `${hostile.detail}\u009b\u2067\u007f` }]);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(JSON.parse(text)).toEqual([
      { check: 'login claude', ok: false, detail: `${hostile.detail}\u009b\u2067\u007f`, fix: hostile.fix },
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
