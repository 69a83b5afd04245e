import { splitList } from './split-list.js';
import ini from 'ini';
import { parseAllowSpec, parseHostPattern, parsePort } from './egress/allow-spec.js';
import { parseAgentId } from './agents/agents.js';
import { UsageError } from './errors.js';
import { validateImageReference } from './image/image-tags.js';

/**
 * The values a settings file (`.codex/sandbox.ini`, `~/.config/codex-sandbox/config.ini`),
 * the environment or the flags can set. allow/deny entries are SPECs as `--allow` takes
 * them (checked here, expanded by core/egress-policy.ts); paths are resolved by the host.
 */
export interface SettingsValues {
  allow: string[];
  deny: string[];
  allowHostPorts: number[];
  /** `[network] no_inspect`: hosts whose TLS the sandbox's proxy passes through unopened (R160). */
  noInspect: string[];
  /** `[network] ask = true|false` (R172): like `--ask` for interactive runs, never for `exec`. */
  ask?: string;
  readOnly: string[];
  image?: string;
  initScript?: string;
  /** `[run] agent`: which agent a run starts (R120); checked against the registry. */
  agent?: string;
  /** `[build] base_image`: the base of `build` and of a run's automatic build (R191). */
  baseImage?: string;
}

export type SettingsKey = keyof SettingsValues;

/** One source's values: only the keys it sets. */
export type SettingsLayer = Partial<SettingsValues>;

/** `[section] key` → the typed key, and how its text is read. */
const SCHEMA: Record<string, Record<string, { key: SettingsKey; kind: 'list' | 'ports' | 'single' }>> = {
  network: {
    allow: { key: 'allow', kind: 'list' },
    deny: { key: 'deny', kind: 'list' },
    allow_host_ports: { key: 'allowHostPorts', kind: 'ports' },
    no_inspect: { key: 'noInspect', kind: 'list' },
    ask: { key: 'ask', kind: 'single' },
  },
  mounts: { read_only: { key: 'readOnly', kind: 'list' } },
  run: {
    image: { key: 'image', kind: 'single' },
    init_script: { key: 'initScript', kind: 'single' },
    agent: { key: 'agent', kind: 'single' },
  },
  build: { base_image: { key: 'baseImage', kind: 'single' } },
};

/** How each key is spelled in a settings file, for messages. */
export const SETTINGS_FILE_KEYS: Record<SettingsKey, string> = {
  allow: '[network] allow',
  deny: '[network] deny',
  allowHostPorts: '[network] allow_host_ports',
  noInspect: '[network] no_inspect',
  ask: '[network] ask',
  readOnly: '[mounts] read_only',
  image: '[run] image',
  initScript: '[run] init_script',
  agent: '[run] agent',
  baseImage: '[build] base_image',
};

const MAX_SETTINGS_BYTES = 64 * 1024;

/** Settings files are small UTF-8 text; anything else is refused before parsing. */
export function decodeSettingsBytes(bytes: Uint8Array, file: string): string {
  if (bytes.length > MAX_SETTINGS_BYTES) {
    throw new UsageError(`${file} is larger than 64 KiB: a settings file is a few lines of text; fix or delete it`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = '\0';
  }
  if (text.includes('\0') || /[\u0001-\u0008\u000e-\u001f\u007f]/.test(text)) {
    throw new UsageError(`${file} is not a text file (binary data): fix or delete it`);
  }
  return text.replace(/^\uFEFF/, '');
}

/**
 * Checks every line (so errors name file:line) and returns where each key was set.
 * `ini` itself accepts almost anything (a line without `=` becomes `key = true`, an
 * unclosed `[section` a key), so the structure is checked here first.
 */
function checkStructure(text: string, file: string): Map<string, number> {
  const seen = new Map<string, number>();
  let section: string | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    const where = `${file}:${index + 1}`;
    if (line === '' || line.startsWith(';') || line.startsWith('#')) return;
    const header = /^\[([^\]]*)\]$/.exec(line);
    if (header !== null) {
      section = (header[1] ?? '').trim();
      if (SCHEMA[section] === undefined) {
        throw new UsageError(`${where}: unknown section [${section}]: use [network], [mounts], [run] or [build]`);
      }
      return;
    }
    const assignment = /^([A-Za-z0-9_.-]+)\s*=/.exec(line);
    if (assignment === null) {
      throw new UsageError(`${where}: ${JSON.stringify(line.slice(0, 60))} is neither "[section]" nor "key = value": fix the line`);
    }
    const key = assignment[1] ?? '';
    if (section === undefined) {
      throw new UsageError(`${where}: ${key} is outside a section: put it under [network], [mounts], [run] or [build]`);
    }
    if (SCHEMA[section]?.[key] === undefined) {
      const known = Object.keys(SCHEMA[section] ?? {}).join(', ');
      throw new UsageError(`${where}: unknown key ${key} in [${section}]: use ${known}`);
    }
    const id = `${section}.${key}`;
    if (seen.has(id)) throw new UsageError(`${where}: ${key} is set twice in [${section}] (also line ${seen.get(id)}): keep one`);
    seen.set(id, index + 1);
  });
  return seen;
}

/**
 * Parses one settings file's text into the keys it sets. `file` names it in errors
 * (file:line for structure, file [section] key for values).
 */
export function parseSettingsText(text: string, file: string): SettingsLayer {
  const lines = checkStructure(text, file);
  const parsed = ini.parse(text) as Record<string, Record<string, unknown>>;
  const layer: SettingsLayer = {};
  for (const [section, keys] of Object.entries(SCHEMA)) {
    for (const [name, spec] of Object.entries(keys)) {
      const raw = parsed[section]?.[name];
      if (raw === undefined || raw === null) continue;
      const value = String(raw).trim();
      const what = `${file}:${lines.get(`${section}.${name}`) ?? '?'}: [${section}] ${name}`;
      if (spec.kind === 'ports') {
        layer.allowHostPorts = [...new Set(splitList(value).map((entry) => parsePort(entry, `${what}:`)))];
      } else if (spec.kind === 'list') {
        const entries = splitList(value);
        // Same syntax and errors as --allow/--deny (--no-inspect: host patterns only), but naming file:line.
        if (spec.key === 'noInspect') {
          layer.noInspect = [...new Set(entries.map((entry) => parseHostPattern(entry, what)))];
          continue;
        }
        if (spec.key !== 'readOnly') for (const entry of entries) parseAllowSpec(entry, what);
        (layer as Record<string, string[]>)[spec.key] = entries;
      } else {
        if (value === '') throw new UsageError(`${what} is empty: give a value or remove the line`);
        if (spec.key === 'ask' && value !== 'true' && value !== 'false')
          throw new UsageError(`${what} is ${JSON.stringify(value.slice(0, 40))}: give true or false`);
        (layer as Record<string, string>)[spec.key] =
          spec.key === 'agent' ? parseAgentId(value, what) : spec.key === 'baseImage' ? validateImageReference(value, what) : value;
      }
    }
  }
  return layer;
}

/** True when the layer sets anything at all (an empty or comment-only file needs no trust). */
export function hasSettings(layer: SettingsLayer): boolean {
  return Object.values(layer).some((value) => value !== undefined);
}
