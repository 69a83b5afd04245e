import { createRequire } from 'node:module';
import type YargsFactory from 'yargs';
import { UsageError } from '../../scripts/core/errors.js';
import { readFlag } from '../../scripts/cli/flag-values.js';

const yargs = createRequire(import.meta.url)('yargs/yargs') as typeof YargsFactory;

/** A boolean flag as the CLI declares and parses it (cli/command-line.ts's parser configuration). */
function parseKeep(argv: string[]): unknown {
  const args = yargs(argv)
    .parserConfiguration({ 'populate--': true, 'duplicate-arguments-array': true })
    .option('keep', { type: 'boolean' })
    .exitProcess(false)
    .parseSync();
  return args.keep;
}

describe('readFlag with what yargs hands over', () => {
  it.each<[string[], boolean]>([
    [[], false],
    [['--keep'], true],
    // A repeated boolean flag is never an array: the last one wins.
    [['--keep', '--keep'], true],
    [['--keep', '--no-keep'], false],
    [['--no-keep', '--keep'], true],
    [['--keep=false'], false],
  ])('%j → %s', (argv, expected) => {
    const value = parseKeep(argv);
    expect(typeof value === 'boolean' || value === undefined).toBe(true);
    expect(readFlag(value, '--keep')).toBe(expected);
  });

  it('absent: the given default', () => {
    expect(readFlag(parseKeep([]), '--no-cache', true)).toBe(true);
  });

  it('what is not a boolean (dot notation makes an object) is refused', () => {
    const value = parseKeep(['--keep.x']);
    expect(() => readFlag(value, '--keep')).toThrow(UsageError);
    expect(() => readFlag(value, '--keep')).toThrow('--keep takes no value: give it alone');
  });
});
