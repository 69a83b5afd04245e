import { constants } from 'node:fs';
import { lstat, open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../core/errors.js';
import { isSameOrInside } from '../../core/run/path-rules.js';
import { errorCode } from '../error-code.js';

/**
 * `--egress-log FILE` (R171): the schema-v1 lines of each record a run makes are appended to
 * FILE. Resolved once, before anything starts: its directory must exist and FILE must lie
 * outside every tree the agent can write (workdirs, Codex and agent home, sessions), where the
 * agent could swap it for a link or a FIFO between the check and the write. Returns the
 * physical path (its directory's links resolved). Nothing is created here.
 */
export async function resolveEgressLogFile(input: string, cwd: string, trees: readonly string[]): Promise<string> {
  const shown = JSON.stringify(input);
  if (input.trim() === '') throw new UsageError('--egress-log is empty: give a file path');
  const lexical = path.resolve(cwd, input);
  const base = path.basename(lexical);
  if (/[/\\]$/.test(input) || base === '' || base === '.' || base === '..')
    throw new UsageError(`--egress-log ${shown} names a directory: give a file path`);
  let parent: string;
  try {
    parent = await realpath(path.dirname(lexical));
  } catch (error) {
    throw new UsageError(`--egress-log ${shown}: its directory does not exist (${errorCode(error)}): create it first`);
  }
  const physical = path.join(parent, base);
  const tree = trees.find((dir) => isSameOrInside(dir, physical) || isSameOrInside(dir, lexical));
  if (tree !== undefined)
    throw new UsageError(
      `--egress-log ${shown} lies in ${tree}, which the agent can write (it could replace the file with a link): ` +
        'choose a file outside the workdirs and the agent home',
    );
  const info = await lstat(physical).catch((error: unknown) => {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw new UsageError(`--egress-log ${shown} cannot be used (${errorCode(error)}): check the path`);
  });
  if (info !== undefined && !info.isFile())
    throw new UsageError(`--egress-log ${shown} is not a regular file (a link, a directory or a device): give a regular file`);
  return physical;
}

/**
 * Appends `text` to FILE: opened O_APPEND|O_CREAT|O_NOFOLLOW (mode 0600 when new) and
 * O_NONBLOCK (a FIFO with no reader fails at once instead of hanging the run); anything but a
 * regular file is refused before a byte is written. Throws on failure; the caller warns.
 */
export async function appendEgressLog(file: string, text: string): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  const handle = await open(file, flags, 0o600);
  try {
    if (!(await handle.stat()).isFile()) throw new Error('not a regular file');
    if (text !== '') await handle.writeFile(text);
  } finally {
    await handle.close();
  }
}
