import path from 'node:path';
import type { AgentId } from '../core/agents.js';
import type { HostContext } from './host-context.js';

/**
 * `~/.config/codex-sandbox/credentials/<agent>/` (R136): where `run-in-container login` keeps
 * what it obtained, outside every tree an agent can write; runs find it in their search
 * order. Undefined without HOME.
 */
export function credentialStoreDir(ctx: Pick<HostContext, 'home'>, agent: AgentId): string | undefined {
  return ctx.home === undefined ? undefined : path.join(ctx.home, '.config', 'codex-sandbox', 'credentials', agent);
}

/** The file an API key given to `login --with-api-key` is kept in (claude, gemini), below the store. */
export const STORED_API_KEY_FILE = 'api-key';
