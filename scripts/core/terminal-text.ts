/**
 * Names and text chosen inside the sandbox (file names, container paths, log lines, the
 * agent's final message) reach the user's terminal only through here (R100): a control
 * character could otherwise move the cursor, rewrite earlier lines, set the window title
 * or the clipboard (OSC 52), or hide text behind a bidi override.
 */

/** C0 controls, DEL, C1 controls, and the bidi embeddings/overrides/isolates. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_KEEP_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function escapeCharacter(character: string): string {
  const code = character.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/**
 * One name (or message) on one line: every control character (newline and tab included),
 * DEL, C1 and bidi control is shown as `\xNN` (`\u{NNNN}`), so nothing the sandbox chose
 * can move the cursor, start an escape sequence or break the line.
 */
export function escapeTerminalText(text: string): string {
  return text.replace(UNSAFE, escapeCharacter);
}

/** Multi-line text (a diff, a message): newlines and tabs stay, every other control character is escaped. */
export function escapeTerminalLines(text: string): string {
  return text.replace(UNSAFE_KEEP_LINES, escapeCharacter);
}
