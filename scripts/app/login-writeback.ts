import { isSameOrInside } from '../core/run/path-rules.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import { applyLoginHandback } from '../host/agents/login-handback.js';
import type { PreparedRun } from './prepare-run.js';

/**
 * A login the agent refreshed during the run: its new tokens into the login file it came from
 * (R164). `runId` names the container's private files: a re-entered session's are its creator's.
 */
export async function writeBackLogin(prepared: Pick<PreparedRun, 'secrets' | 'trees'>, runId: string): Promise<void> {
  const secrets = prepared.secrets;
  const store = secrets?.entries.find((entry) => entry.store !== undefined)?.store;
  if (secrets === undefined || store === undefined) return;
  // Never into a tree the agent can write: it could swap the file for a link meanwhile.
  if (prepared.trees.some((tree) => isSameOrInside(tree, store))) return;
  const changed = await applyLoginHandback(secrets.dir, runId, store, prepared.trees);
  if (changed > 0) process.stderr.write(`the agent refreshed its login: ${changed} new tokens written to ${escapeTerminalText(store)}\n`);
}
