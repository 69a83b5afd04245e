import { UsageError } from '../errors.js';

/** One credential in an agent's login file: where it is (JSON keys from the top) and its value. */
export interface LoginSecret {
  path: string[];
  value: string;
}

/** Fields holding a credential: tokens, keys, secrets; not their expiry, type or scope (R164). */
function isSecretKey(key: string): boolean {
  return (
    (/token|key|secret|password/i.test(key) || /^(access|refresh)$/i.test(key)) &&
    !/^expir/i.test(key) &&
    !/type$/i.test(key) &&
    !/^scopes?$/i.test(key)
  );
}

/** Parses a login file's text (auth.json, .credentials.json, oauth_creds.json); `file` names it in errors. */
export function parseLoginFile(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError(`${file} is not JSON: log in again (run-in-container login) or fix the file`);
  }
}

/** Every string credential in a login file, depth first, in the file's order. */
export function findLoginSecrets(json: unknown, path: string[] = []): LoginSecret[] {
  if (json === null || typeof json !== 'object') return [];
  const found: LoginSecret[] = [];
  for (const [key, value] of Object.entries(json)) {
    // Shorter than 8 characters is no credential (and could not be replaced safely): kept as it is.
    if (typeof value === 'string' && !Array.isArray(json) && isSecretKey(key) && value.length >= 8) {
      found.push({ path: [...path, key], value });
    } else if (typeof value === 'object') {
      found.push(...findLoginSecrets(value, [...path, key]));
    }
  }
  return found;
}

/**
 * The login file the agent sees (R164): the same JSON with each credential replaced by its
 * placeholder (`placeholders` in findLoginSecrets' order); everything else kept as it is.
 */
export function replaceLoginSecrets(json: unknown, placeholders: readonly string[]): string {
  const secrets = findLoginSecrets(json);
  const copy = JSON.parse(JSON.stringify(json)) as Record<string, unknown>;
  secrets.forEach((secret, index) => {
    let node = copy;
    for (const key of secret.path.slice(0, -1)) node = node[key] as Record<string, unknown>;
    node[secret.path[secret.path.length - 1] ?? ''] = placeholders[index];
  });
  return `${JSON.stringify(copy, null, 2)}\n`;
}
