/** The errno code of a Node fs error (`ENOENT`, …), for decisions and one-line messages; anything else as text. */
export function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : String(error);
}
