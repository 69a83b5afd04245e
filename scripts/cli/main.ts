#!/usr/bin/env node
import { createRequire } from 'node:module';
import type YargsFactory from 'yargs';
import { SandboxError, UsageError } from '../core/errors.js';
import { escapeTerminalLines, escapeTerminalText } from '../core/terminal-text.js';
import { configureEngine } from '../host/engine/docker.js';
import { readHostContext } from '../host/host-context.js';
import { readPackageVersion } from '../host/package-version.js';
import { declareCommands } from './commands.js';
import { joinNoInspectValues, presetsHelp } from './egress-flags.js';
import { readSingleValue } from './flag-values.js';

// yargs' ESM build wraps --help in the middle of words (cliui's ESM shim lacks wrap-ansi);
// its CommonJS build wraps between words.
// Its helpers from the same build: the ESM ones would load a second yargs-parser and cliui.
const requireCjs = createRequire(import.meta.url);
const yargs = requireCjs('yargs') as typeof YargsFactory;
const { hideBin } = requireCjs('yargs/helpers') as { hideBin(argv: string[]): string[] };

const ABOUT = 'Run the OpenAI Codex CLI, Claude Code or Gemini CLI in a Docker sandbox that can reach only allowlisted hosts.';

// One paragraph per line: yargs wraps them to the terminal's width.
const EPILOG = `${[
  'Environment: CONTAINER_ENGINE (docker or podman, like --engine),',
  'WORKSPACE_ROOT_DIR (workdirs must be inside it), CODEX_CONFIG_DIR, CODEX_AUTH_FILE, CODEX_DOCKER_IMAGE,',
  'OPENAI_ALLOWED_DOMAINS (extra hosts, space or comma separated; *.example.com for subdomains), SANDBOX_BASE_IMAGE',
  '(base for automatic builds), HTTPS_PROXY/HTTP_PROXY (either case: upstream proxy), SANDBOX_CA_CERTS and',
  'NODE_EXTRA_CA_CERTS (extra CA files); for --agent claude: CLAUDE_CONFIG_DIR, ANTHROPIC_API_KEY and the others of',
  'docs/agents.md, for --agent gemini: GEMINI_CLI_HOME, GEMINI_API_KEY, … (keys are passed by name, never printed).',
].join(' ')}
Exit codes: 2 bad input, 1 environment problem, otherwise the command's own (128+signal when killed).

${presetsHelp()}`;

/** Parses argv and runs one command (cli/commands.ts); resolves with the process exit code. */
async function main(argv: string[]): Promise<number> {
  const ctx = readHostContext();
  const version = readPackageVersion();
  let exitCode = 0;
  await yargs(argv)
    .scriptName('run-in-container')
    .parserConfiguration({ 'populate--': true, 'duplicate-arguments-array': true })
    .usage(`$0 [options] [-- agent args…]\n\n${ABOUT}`)
    .option('engine', {
      type: 'string',
      global: true,
      describe: 'container engine: docker or podman (also CONTAINER_ENGINE; default: the only one installed, else docker)',
    })
    // Checked before any command runs: a bad value exits 2 with nothing done (R173).
    .middleware((args) => configureEngine(readSingleValue(args.engine, '--engine'), ctx.env.CONTAINER_ENGINE))
    .command(declareCommands({ ctx, version, setExitCode: (code) => (exitCode = code) }))
    .epilog(EPILOG)
    .version(version)
    .help()
    .alias('help', 'h')
    .strict()
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((message, error) => {
      if (error !== undefined && error !== null) throw error;
      throw new UsageError(`${message} (see --help)`);
    })
    .parseAsync();
  return exitCode;
}

/** The only place errors become exit codes (R22): typed errors carry their message and code. */
main(joinNoInspectValues(hideBin(process.argv))).then(
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
