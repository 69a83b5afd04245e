import { UsageError } from '../../core/errors.js';

const TIMEOUT_MS = 10_000;
const MAX_OUTPUT = 64 * 1024;

/**
 * `--secret-from CMD` (R163): runs the user's own command (they typed it on their command line,
 * so a shell is theirs to use) with a 10 s limit and 64 KiB of output; the value is its trimmed
 * stdout. Failing or printing nothing is a UsageError naming the command and its first stderr line.
 */
export async function runSecretCommand(command: string, name: string): Promise<string> {
  const { execa } = await import('execa');
  const result = await execa(command, {
    shell: true,
    reject: false,
    timeout: TIMEOUT_MS,
    maxBuffer: MAX_OUTPUT,
    stdin: 'inherit',
    stripFinalNewline: false,
  });
  const firstLine = String(result.stderr ?? '')
    .split('\n')
    .find((line) => line.trim() !== '')
    ?.trim()
    .slice(0, 200);
  const said = firstLine === undefined ? '' : ` (${firstLine})`;
  const why = result.timedOut ? 'took longer than 10 s' : result.isMaxBuffer ? 'printed more than 64 KiB' : undefined;
  if (why !== undefined || result.exitCode !== 0) {
    const detail = why ?? `exited with ${result.exitCode ?? result.signal ?? 'an error'}`;
    throw new UsageError(`--secret-from for ${name}: ${JSON.stringify(command)} ${detail}${said}: fix the command`);
  }
  const value = String(result.stdout ?? '').trim();
  if (value === '') {
    throw new UsageError(`--secret-from for ${name}: ${JSON.stringify(command)} printed nothing${said}: fix the command`);
  }
  return value;
}
