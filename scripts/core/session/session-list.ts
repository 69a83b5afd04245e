import { DEFAULT_AGENT } from '../agents/agents.js';
import { LABELS } from '../run/container-identity.js';
import { UsageError } from '../errors.js';
import { SESSION_LABELS } from './session-identity.js';
import { escapeTerminalText } from '../terminal-text.js';

/** One managed container as `list` shows it (plain runs have no session name). */
export interface SessionRecord {
  name: string | null;
  container: string;
  /** docker's state: running, exited, created, paused, … */
  status: string;
  workdir: string;
  workdirs: string[];
  image: string;
  /** ISO 8601. */
  created: string;
  runId: string;
  /** The session's mount-set label ('' when not a session). */
  mounts: string;
  /** The agent it runs (label; absent: codex, R120) and, once looked up, that agent's version in its image. */
  agent: string;
  agentVersion?: string;
}

const label = (name: string) => `{{json (.Label ${JSON.stringify(name)})}}`;

/** `docker ps --format`: one JSON object per line; labels read one by one (values may hold commas). */
export const PS_FORMAT =
  `{"container":{{json .Names}},"state":{{json .State}},"image":{{json .Image}},"created":{{json .CreatedAt}},` +
  `"session":${label(SESSION_LABELS.session)},"workdir":${label(LABELS.workdir)},"workdirs":${label(SESSION_LABELS.workdirs)},` +
  `"mounts":${label(SESSION_LABELS.mounts)},"runId":${label(LABELS.runId)},"agent":${label(LABELS.agent)}}`;

/** "2025-11-22 19:39:57 +0000 UTC" → "2025-11-22T19:39:57+00:00" (unparseable values pass through). */
export function toIsoTime(dockerTime: string): string {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.\d+)? ([+-]\d{2})(\d{2})/.exec(dockerTime);
  return match === null ? dockerTime : `${match[1]}T${match[2]}${match[3]}:${match[4]}`;
}

function parseWorkdirs(first: string, label: string): string[] {
  try {
    const parsed = JSON.parse(label) as unknown;
    if (Array.isArray(parsed) && parsed.length > 0 && parsed.every((entry) => typeof entry === 'string')) return parsed as string[];
  } catch {
    // no (or a foreign) label: the single workdir
  }
  return first === '' ? [] : [first];
}

/** Parses the output of `docker ps --format PS_FORMAT`. */
export function parsePsOutput(stdout: string): SessionRecord[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const raw = JSON.parse(line) as Record<string, string>;
      const workdir = raw.workdir ?? '';
      return {
        name: raw.session === undefined || raw.session === '' ? null : raw.session,
        container: raw.container ?? '',
        status: raw.state ?? '',
        workdir,
        workdirs: parseWorkdirs(workdir, raw.workdirs ?? ''),
        image: raw.image ?? '',
        created: toIsoTime(raw.created ?? ''),
        runId: raw.runId ?? '',
        mounts: raw.mounts ?? '',
        // A run of the image's default agent is labelled with none (core/agents/agents.ts selectedAgent).
        agent: raw.agent === undefined || raw.agent === '' ? DEFAULT_AGENT : raw.agent,
      };
    });
}

export type StateSelection = 'default' | 'all' | 'running' | 'stopped';
export const FILTER_KEYS = ['name', 'workdir', 'image', 'status'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export interface SessionFilter {
  key: FilterKey;
  value: string;
}

/** `key=value` words; unknown keys and missing values are usage errors. */
export function parseFilters(words: readonly string[]): SessionFilter[] {
  return words.map((word) => {
    const eq = word.indexOf('=');
    const key = eq < 0 ? word : word.slice(0, eq);
    const value = eq < 0 ? '' : word.slice(eq + 1);
    if (!(FILTER_KEYS as readonly string[]).includes(key)) {
      throw new UsageError(
        `--filter ${JSON.stringify(word)}: unknown key ${JSON.stringify(key)}; use one of ${FILTER_KEYS.join(', ')} (key=value)`,
      );
    }
    if (value === '') throw new UsageError(`--filter ${JSON.stringify(word)} has no value: use ${key}=VALUE`);
    return { key: key as FilterKey, value };
  });
}

export const isRunning = (record: SessionRecord) => record.status === 'running';

function matches(record: SessionRecord, filter: SessionFilter): boolean {
  switch (filter.key) {
    case 'name':
      return record.name === filter.value || record.container === filter.value;
    case 'workdir':
      return record.workdirs.includes(filter.value);
    case 'image':
      return record.image === filter.value;
    case 'status':
      return record.status === filter.value || (filter.value === 'stopped' && !isRunning(record));
  }
}

/**
 * default: every session (any state) and every running plain run; all: everything
 * managed; running / stopped: by state. Filters AND together. Sorted by name.
 */
export function selectRecords(
  records: readonly SessionRecord[],
  state: StateSelection,
  filters: readonly SessionFilter[],
): SessionRecord[] {
  const byState = (record: SessionRecord) => {
    if (state === 'all') return true;
    if (state === 'running') return isRunning(record);
    if (state === 'stopped') return !isRunning(record);
    return record.name !== null || isRunning(record);
  };
  return records
    .filter((record) => byState(record) && filters.every((filter) => matches(record, filter)))
    .sort((a, b) => (a.name ?? a.container).localeCompare(b.name ?? b.container));
}

export type ListFormat = 'table' | 'json' | 'names';

/** The text printed on stdout (ends with a newline unless empty). */
export function renderRecords(records: readonly SessionRecord[], format: ListFormat): string {
  if (format === 'json') {
    const rows = records.map(({ name, container, status, workdir, workdirs, image, created, runId, agent, agentVersion }) => ({
      name,
      container,
      status,
      workdir,
      workdirs,
      image,
      created,
      runId,
      agent,
      agentVersion: agentVersion ?? null,
    }));
    return `${JSON.stringify(rows, null, 2)}\n`;
  }
  // Labels and paths are shown escaped: one record per line, no terminal control (R100).
  if (format === 'names') {
    return records.flatMap((record) => (record.name === null ? [] : [`${escapeTerminalText(record.name)}\n`])).join('');
  }
  if (records.length === 0) return '';
  const rows = [
    ['NAME', 'CONTAINER', 'STATUS', 'AGENT', 'WORKDIR', 'IMAGE', 'CREATED'],
    ...records.map((record) =>
      [
        record.name ?? '-',
        record.container,
        record.status,
        record.agentVersion === undefined ? record.agent : `${record.agent} ${record.agentVersion}`,
        record.workdirs.length > 1 ? `${record.workdir} (+${record.workdirs.length - 1})` : record.workdir,
        record.image,
        record.created,
      ].map(escapeTerminalText),
    ),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return (
    rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n') +
    '\n'
  );
}
