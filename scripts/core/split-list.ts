/**
 * The one list splitter: entries separated by `separator` (default: blanks or commas, as users
 * write OPENAI_ALLOWED_DOMAINS and settings values), trimmed, empty ones dropped.
 */
export function splitList(text: string | undefined, separator: RegExp = /[\s,]+/): string[] {
  return (text ?? '')
    .split(separator)
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}
