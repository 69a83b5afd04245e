import { createRequire } from 'node:module';

/*
 * `--help` speed (~1/4 of its time): yargs' help layout (cliui, wrap-ansi) measures every
 * word with string-width and strip-ansi, which build large regular expressions on each call.
 * The help text is plain printable ASCII and '…', whose width is its length and which has no
 * escape sequence to strip: for such strings these answer directly; for any other they call
 * the real function, so the output is the same byte for byte (test/unit/cli-help.test.ts).
 */

const PLAIN = /^[\x20-\x7e\u2026]*$/;

export type Measure = (text: string) => number;
export type Strip = (text: string) => string;

/** string-width, answering plain text itself. */
export const fastWidth =
  (real: Measure): Measure =>
  (text) =>
    typeof text === 'string' && PLAIN.test(text) ? text.length : real(text);

/** strip-ansi, answering text without an escape itself. */
export const fastStrip =
  (real: Strip): Strip =>
  (text) =>
    typeof text === 'string' && !text.includes('\u001b') && !text.includes('\u009b') ? text : real(text);

/** Replaces, in the module cache, the two helpers as cliui and wrap-ansi (found from yargs) will load them; else nothing. */
export function speedUpHelpLayout(yargsPath: string): void {
  try {
    const fromCliui = createRequire(createRequire(yargsPath).resolve('cliui'));
    const fromWrapAnsi = createRequire(fromCliui.resolve('wrap-ansi'));
    for (const from of [fromCliui, fromWrapAnsi]) {
      patch(from, 'string-width', (real) => fastWidth(real as Measure));
      patch(from, 'strip-ansi', (real) => fastStrip(real as Strip));
    }
  } catch {
    // Another layout of yargs' dependencies: the help is only slower.
  }
}

function patch(from: NodeJS.Require, name: string, wrap: (real: unknown) => unknown): void {
  const file = from.resolve(name);
  const real = from(name) as unknown;
  const cached = from.cache[file];
  if (typeof real === 'function' && cached !== undefined && cached.exports === real) cached.exports = wrap(real);
}
