import path from 'node:path';
import { UsageError } from '../core/errors.js';
import { addToSettingsText, type LiveAction } from '../core/egress/live-policy.js';
import { hasSettings, parseSettingsText } from '../core/settings.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import { trustStateOf } from '../core/trust.js';
import type { HostContext } from '../host/host-context.js';
import { PROJECT_SETTINGS_RELATIVE, readProjectSettings, resolveProjectPaths, writeProjectSettings } from '../host/settings-file.js';
import { readTrustStore } from '../host/trust-store.js';
import { approve } from './trust-check.js';

/**
 * `--save` of a live change (R167): the project's `.codex/sandbox.ini` gets the hosts, and the
 * new file is recorded as trusted — the user wrote it. A file with changes the user has not
 * approved is refused before anything changes: trusting it now would approve what the agent
 * may have written there. Checked first; `write()` runs once the sandbox took the change.
 */
export async function prepareSettingsSave(
  workdir: string,
  action: LiveAction,
  hosts: readonly string[],
  ctx: HostContext,
): Promise<{ write(): Promise<string> }> {
  const target = path.join(workdir, PROJECT_SETTINGS_RELATIVE);
  const shown = escapeTerminalText(target);
  const file = await readProjectSettings(workdir);
  if (file !== undefined && hasSettings(file.layer)) {
    const resolved = await resolveProjectPaths(file, ctx.home, ctx.cwd, [workdir]);
    if (trustStateOf(await readTrustStore(ctx), file.path, file.sha256, resolved) !== 'trusted')
      throw new UsageError(
        `${shown} has changes you have not approved: review them with run-in-container trust --work_dir ` +
          `${escapeTerminalText(workdir)}, then save again (nothing was changed)`,
      );
  }
  const text = addToSettingsText(file?.text, action, hosts);
  parseSettingsText(text, target);
  return {
    async write() {
      const sha256 = await writeProjectSettings(workdir, text);
      const written = await readProjectSettings(workdir);
      // Changed between the write and this read (the agent can write there): not approved.
      if (written?.sha256 !== sha256)
        return `saved to ${shown}, but it changed at once (not by this command): not trusted; check it with run-in-container trust`;
      await approve(written, await resolveProjectPaths(written, ctx.home, ctx.cwd, [workdir]), ctx);
      return `saved to ${shown} ([network] ${action}) and trusted: the next run uses it without asking`;
    },
  };
}
