import { parseCommandLine, type CommandLine } from '../../../scripts/cli/command-line.js';
import { UsageError } from '../../../scripts/core/errors.js';

/**
 * The CLI's parse and option mapping in-process (cli/command-line.ts): what a command line
 * becomes before any flow runs. The whole-CLI runs (exit codes, stdout/stderr, --help) stay
 * in the process tests (helpers/run-cli.ts).
 */
export async function parseCli(argv: readonly string[], env: Record<string, string> = {}): Promise<CommandLine> {
  const line = await parseCommandLine(argv, env, '0.0.0-test');
  if (line === undefined) throw new Error(`${argv.join(' ')}: printed help or version instead of a command`);
  return line;
}

/** The one-line UsageError (exit 2) a command line is refused with; fails when it parses. */
export async function refusalOf(argv: readonly string[], env: Record<string, string> = {}): Promise<string> {
  try {
    await parseCli(argv, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    expect(error.exitCode).toBe(2);
    expect(error.message).not.toContain('\n');
    return error.message;
  }
  throw new Error(`${JSON.stringify(argv)} parsed without a refusal`);
}
