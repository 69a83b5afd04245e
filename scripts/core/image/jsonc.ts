import { UsageError } from '../errors.js';
import { escapeTerminalText } from '../terminal-text.js';

/**
 * JSON with comments (`//`, `/* *\/`) and trailing commas, as devcontainer.json is written
 * (R187). Pure and small on purpose: no dependency for one file format. Comments become
 * spaces (newlines kept, so JSON.parse's positions still point at the right line), then a
 * comma followed only by blanks before `}` or `]` is dropped; strings are copied untouched.
 */
export function parseJsonc(text: string, file: string): unknown {
  const cleaned = dropTrailingCommas(blankComments(text.replace(/^\uFEFF/, ''), file));
  try {
    return JSON.parse(cleaned) as unknown;
  } catch (error) {
    // Node's message may quote the whole text (newlines and all): keep its first clause only.
    const detail = (error instanceof Error ? error.message : String(error)).split(/\n|, "/)[0] ?? '';
    const position = /position (\d+)/.exec(detail);
    const line = position === null ? undefined : cleaned.slice(0, Number(position[1])).split('\n').length;
    const why = escapeTerminalText(detail.slice(0, 120));
    throw new UsageError(`${file} is not valid JSON${line === undefined ? '' : ` (line ${line})`}: ${why}; fix it`);
  }
}

/** Index just past the string literal that starts at `start` (a `"`); unterminated: the end. */
function skipString(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length) {
    const char = text[index];
    if (char === '\\') index += 2;
    else if (char === '"') return index + 1;
    else index += 1;
  }
  return text.length;
}

function blankComments(text: string, file: string): string {
  let out = '';
  let index = 0;
  while (index < text.length) {
    const char = text[index];
    const next = text[index + 1];
    if (char === '"') {
      const end = skipString(text, index);
      out += text.slice(index, end);
      index = end;
    } else if (char === '/' && next === '/') {
      const end = text.indexOf('\n', index);
      const stop = end === -1 ? text.length : end;
      out += ' '.repeat(stop - index);
      index = stop;
    } else if (char === '/' && next === '*') {
      const end = text.indexOf('*/', index + 2);
      if (end === -1) throw new UsageError(`${file} is not valid JSON: a /* comment is never closed; fix it`);
      out += text.slice(index, end + 2).replace(/[^\n]/g, ' ');
      index = end + 2;
    } else {
      out += char;
      index += 1;
    }
  }
  return out;
}

function dropTrailingCommas(text: string): string {
  let out = '';
  let index = 0;
  while (index < text.length) {
    const char = text[index];
    if (char === '"') {
      const end = skipString(text, index);
      out += text.slice(index, end);
      index = end;
      continue;
    }
    if (char === ',') {
      let look = index + 1;
      while (look < text.length && /\s/.test(text[look] ?? '')) look += 1;
      const after = text[look];
      if (after === '}' || after === ']') {
        out += ' ';
        index += 1;
        continue;
      }
    }
    out += char;
    index += 1;
  }
  return out;
}
