#!/usr/bin/env node
import { SandboxError } from '../core/errors.js';
import { escapeTerminalLines, escapeTerminalText } from '../core/terminal-text.js';
import { readHostContext } from '../host/host-context.js';
import { readPackageVersion } from '../host/package-version.js';
import { parseCommandLine, runCommandLine } from './command-line.js';

/*
 * The CLI's only entry: parse (cli/command-line.ts: nothing runs yet, bad input exits 2),
 * then the command's flow, imported only now. The engine module too: --help and --version
 * load neither.
 */

/** Parses argv and runs one command (cli/commands.ts); resolves with the process exit code. */
async function main(argv: string[]): Promise<number> {
  const ctx = readHostContext();
  const version = readPackageVersion();
  const line = await parseCommandLine(argv, ctx.env, version);
  return line === undefined ? 0 : runCommandLine(line, ctx, version);
}

/** The only place errors become exit codes (R22): typed errors carry their message and code. */
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof SandboxError) {
      // Messages may name files or containers the agent chose (R100).
      process.stderr.write(`run-in-container: ${escapeTerminalText(error.message)}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`run-in-container: unexpected error: ${escapeTerminalLines(describeUnexpected(error))}\n`);
    process.exitCode = 1;
  },
);

function describeUnexpected(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
