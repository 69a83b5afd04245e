/**
 * Names the agent chose, made safe to keep and print (R92, R147): a host name is reduced to
 * `[a-z0-9._*-]`; a malformed name keeps its bytes, escaped and bounded.
 */

/** The agent chose these names: keep them printable and short before they reach a terminal. */
export function sanitizeName(name: string): string {
  return name
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/[^a-z0-9._*-]/g, '?')
    .slice(0, 253);
}

/** A protocol name the sandbox (or a forged copy) wrote: lowercase letters and digits, at most 10. */
export function sanitizeProtocol(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 10);
}

/** At most this many characters of a malformed name are kept, then `…` (R147). */
export const MALFORMED_NAME_MAX = 120;

/** Bytes of a malformed name: every byte outside `[a-z0-9.-]` as `\xHH`, at most 120 characters and `…`. */
export function escapeMalformedName(bytes: readonly number[]): string {
  let text = '';
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    const piece = /^[a-z0-9.-]$/.test(char) ? char : `\\x${byte.toString(16).padStart(2, '0')}`;
    if (text.length + piece.length > MALFORMED_NAME_MAX) return `${text}…`;
    text += piece;
  }
  return text;
}

/** An escaped malformed name read back from a record: only what escapeMalformedName writes survives. */
export function sanitizeMalformedName(name: string): string {
  const kept = name.replace(/[^a-z0-9.\\-]/g, '?');
  const cut = kept.length > MALFORMED_NAME_MAX || name.endsWith('…');
  return cut ? `${kept.slice(0, MALFORMED_NAME_MAX).replace(/\?$/, '')}…` : kept;
}

/** A URL-escaped field (Squid's `%#` codes) as bytes; a `%` not followed by two hex digits is itself. */
export function urlEscapedBytes(text: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i += 1) {
    const hex = text[i] === '%' ? /^[0-9a-fA-F]{2}/.exec(text.slice(i + 1, i + 3)) : null;
    if (hex !== null) {
      bytes.push(parseInt(hex[0], 16));
      i += 2;
    } else bytes.push(text.charCodeAt(i) & 0xff);
  }
  return bytes;
}

/** dnsdist's name escaping (`\DDD` decimal, `\.`, `\\`) as bytes; the trailing root dot dropped. */
export function dnsdistNameBytes(text: string): number[] {
  const bytes: number[] = [];
  const name = text.endsWith('.') && !text.endsWith('\\.') ? text.slice(0, -1) : text;
  for (let i = 0; i < name.length; i += 1) {
    const decimal = name[i] === '\\' ? /^[0-9]{3}/.exec(name.slice(i + 1, i + 4)) : null;
    if (decimal !== null) {
      bytes.push(Number(decimal[0]) & 0xff);
      i += 3;
    } else if (name[i] === '\\' && i + 1 < name.length) {
      bytes.push(name.charCodeAt(i + 1) & 0xff);
      i += 1;
    } else bytes.push(name.charCodeAt(i) & 0xff);
  }
  return bytes;
}
