import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { HostContext } from '../host/host-context.js';

/** What a command's flow gets besides its options. */
export interface CommandContext {
  ctx: HostContext;
  version: string;
}

/** Yargs' parsed arguments, typed from a command's builder. */
export type CommandArgs<U> = ArgumentsCamelCase<U> & Record<string, unknown>;

/**
 * One declared command: its yargs declaration, how its arguments map to the flow's typed
 * options (pure: it throws UsageError, touches nothing), and the flow, imported lazily so
 * `--help` and one command load only what they use.
 */
export interface DeclaredCommand<N extends string = string, O = unknown> {
  name: N;
  /** The yargs module whose handler hands the mapped options to `found` instead of running anything. */
  declare(found: (parsed: { command: N; options: O }) => void): CommandModule<object, never>;
  run(options: O, context: CommandContext): Promise<number>;
}

/** A yargs command whose mapping is typed from its builder (like devcontainers' UnpackArgv). */
export function defineCommand<N extends string, U, O>(
  name: N,
  command: string,
  describe: string,
  builder: (y: Argv) => Argv<U>,
  toOptions: (args: CommandArgs<U>) => O,
  run: (options: O, context: CommandContext) => Promise<number>,
): DeclaredCommand<N, O> {
  return {
    name,
    declare: (found) =>
      ({
        command,
        describe,
        builder,
        handler: (args: ArgumentsCamelCase<U>) => found({ command: name, options: toOptions(args as CommandArgs<U>) }),
      }) as unknown as CommandModule<object, never>,
    run,
  };
}
