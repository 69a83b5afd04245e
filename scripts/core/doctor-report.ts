import { escapeTerminalText } from './terminal-text.js';

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

/**
 * One line per check: `ok   docker CLI: Docker version 27.1 ` / `FAIL engine: … — fix: …`.
 * Details and fixes carry paths and error messages that can name files the agent created in
 * the workdir (R100): every field is escaped here, so no check can forget it.
 */
export function renderDoctorText(checks: readonly DoctorCheck[]): string {
  const safe = checks.map((c) => ({
    ...c,
    check: escapeTerminalText(c.check),
    detail: escapeTerminalText(c.detail),
    fix: escapeTerminalText(c.fix),
  }));
  const width = Math.max(...safe.map((c) => c.check.length), 0);
  const lines = safe.map((c) => {
    const mark = c.ok ? 'ok  ' : c.essential ? 'FAIL' : 'warn';
    const fix = c.ok || c.fix === '' ? '' : ` — fix: ${c.fix}`;
    return `${mark}  ${c.check.padEnd(width)}  ${c.detail}${fix}`;
  });
  return `${lines.join('\n')}\n`;
}

/** What JSON.stringify leaves raw but a terminal acts on: DEL, C1 controls, bidi controls. */
const JSON_UNSAFE = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * The `--json` form: an array of {check, ok, detail, fix}. JSON escapes C0 controls itself;
 * the rest become `\uNNNN` escapes too (R100), so the parsed values stay exact.
 */
export function renderDoctorJson(checks: readonly DoctorCheck[]): string {
  const text = JSON.stringify(
    checks.map(({ check, ok, detail, fix }) => ({ check, ok, detail, fix })),
    null,
    2,
  );
  return `${text.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

/** 0 when every essential check passed, 1 otherwise. */
export function doctorExitCode(checks: readonly DoctorCheck[]): number {
  return checks.some((c) => c.essential && !c.ok) ? 1 : 0;
}
