import path from 'node:path';
import type { AgentId } from '../../core/agents/agents.js';
import { EnvironmentError } from '../../core/errors.js';
import type { HostContext } from '../host-context.js';

/**
 * `~/.config/codex-sandbox/credentials/` (R136): the store's root, outside every tree an agent
 * can write; each agent's directory and the logins' temporary homes live below it. Undefined
 * without HOME.
 */
export function findCredentialStoreRoot(ctx: Pick<HostContext, 'home'>): string | undefined {
  return ctx.home === undefined ? undefined : path.join(ctx.home, '.config', 'codex-sandbox', 'credentials');
}

/** The store's root for writing into it: without HOME there is none, said in one line. */
export function credentialStoreRoot(ctx: Pick<HostContext, 'home'>): string {
  const root = findCredentialStoreRoot(ctx);
  if (root === undefined) throw new EnvironmentError('HOME is not set: the credential store lives below it; set HOME and run again');
  return root;
}

/**
 * `<root>/<agent>/`: where `run-in-container login` keeps what it obtained for `agent`; runs
 * find it in their search order. Undefined without HOME.
 */
export function credentialStoreDir(ctx: Pick<HostContext, 'home'>, agent: AgentId): string | undefined {
  const root = findCredentialStoreRoot(ctx);
  return root === undefined ? undefined : path.join(root, agent);
}

/** The file an API key given to `login --with-api-key` is kept in (claude, gemini), below the store. */
export const STORED_API_KEY_FILE = 'api-key';
