import { AbortError, UsageError } from '../core/errors.js';

export interface ConfirmOptions {
  yes: boolean;
  interactive: boolean;
  dryRun: boolean;
}

/**
 * Writable mounts outside the workdir expose more of the host: warn, then ask (TTY),
 * accept (--yes) or refuse (non-interactive). Called before anything is created.
 */
export async function confirmExposures(reasons: readonly string[], options: ConfirmOptions): Promise<void> {
  if (reasons.length === 0) return;
  for (const reason of reasons) process.stderr.write(`warning: ${reason}\n`);
  if (options.yes) {
    process.stderr.write('accepted with --yes\n');
    return;
  }
  if (options.dryRun) {
    process.stderr.write('dry run: a real run asks for confirmation here (or pass --yes)\n');
    return;
  }
  if (!options.interactive) {
    throw new UsageError('refusing to start without confirmation of the warnings above: rerun with --yes to accept');
  }
  if (!(await askYesNo('Start the sandbox anyway?'))) throw new AbortError('not confirmed: nothing was created or mounted');
}

/** The one yes/no question on a terminal (prompts on stderr; default no; Ctrl-C is no). */
export async function askYesNo(message: string): Promise<boolean> {
  const { default: prompts } = await import('prompts');
  const answer = await prompts({ type: 'confirm', name: 'ok', message, initial: false, stdout: process.stderr }, { onCancel: () => false });
  return answer.ok === true;
}
