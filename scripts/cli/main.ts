#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { SandboxError, UsageError } from '../core/errors.js';
import { readHostContext } from '../host/host-context.js';
import { buildCommand } from './build-command.js';
import { readPackageVersion } from './package-version.js';
import { declareRunOptions, toRunOptions } from './run-options.js';
import { runInContainer } from './run-command.js';

const EPILOG = `Environment: WORKSPACE_ROOT_DIR (workdirs must be inside it), CODEX_CONFIG_DIR, CODEX_AUTH_FILE,
CODEX_DOCKER_IMAGE, OPENAI_ALLOWED_DOMAINS (extra hosts, space or comma separated; *.example.com for subdomains),
SANDBOX_BASE_IMAGE (base for automatic builds).
Exit codes: 2 bad input, 1 environment problem, otherwise the command's own (128+signal when killed).`;

/** Parses argv and runs one command; resolves with the process exit code. */
async function main(argv: string[]): Promise<number> {
  const ctx = readHostContext();
  const version = readPackageVersion();
  let exitCode = 0;
  const parser = yargs(argv)
    .scriptName('run-in-container')
    .parserConfiguration({ 'populate--': true, 'duplicate-arguments-array': true })
    .usage('$0 [options] [-- codex args…]\n\nRun the OpenAI Codex CLI in a Docker sandbox that can reach only allowlisted hosts.')
    .command(
      '$0',
      'run codex in the sandbox for the workdir',
      (y) => declareRunOptions(y),
      async (args) => {
        exitCode = await runInContainer(toRunOptions(args), ctx, 'codex', version);
      },
    )
    .command(
      'shell',
      'run a command (default: an interactive bash) in the same sandbox instead of codex: shell [options] [-- CMD ARGS…]',
      (y) => declareRunOptions(y),
      async (args) => {
        exitCode = await runInContainer(toRunOptions(args), ctx, 'shell', version);
      },
    )
    .command(
      'build',
      'build the sandbox image codex-sandbox:<codex-version>-node<N> (and :latest for the default variant)',
      (y) =>
        y
          .option('codex-version', { type: 'string', describe: 'npm version of @openai/codex (default: latest)' })
          .option('node', { type: 'number', describe: 'Node.js major version of the base image: 18, 20 or 22 (default 22)' })
          .option('base-image', { type: 'string', describe: 'base image instead of node:<N>-bookworm-slim (also SANDBOX_BASE_IMAGE)' })
          .option('no-cache', { type: 'boolean', default: false, describe: 'build without the layer cache' }),
      async (args) => {
        if ((args._ as unknown[]).length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(String((args._ as unknown[])[1]))}`);
        exitCode = await buildCommand(
          {
            codexVersion: args['codex-version'],
            node: args.node,
            baseImage: args['base-image'],
            noCache: args['no-cache'] === true,
          },
          ctx,
        );
      },
    )
    .epilog(EPILOG)
    .version(version)
    .help()
    .alias('help', 'h')
    .strict()
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((message, error) => {
      if (error !== undefined && error !== null) throw error;
      throw new UsageError(`${message} (see --help)`);
    });
  await parser.parseAsync();
  return exitCode;
}

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof SandboxError) {
      process.stderr.write(`run-in-container: ${error.message}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`run-in-container: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
