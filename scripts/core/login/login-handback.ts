/**
 * Refreshed login tokens handed back by the container's proxy (R164): `handback.json` is
 * `{"version":1,"stores":{"<login file>":{"access_token":"…","refresh_token":"…","id_token":"…",
 * "refreshed_at":"<ISO time>"}}}`. The launcher writes them into the login file it mounted a
 * placeholder copy of — only that file, never a path the handback names otherwise.
 */

/** Where the handback directory is mounted: below the image's root-only directory (R164). */
export const HANDBACK_TARGET = '/var/lib/codex-sandbox/private/handback';
export const handbackDirName = (runId: string) => `${runId}.handback`;

const TOKEN = /^[\x21-\x7e]{8,16384}$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** `access_token` and `accessToken` are the same field (OAuth answers snake case, Claude's file camel case). */
const fieldKey = (key: string) => key.replace(/_/g, '').toLowerCase();

/** The rotated tokens for `store` in a handback file's text; undefined when there are none or it is not one. */
export function readHandback(text: string, store: string): { tokens: Map<string, string>; refreshedAt?: string } | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const stores = (doc as { stores?: unknown } | null)?.stores;
  if (typeof stores !== 'object' || stores === null || !Object.prototype.hasOwnProperty.call(stores, store)) return undefined;
  const entry = (stores as Record<string, unknown>)[store];
  if (typeof entry !== 'object' || entry === null) return undefined;
  const tokens = new Map<string, string>();
  for (const field of ['access_token', 'refresh_token', 'id_token']) {
    const value = (entry as Record<string, unknown>)[field];
    if (typeof value === 'string' && TOKEN.test(value)) tokens.set(fieldKey(field), value);
  }
  if (tokens.size === 0) return undefined;
  const at = (entry as Record<string, unknown>).refreshed_at;
  return { tokens, ...(typeof at === 'string' && TIME.test(at) ? { refreshedAt: at } : {}) };
}

/**
 * The login file with its rotated tokens: every string field named like one (any depth, snake
 * or camel case) gets the new value, and Codex's `last_refresh` the time of the refresh.
 */
export function applyHandback(json: unknown, tokens: ReadonlyMap<string, string>, refreshedAt?: string): { text: string; changed: number } {
  let changed = 0;
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      const token = typeof value === 'string' ? tokens.get(fieldKey(key)) : undefined;
      if (token !== undefined && token !== value) changed += 1;
      out[key] = token ?? (key === 'last_refresh' && refreshedAt !== undefined && typeof value === 'string' ? refreshedAt : walk(value));
    }
    return out;
  };
  const result = walk(json);
  return { text: `${JSON.stringify(result, null, 2)}\n`, changed };
}
