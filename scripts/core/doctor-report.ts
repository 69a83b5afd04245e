/** One `doctor` line: what was checked, whether it is fine, what was found, how to fix it. */
export interface DoctorCheck {
  check: string;
  ok: boolean;
  detail: string;
  /** Empty when ok. */
  fix: string;
  /** Runs cannot work without it: a failure makes `doctor` exit 1. */
  essential: boolean;
}

/** One line per check: `ok   docker CLI: Docker version 27.1 ` / `FAIL engine: … — fix: …`. */
export function renderDoctorText(checks: readonly DoctorCheck[]): string {
  const width = Math.max(...checks.map((c) => c.check.length), 0);
  const lines = checks.map((c) => {
    const mark = c.ok ? 'ok  ' : c.essential ? 'FAIL' : 'warn';
    const fix = c.ok || c.fix === '' ? '' : ` — fix: ${c.fix}`;
    return `${mark}  ${c.check.padEnd(width)}  ${c.detail}${fix}`;
  });
  return `${lines.join('\n')}\n`;
}

/** The `--json` form: an array of {check, ok, detail, fix}. */
export function renderDoctorJson(checks: readonly DoctorCheck[]): string {
  return `${JSON.stringify(
    checks.map(({ check, ok, detail, fix }) => ({ check, ok, detail, fix })),
    null,
    2,
  )}\n`;
}

/** 0 when every essential check passed, 1 otherwise. */
export function doctorExitCode(checks: readonly DoctorCheck[]): number {
  return checks.some((c) => c.essential && !c.ok) ? 1 : 0;
}
