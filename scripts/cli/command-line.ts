import { createRequire } from 'node:module';
import type YargsFactory from 'yargs';
import { parseEngineName } from '../core/engine/engine.js';
import { UsageError } from '../core/errors.js';
import type { HostContext } from '../host/host-context.js';
import { COMMANDS, type ParsedCommand } from './commands.js';
import type { CommandContext, DeclaredCommand } from './define-command.js';
import { joinNoInspectValues, presetsHelp } from './egress-flags.js';
import { readSingleValue } from './flag-values.js';
import { speedUpHelpLayout } from './plain-text-width.js';

// yargs' ESM build wraps --help in the middle of words (cliui's ESM shim lacks wrap-ansi);
// its CommonJS build wraps between words. The factory, not the singleton `yargs`, which
// parses process.argv once more when it is loaded.
const requireCjs = createRequire(import.meta.url);
speedUpHelpLayout(requireCjs.resolve('yargs/yargs'));
const yargs = requireCjs('yargs/yargs') as typeof YargsFactory;

const ABOUT = 'Run a coding agent (Codex, Claude Code, Gemini CLI, Copilot CLI, OpenCode) in a sandbox that reaches only allowed hosts.';

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

/** `--engine` and CONTAINER_ENGINE as given (both checked); the engine is chosen on first use (host/engine/docker.ts). */
export interface EngineRequest {
  flag?: string;
  env?: string;
}

/** One command line, parsed: the command, its flow's typed options and, when named, the engine. */
export type CommandLine = ParsedCommand & { engine?: EngineRequest };

/**
 * Parses argv (without node and the script) into the command and its typed options, running
 * nothing: bad input throws UsageError (exit 2). Undefined when yargs printed --help or
 * --version instead.
 */
export async function parseCommandLine(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  version: string,
): Promise<CommandLine | undefined> {
  let found: ParsedCommand | undefined;
  let engine: EngineRequest = {};
  const record = (parsed: ParsedCommand) => (found = parsed);
  await yargs(joinNoInspectValues(argv))
    .scriptName('run-in-container')
    .parserConfiguration({ 'populate--': true, 'duplicate-arguments-array': true })
    .usage(`$0 [options] [-- agent args…]\n\n${ABOUT}`)
    .option('engine', {
      type: 'string',
      global: true,
      describe: 'container engine: docker or podman (also CONTAINER_ENGINE; default: the only one installed, else docker)',
    })
    // Checked before any command maps its flags: a bad value exits 2 with nothing done (R173).
    .middleware((args) => {
      engine = readEngineRequest(readSingleValue(args.engine, '--engine'), env.CONTAINER_ENGINE);
    })
    .command(COMMANDS.map((command) => (command as DeclaredCommand<string, never>).declare(record as never)))
    .epilog(EPILOG)
    .version(version)
    .help()
    .alias('help', 'h')
    .strict()
    .exitProcess(false)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((message, error) => {
      if (error !== undefined && error !== null) throw error;
      throw new UsageError(`${message} (see --help)`);
    })
    .parseAsync();
  const parsed = found as ParsedCommand | undefined;
  if (parsed === undefined) return undefined;
  return engine.flag === undefined && engine.env === undefined ? parsed : { ...parsed, engine };
}

function readEngineRequest(flag: string | undefined, env: string | undefined): EngineRequest {
  if (flag !== undefined) parseEngineName(flag, '--engine');
  if (env !== undefined) parseEngineName(env, 'CONTAINER_ENGINE');
  return { ...(flag === undefined ? {} : { flag }), ...(env === undefined ? {} : { env }) };
}

/** Runs the parsed command's flow; resolves with its exit code. */
export async function runCommandLine(line: CommandLine, ctx: HostContext, version: string): Promise<number> {
  (await import('../host/engine/docker.js')).configureEngine(line.engine?.flag, line.engine?.env);
  const command = COMMANDS.find((candidate) => candidate.name === line.command) as DeclaredCommand | undefined;
  if (command === undefined) throw new Error(`no command ${line.command}`);
  const context: CommandContext = { ctx, version };
  return command.run(line.options, context);
}
