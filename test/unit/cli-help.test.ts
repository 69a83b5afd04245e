import { jest } from '@jest/globals';
import { createRequire } from 'node:module';
import { parseCommandLine } from '../../scripts/cli/command-line.js';
import { fastStrip, fastWidth, type Measure, type Strip } from '../../scripts/cli/plain-text-width.js';

/**
 * The shortcut of cli/plain-text-width.ts changes nothing in --help: on every string it answers
 * itself, it answers what string-width and strip-ansi (the copies cliui loads) answer.
 */
const fromCliui = createRequire(createRequire(createRequire(import.meta.url).resolve('yargs/yargs')).resolve('cliui'));
const realWidth = fromCliui('string-width') as Measure;
const realStrip = fromCliui('strip-ansi') as Strip;

async function helpLines(argv: string[]): Promise<string[]> {
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    await parseCommandLine(argv, {}, '0.0.0-test');
    return log.mock.calls.flatMap((call) => String(call[0]).split('\n'));
  } finally {
    log.mockRestore();
  }
}

describe('--help layout shortcut', () => {
  it('every plain character and every word and line of the help measure and strip as with the real functions', async () => {
    const chars = [...Array.from({ length: 0x7f - 0x20 }, (_, index) => String.fromCharCode(0x20 + index)), '…'];
    const lines = [...(await helpLines(['--help'])), ...(await helpLines(['build', '--help'])), ...(await helpLines(['exec', '--help']))];
    expect(lines.length).toBeGreaterThan(100);
    for (const text of [...chars, ...lines, ...lines.flatMap((line) => line.split(' '))]) {
      expect([text, fastWidth(realWidth)(text)]).toEqual([text, realWidth(text)]);
      expect(fastStrip(realStrip)(text)).toBe(realStrip(text));
    }
  });

  it('anything else goes to the real functions: wide characters, emoji, escape sequences', () => {
    for (const text of ['漢字', 'a😀b', '\u001b[31mred\u001b[39m', 'e\u0301', 'tab\there', '\u009b31m']) {
      expect(fastWidth(realWidth)(text)).toBe(realWidth(text));
      expect(fastStrip(realStrip)(text)).toBe(realStrip(text));
    }
  });
});
