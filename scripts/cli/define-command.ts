import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { HostContext } from '../host/host-context.js';

/** What every command's handler gets besides its arguments. */
export interface CommandContext {
  ctx: HostContext;
  version: string;
  setExitCode(code: number): void;
}

/** One declared command, bound to the context when yargs is set up (cli/main.ts). */
export type DeclaredCommand = (env: CommandContext) => CommandModule<object, never>;

/**
 * A yargs command whose handler's arguments are typed from its builder (like devcontainers'
 * UnpackArgv); the handler resolves with the exit code.
 */
export function defineCommand<U>(
  command: string,
  describe: string,
  builder: (y: Argv) => Argv<U>,
  handler: (args: ArgumentsCamelCase<U> & Record<string, unknown>, env: CommandContext) => Promise<number>,
): DeclaredCommand {
  return (env) =>
    ({
      command,
      describe,
      builder,
      handler: async (args: ArgumentsCamelCase<U>) =>
        env.setExitCode(await handler(args as ArgumentsCamelCase<U> & Record<string, unknown>, env)),
    }) as unknown as CommandModule<object, never>;
}
