#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { SandboxError, UsageError } from '../core/errors.js';
import { escapeTerminalLines, escapeTerminalText } from '../core/terminal-text.js';
import { readHostContext } from '../host/host-context.js';
import { diffCommandModule } from './diff-command-module.js';
import { execCommandModule } from './exec-command-module.js';
import { inspectCommandModules } from './inspect-commands.js';
import { readPackageVersion } from './package-version.js';
import { presetsHelp, toBuildEgressOptions } from './egress-options.js';
import { declareRunOptions, toRunOptions } from './run-options.js';
import { sessionCommandModules } from './session-commands.js';
import { declareSessionOptions, withSession } from './session-options.js';

const EPILOG = `Environment: WORKSPACE_ROOT_DIR (workdirs must be inside it), CODEX_CONFIG_DIR, CODEX_AUTH_FILE,
CODEX_DOCKER_IMAGE, OPENAI_ALLOWED_DOMAINS (extra hosts, space or comma separated; *.example.com for subdomains),
SANDBOX_BASE_IMAGE (base for automatic builds), HTTPS_PROXY/HTTP_PROXY (either case: upstream proxy),
SANDBOX_CA_CERTS and NODE_EXTRA_CA_CERTS (extra CA files).
Exit codes: 2 bad input, 1 environment problem, otherwise the command's own (128+signal when killed).

${presetsHelp()}`;

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
      '$0 [dirs..]',
      'run codex in the sandbox for the workdir: [options] [DIR…] [-- codex args…] (several DIRs: all mounted, the first is the working directory)',
      (y) => declareSessionOptions(declareRunOptions(y)),
      async (args) => {
        const { runInContainer } = await import('./run-command.js');
        exitCode = await runInContainer(withSession(toRunOptions(args, { dirs: true }), args), ctx, 'codex', version);
      },
    )
    .command(
      'shell [dirs..]',
      'run a command (default: an interactive bash) in the same sandbox instead of codex: shell [options] [DIR…] [-- CMD ARGS…]',
      (y) => declareSessionOptions(declareRunOptions(y)),
      async (args) => {
        const { runInContainer } = await import('./run-command.js');
        exitCode = await runInContainer(withSession(toRunOptions(args, { dirs: true }), args), ctx, 'shell', version);
      },
    )
    .command(execCommandModule(ctx, version, (code) => (exitCode = code)))
    .command(diffCommandModule(ctx, (code) => (exitCode = code)))
    .command(sessionCommandModules(ctx, (code) => (exitCode = code)))
    .command(inspectCommandModules(ctx, (code) => (exitCode = code)))
    .command(
      'build',
      'build the sandbox image codex-sandbox:<codex-version>-node<N> (and :latest for the default variant)',
      (y) =>
        y
          .option('codex-version', { type: 'string', describe: 'npm version of @openai/codex (default: latest)' })
          .option('node', { type: 'number', describe: 'Node.js major version of the base image: 18, 20 or 22 (default 22)' })
          .option('base-image', { type: 'string', describe: 'base image instead of node:<N>-bookworm-slim (also SANDBOX_BASE_IMAGE)' })
          .option('no-cache', { type: 'boolean', default: false, describe: 'build without the layer cache' })
          .option('proxy', { type: 'string', describe: 'HTTP proxy for the build http://[user:pass@]host:port (default: HTTPS_PROXY/HTTP_PROXY); not stored in the image' })
          .option('ca-cert', { type: 'string', describe: 'extra CA certificate (PEM) trusted while building (repeatable; also SANDBOX_CA_CERTS, NODE_EXTRA_CA_CERTS)' }),
      async (args) => {
        if ((args._ as unknown[]).length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(String((args._ as unknown[])[1]))}`);
        const { buildCommand } = await import('./build-command.js');
        exitCode = await buildCommand(
          {
            codexVersion: args['codex-version'],
            node: args.node,
            baseImage: args['base-image'],
            noCache: args['no-cache'] === true,
            ...toBuildEgressOptions(args),
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
      // Messages may name files or containers the agent chose (R100).
      process.stderr.write(`run-in-container: ${escapeTerminalText(error.message)}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`run-in-container: unexpected error: ${escapeTerminalLines(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`);
    process.exitCode = 1;
  },
);
