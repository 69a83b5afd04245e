import path from 'node:path';
import { UsageError } from '../core/errors.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import { diffPolicy, revokeTrust, trustStateOf } from '../core/trust.js';
import type { HostContext } from '../host/host-context.js';
import { PROJECT_SETTINGS_RELATIVE, readProjectSettings, resolveProjectPaths } from '../host/settings-file.js';
import { readTrustStore, writeTrustStore } from '../host/trust-store.js';
import { resolveWorkdir } from '../host/workdir.js';
import { approve, approvedLines, shownLines } from './trust-check.js';

export interface TrustOptions {
  workDir?: string;
  revoke: boolean;
}

/** `run-in-container trust [--revoke]`: shows the project file's policy and records (or drops) its hash. */
export async function trustCommand(options: TrustOptions, ctx: HostContext): Promise<number> {
  const workdir = (await resolveWorkdir(options.workDir, ctx)).path;
  const store = await readTrustStore(ctx);
  if (options.revoke) {
    // The key is the file's realpath; the workdir is already resolved and .codex may not be a link.
    const file = path.join(workdir, PROJECT_SETTINGS_RELATIVE);
    if (store.files[file] === undefined) {
      process.stderr.write(`${file} was not trusted: nothing to revoke\n`);
      return 0;
    }
    await writeTrustStore(ctx, revokeTrust(store, file));
    process.stderr.write(`revoked trust in ${file}: runs refuse it until you approve it again\n`);
    return 0;
  }
  const file = await readProjectSettings(workdir);
  if (file === undefined)
    throw new UsageError(`no ${PROJECT_SETTINGS_RELATIVE} in ${workdir}: nothing to trust (create it, or pass --work_dir)`);
  const resolved = await resolveProjectPaths(file, ctx.home, ctx.cwd, [workdir]);
  const previous = store.files[file.path];
  process.stdout.write(`${escapeTerminalText(file.path)} sets:\n`);
  const policy = shownLines(file, resolved);
  const unchanged = previous === undefined || trustStateOf(store, file.path, file.sha256, resolved) === 'trusted';
  const lines = unchanged ? policy.map((line) => `  ${line}`) : diffPolicy(approvedLines(previous), policy);
  for (const line of lines.length === 0 ? ['  (nothing)'] : lines) process.stdout.write(`  ${escapeTerminalText(line)}\n`);
  await approve(file, resolved, ctx);
  process.stderr.write(`trusted ${file.path} (sha256 ${file.sha256.slice(0, 12)}…); any change needs approval again\n`);
  return 0;
}
