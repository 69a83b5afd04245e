import { UsageError } from '../errors.js';

/** `randomBytes` of node:crypto, injected by the host: core has no randomness of its own. */
export type RandomBytes = (size: number) => Uint8Array;

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BASE64URL = `${ALNUM}-_`;
const PREFIX_SEGMENT = /^[A-Za-z0-9]{1,12}[-_]/;
const MAX_PREFIX = 16;
const JWT = /^(eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.)([A-Za-z0-9_-]+)$/;
const MIN_LENGTH = 8;
const ATTEMPTS = 16;

/**
 * The part of a credential a placeholder keeps (R162): its type marker (`sk-proj-`,
 * `sk-ant-api03-`, `ghp_`, `github_pat_`, `AIza`), so the agent's own format checks pass and a
 * human can tell which key it stands for. Whole `word-`/`word_` segments, at most 16 characters.
 */
export function placeholderPrefix(value: string): string {
  if (value.startsWith('AIza')) return 'AIza';
  let prefix = '';
  for (;;) {
    const segment = PREFIX_SEGMENT.exec(value.slice(prefix.length))?.[0];
    if (segment === undefined || prefix.length + segment.length > MAX_PREFIX) return prefix;
    prefix += segment;
  }
}

function randomFrom(alphabet: string, length: number, random: RandomBytes): string {
  const bytes = random(length);
  let text = '';
  for (let index = 0; index < length; index++) text += alphabet[(bytes[index] ?? 0) % alphabet.length];
  return text;
}

/** Every letter and digit replaced by a random one; `-`, `_`, `.` and other marks stay where they are. */
function scramble(body: string, random: RandomBytes): string {
  const fresh = randomFrom(ALNUM, body.length, random);
  return [...body].map((char, index) => (/[A-Za-z0-9]/.test(char) ? fresh[index] : char)).join('');
}

/**
 * A stand-in for `value` of the same shape (R162): same prefix and length, the rest random; a
 * JWT keeps its header and payload (agents read them, e.g. the ChatGPT plan in Codex's
 * id_token) and only its signature is random. `what` names the value in errors.
 */
export function makePlaceholder(value: string, random: RandomBytes, what: string): string {
  if (value.length < MIN_LENGTH) {
    throw new UsageError(`${what} is shorter than ${MIN_LENGTH} characters: too short to replace safely; check the value`);
  }
  const jwt = JWT.exec(value);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const placeholder =
      jwt !== null
        ? `${jwt[1] ?? ''}${randomFrom(BASE64URL, (jwt[2] ?? '').length, random)}`
        : `${placeholderPrefix(value)}${scramble(value.slice(placeholderPrefix(value).length), random)}`;
    if (placeholder !== value) return placeholder;
  }
  throw new UsageError(`${what} has too few letters and digits to replace safely: check the value`);
}

/**
 * Placeholders for every credential of a run, each different from every value and from each
 * other (R162): the proxy must be able to tell them apart.
 */
export function assignPlaceholders(values: ReadonlyArray<{ value: string; what: string }>, random: RandomBytes): string[] {
  const taken = new Set(values.map((entry) => entry.value));
  return values.map((entry) => {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const placeholder = makePlaceholder(entry.value, random, entry.what);
      if (!taken.has(placeholder)) {
        taken.add(placeholder);
        return placeholder;
      }
    }
    throw new UsageError(`${entry.what}: no distinct placeholder found: check the value`);
  });
}
