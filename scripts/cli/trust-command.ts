import path from 'node:path';
import { AbortError, UsageError } from '../core/errors.js';
import { hasSettings } from '../core/settings.js';
import { describeSettingsPolicy, diffPolicy, recordTrust, revokeTrust, trustStateOf } from '../core/trust.js';
import type { HostContext } from '../host/host-context.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import { PROJECT_SETTINGS_RELATIVE, readProjectSettings, resolveProjectPaths, type SettingsFile } from '../host/settings-file.js';
import { readTrustStore, writeTrustStore } from '../host/trust-store.js';
import { resolveWorkdir } from '../host/workdir.js';

export interface TrustOptions {
  workDir?: string;
  revoke: boolean;
}

function trustHint(workdir: string, ctx: HostContext): string {
  return workdir === ctx.cwd ? 'run-in-container trust' : `run-in-container trust --work_dir ${JSON.stringify(workdir)}`;
}

async function approve(file: SettingsFile, resolved: readonly string[], ctx: HostContext): Promise<void> {
  const store = await readTrustStore(ctx);
  const entry = { sha256: file.sha256, approvedAt: new Date().toISOString(), policy: describeSettingsPolicy(file.layer), ...(resolved.length === 0 ? {} : { resolved: [...resolved] }) };
  await writeTrustStore(ctx, recordTrust(store, file.path, entry));
}

/** Policy lines followed by what each path resolves to (both shown, both approved). */
function shownLines(file: SettingsFile, resolved: readonly string[]): string[] {
  return [...describeSettingsPolicy(file.layer), ...resolved];
}

function approvedLines(entry: { policy: string[]; resolved?: string[] } | undefined): string[] | undefined {
  return entry === undefined ? undefined : [...entry.policy, ...(entry.resolved ?? [])];
}

/**
 * Before a run: a project settings file that sets anything must be trusted by its content
 * hash (the agent can edit the workdir). Shows the policy (a diff against the approved
 * version), then asks (TTY) or refuses (non-interactive). `--yes` does not approve it.
 */
export async function ensureProjectSettingsTrusted(
  settings: { file: SettingsFile; resolved: readonly string[] } | undefined,
  workdir: string,
  ctx: HostContext,
  options: { interactive: boolean; dryRun: boolean },
): Promise<void> {
  if (settings === undefined || !hasSettings(settings.file.layer)) return;
  const { file, resolved } = settings;
  const store = await readTrustStore(ctx);
  const state = trustStateOf(store, file.path, file.sha256, resolved);
  if (state === 'trusted') return;
  const entry = store.files[file.path];
  const what =
    state === 'untrusted' ? 'is not trusted yet'
    : entry?.sha256 === file.sha256 ? 'has a path that resolves elsewhere than when you approved it'
    : 'has changed since you approved it';
  process.stderr.write(`warning: ${escapeTerminalText(file.path)} ${what}; the policy it sets:\n`);
  for (const line of diffPolicy(approvedLines(store.files[file.path]), shownLines(file, resolved))) process.stderr.write(`  ${escapeTerminalText(line)}\n`);
  if (options.dryRun) {
    process.stderr.write(`dry run: a real run asks whether to trust it (or run \`${trustHint(workdir, ctx)}\`)\n`);
    return;
  }
  if (!options.interactive) throw new UsageError(`${file.path} is not trusted: run \`${trustHint(workdir, ctx)}\` to approve`);
  const { default: prompts } = await import('prompts');
  const answer = await prompts(
    { type: 'confirm', name: 'ok', message: `Trust ${file.path} and apply it?`, initial: false, stdout: process.stderr },
    { onCancel: () => false },
  );
  if (answer.ok !== true) throw new AbortError(`${file.path} not trusted: nothing was started (edit or delete it, or approve it)`);
  await approve(file, resolved, ctx);
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
  if (file === undefined) throw new UsageError(`no ${PROJECT_SETTINGS_RELATIVE} in ${workdir}: nothing to trust (create it, or pass --work_dir)`);
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
