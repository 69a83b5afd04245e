import { EnvironmentError } from './errors.js';
import type { SettingsLayer } from './settings.js';

/** One approved project settings file (keyed by its realpath in the store). */
export interface TrustEntry {
  /** Hex sha256 of the file's bytes when it was approved. */
  sha256: string;
  approvedAt: string;
  /** The policy lines it implied then, to show a diff when it changes. */
  policy: string[];
  /** What its paths resolved to then (`mounts read_only data -> /real/path`, R104); absent: none. */
  resolved?: string[];
}

export interface TrustStore {
  version: 1;
  files: Record<string, TrustEntry>;
}

export type TrustState = 'trusted' | 'changed' | 'untrusted';

export const EMPTY_TRUST_STORE: TrustStore = { version: 1, files: {} };

/** The policy a settings layer implies, one `key: value` line per key it sets. */
export function describeSettingsPolicy(layer: SettingsLayer): string[] {
  const lines: string[] = [];
  const list = (name: string, values: ReadonlyArray<string | number> | undefined) => {
    if (values !== undefined) lines.push(`${name}: ${values.length === 0 ? '(none)' : values.join(' ')}`);
  };
  list('network allow', layer.allow);
  list('network deny', layer.deny);
  list('network allow_host_ports', layer.allowHostPorts);
  list('mounts read_only', layer.readOnly);
  if (layer.image !== undefined) lines.push(`run image: ${layer.image}`);
  if (layer.initScript !== undefined) lines.push(`run init_script: ${layer.initScript}`);
  if (layer.agent !== undefined) lines.push(`run agent: ${layer.agent}`);
  if (layer.ask !== undefined) lines.push(`network ask: ${layer.ask}`);
  // The base decides everything in the image below the entrypoint (R191): approved like the rest.
  if (layer.baseImage !== undefined) lines.push(`build base_image: ${layer.baseImage}`);
  return lines;
}

/** `+ line` added, `- line` removed, `  line` unchanged; no previous version: all added. */
export function diffPolicy(previous: readonly string[] | undefined, next: readonly string[]): string[] {
  const before = new Set(previous ?? []);
  const after = new Set(next);
  return [
    ...(previous ?? []).filter((line) => !after.has(line)).map((line) => `- ${line}`),
    ...next.map((line) => (before.has(line) ? `  ${line}` : `+ ${line}`)),
  ];
}

/**
 * Trusted: the same bytes, and every path in them resolving where it did when approved
 * (R104): a symlink the agent re-pointed (inside the workdir) or a path that now resolves
 * elsewhere needs approval again.
 */
export function trustStateOf(store: TrustStore, file: string, sha256: string, resolved: readonly string[] = []): TrustState {
  const entry = store.files[file];
  if (entry === undefined) return 'untrusted';
  const before = entry.resolved ?? [];
  const same = before.length === resolved.length && before.every((line, index) => line === resolved[index]);
  return entry.sha256 === sha256 && same ? 'trusted' : 'changed';
}

export function recordTrust(store: TrustStore, file: string, entry: TrustEntry): TrustStore {
  return { version: 1, files: { ...store.files, [file]: entry } };
}

export function revokeTrust(store: TrustStore, file: string): TrustStore {
  const files = { ...store.files };
  delete files[file];
  return { version: 1, files };
}

/** Parses trust.json; a damaged store is never guessed at (that could trust the wrong file). */
export function parseTrustStore(text: string, file: string): TrustStore {
  const damaged = () =>
    new EnvironmentError(`${file} is damaged: delete it and approve your settings files again with \`run-in-container trust\``);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw damaged();
  }
  if (typeof data !== 'object' || data === null || (data as { version?: unknown }).version !== 1) throw damaged();
  const files = (data as { files?: unknown }).files;
  if (typeof files !== 'object' || files === null || Array.isArray(files)) throw damaged();
  const result: TrustStore = { version: 1, files: {} };
  for (const [path, entry] of Object.entries(files as Record<string, unknown>)) {
    const e = entry as Partial<TrustEntry> | null;
    if (
      e === null ||
      typeof e !== 'object' ||
      typeof e.sha256 !== 'string' ||
      !/^[0-9a-f]{64}$/.test(e.sha256) ||
      typeof e.approvedAt !== 'string' ||
      !Array.isArray(e.policy) ||
      !e.policy.every((line) => typeof line === 'string') ||
      (e.resolved !== undefined && (!Array.isArray(e.resolved) || !e.resolved.every((line) => typeof line === 'string')))
    ) {
      throw damaged();
    }
    result.files[path] = {
      sha256: e.sha256,
      approvedAt: e.approvedAt,
      policy: e.policy,
      ...(e.resolved === undefined ? {} : { resolved: e.resolved }),
    };
  }
  return result;
}
