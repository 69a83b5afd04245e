import { escapeTerminalLines } from '../terminal-text.js';

const COLORS = { bold: '\u001b[1m', red: '\u001b[31m', green: '\u001b[32m', cyan: '\u001b[36m', reset: '\u001b[m' };

/**
 * `git diff` output for a terminal (R100, R106): file contents and names come from the
 * agent, so every control character except newline and tab is shown escaped (an escape
 * sequence in a changed file must not drive the user's terminal), then lines are coloured
 * here, not by git (whose colour codes could not be told from the agent's). Piped output is
 * left as git printed it (a patch stays applicable).
 */
export function renderDiffForTerminal(text: string, color: boolean): string {
  const lines = escapeTerminalLines(text).split('\n');
  if (!color) return lines.join('\n');
  let inHeader = false;
  return lines
    .map((line) => {
      if (line.startsWith('diff --git ')) inHeader = true;
      else if (line.startsWith('@@')) inHeader = false;
      if (line === '') return line;
      if (inHeader) return `${COLORS.bold}${line}${COLORS.reset}`;
      if (line.startsWith('@@')) return `${COLORS.cyan}${line}${COLORS.reset}`;
      if (line.startsWith('+')) return `${COLORS.green}${line}${COLORS.reset}`;
      if (line.startsWith('-')) return `${COLORS.red}${line}${COLORS.reset}`;
      return line;
    })
    .join('\n');
}
