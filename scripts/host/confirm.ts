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
  const { default: prompts } = await import('prompts');
  const answer = await prompts(
    { type: 'confirm', name: 'ok', message: 'Start the sandbox anyway?', initial: false, stdout: process.stderr },
    { onCancel: () => false },
  );
  if (answer.ok !== true) throw new AbortError('not confirmed: nothing was created or mounted');
}
