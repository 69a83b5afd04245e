/**
 * A small deterministic YAML emitter for manifests (`exec --emit`, R182): plain objects,
 * arrays, strings, finite numbers and booleans, nothing else (no yaml library at run time).
 * Every string value is double-quoted with JSON's escapes, which YAML 1.1 and 1.2 read the
 * same way; characters some YAML readers take as line breaks or markers (NEL, U+2028, U+2029,
 * the BOM, C1 controls) and lone surrogates are escaped too, so no value can end its line,
 * start a new key or change type (`"yes"`, `"0x10"`, `"null"` stay strings).
 */

export type YamlValue = string | number | boolean | YamlValue[] | { [key: string]: YamlValue | undefined };

/** A key left unquoted: letters first, then what label keys use; never a word YAML 1.1 reads as a boolean or null. */
const PLAIN_KEY = /^[A-Za-z][A-Za-z0-9_./-]*$/;
const RESERVED_WORDS = /^(y|n|yes|no|on|off|true|false|null)$/i;

/** JSON.stringify leaves these raw; some YAML readers do not take them as plain characters. */
const EXTRA_ESCAPES = /[\u007f-\u009f\u2028\u2029\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A string as a YAML double-quoted scalar: one line, every special character escaped. */
export function quoteYamlString(text: string): string {
  return JSON.stringify(text).replace(EXTRA_ESCAPES, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function renderKey(key: string): string {
  return PLAIN_KEY.test(key) && !RESERVED_WORDS.test(key) ? key : quoteYamlString(key);
}

function renderScalar(value: string | number | boolean): string {
  if (typeof value === 'string') return quoteYamlString(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`YAML: ${value} is not a finite number`);
    return String(value);
  }
  return value ? 'true' : 'false';
}

const isScalar = (value: YamlValue): value is string | number | boolean => typeof value !== 'object';
const isEmpty = (value: YamlValue): boolean =>
  Array.isArray(value) ? value.length === 0 : typeof value === 'object' && Object.values(value).every((item) => item === undefined);

/** A value after `key:` or `- `: scalars and empty collections inline, the rest on the next lines. */
function renderInline(value: YamlValue): string | undefined {
  if (isScalar(value)) return renderScalar(value);
  if (isEmpty(value)) return Array.isArray(value) ? '[]' : '{}';
  return undefined;
}

function renderLines(value: YamlValue, indent: string): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => renderItem(item, indent));
  if (typeof value !== 'object') return [`${indent}${renderScalar(value)}`];
  const lines: string[] = [];
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    const inline = renderInline(item);
    if (inline !== undefined) lines.push(`${indent}${renderKey(key)}: ${inline}`);
    // Block sequences under a key are indented like their parent's children.
    else lines.push(`${indent}${renderKey(key)}:`, ...renderLines(item, `${indent}  `));
  }
  return lines;
}

/** One sequence item: its first line after `- `, the rest aligned under it. */
function renderItem(item: YamlValue, indent: string): string[] {
  const inline = renderInline(item);
  if (inline !== undefined) return [`${indent}- ${inline}`];
  const [first = '', ...rest] = renderLines(item, `${indent}  `);
  return [`${indent}- ${first.slice(indent.length + 2)}`, ...rest];
}

/**
 * The document: `comments` as `# ` lines first (one per entry, each made one line), then the
 * value as block YAML, ending with a newline. Deterministic: key order is insertion order.
 */
export function renderYaml(value: { [key: string]: YamlValue | undefined }, comments: readonly string[] = []): string {
  const header = comments.map((line) => `# ${line.replace(/[\r\n\u0085\u2028\u2029]+/g, ' ')}`.trimEnd());
  return `${[...header, ...renderLines(value, '')].join('\n')}\n`;
}
