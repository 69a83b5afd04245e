import { AbortError, UsageError } from '../core/errors.js';
import { hasSettings } from '../core/settings.js';
import { describeSettingsPolicy, diffPolicy, recordTrust, trustStateOf } from '../core/trust.js';
import { askYesNo } from '../host/confirm.js';
import type { HostContext } from '../host/host-context.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import type { SettingsFile } from '../host/settings-file.js';
import { readTrustStore, writeTrustStore } from '../host/trust-store.js';

export function trustHint(workdir: string, ctx: HostContext): string {
  return workdir === ctx.cwd ? 'run-in-container trust' : `run-in-container trust --work_dir ${JSON.stringify(workdir)}`;
}

export async function approve(file: SettingsFile, resolved: readonly string[], ctx: HostContext): Promise<void> {
  const store = await readTrustStore(ctx);
  const entry = {
    sha256: file.sha256,
    approvedAt: new Date().toISOString(),
    policy: describeSettingsPolicy(file.layer),
    ...(resolved.length === 0 ? {} : { resolved: [...resolved] }),
  };
  await writeTrustStore(ctx, recordTrust(store, file.path, entry));
}

/** Policy lines followed by what each path resolves to (both shown, both approved). */
export function shownLines(file: SettingsFile, resolved: readonly string[]): string[] {
  return [...describeSettingsPolicy(file.layer), ...resolved];
}

export function approvedLines(entry: { policy: string[]; resolved?: string[] } | undefined): string[] | undefined {
  return entry === undefined ? undefined : [...entry.policy, ...(entry.resolved ?? [])];
}

/**
 * Before a run (R75, R104): a project settings file that sets anything must be trusted by its
 * content hash and what its paths resolve to (the agent can edit the workdir). Shows the policy (a diff against the approved
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
    state === 'untrusted'
      ? 'is not trusted yet'
      : entry?.sha256 === file.sha256
        ? 'has a path that resolves elsewhere than when you approved it'
        : 'has changed since you approved it';
  process.stderr.write(`warning: ${escapeTerminalText(file.path)} ${what}; the policy it sets:\n`);
  for (const line of diffPolicy(approvedLines(store.files[file.path]), shownLines(file, resolved)))
    process.stderr.write(`  ${escapeTerminalText(line)}\n`);
  if (options.dryRun) {
    process.stderr.write(`dry run: a real run asks whether to trust it (or run \`${trustHint(workdir, ctx)}\`)\n`);
    return;
  }
  if (!options.interactive) throw new UsageError(`${file.path} is not trusted: run \`${trustHint(workdir, ctx)}\` to approve`);
  if (!(await askYesNo(`Trust ${file.path} and apply it?`)))
    throw new AbortError(`${file.path} not trusted: nothing was started (edit or delete it, or approve it)`);
  await approve(file, resolved, ctx);
}
