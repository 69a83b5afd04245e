import type { PolicyAction, PolicyChange } from './egress-changes.js';
import type { EgressEvent, EgressKind, EgressReason } from './egress-log-parser.js';
import type { EgressDestination, EgressRecord } from './egress-summary.js';

/**
 * The egress record's stable form (R170, docs/egress-record.md): one JSON object per line, per
 * destination (or, live, per event), per live policy change, and one for what was not recorded.
 * Field names are fixed; a value that is absent is left out, never null. A new optional field
 * keeps version 1; a field removed, renamed or changed in meaning makes version 2.
 */
export const EGRESS_SCHEMA_VERSION = 1;

export type SchemaKind = EgressKind | 'policy' | 'dropped';

export interface EgressSchemaLine {
  v: typeof EGRESS_SCHEMA_VERSION;
  runId: string;
  kind: SchemaKind;
  verdict?: 'allowed' | 'refused';
  time?: string;
  lastTime?: string;
  count?: number;
  name?: string;
  address?: string;
  port?: number;
  protocol?: string;
  reason?: EgressReason;
  bytesUp?: number;
  bytesDown?: number;
  method?: string;
  path?: string;
  status?: number;
  credential?: string;
  action?: PolicyAction;
  pattern?: string;
  by?: string;
  until?: string;
}

/** The fields of a connection or request, in the schema's order; `undefined` values are dropped by `compact`. */
const CONNECTION_FIELDS = [
  'time',
  'lastTime',
  'count',
  'name',
  'address',
  'port',
  'protocol',
  'reason',
  'bytesUp',
  'bytesDown',
  'method',
  'path',
  'status',
  'credential',
] as const;

function compact(line: Record<string, unknown>): EgressSchemaLine {
  return Object.fromEntries(Object.entries(line).filter(([, value]) => value !== undefined)) as unknown as EgressSchemaLine;
}

function connectionLine(runId: string, d: EgressEvent & { lastTime?: string; count?: number }): EgressSchemaLine {
  const fields = Object.fromEntries(CONNECTION_FIELDS.map((key) => [key, d[key]]));
  return compact({ v: EGRESS_SCHEMA_VERSION, runId, kind: d.kind, verdict: d.verdict, ...fields });
}

/** One destination of a stored record (first and last time, count, bytes summed). */
function destinationToSchemaLine(destination: EgressDestination, runId: string): EgressSchemaLine {
  return connectionLine(runId, destination);
}

/** One event as it happens (`egress --follow --json`): `count` is how many occurrences it stands for. */
export function eventToSchemaLine(event: EgressEvent, runId: string): EgressSchemaLine {
  return connectionLine(runId, { ...event, count: event.count ?? 1 });
}

/** One change of the live policy: `action`, `pattern`, and `by`, `until` when known. */
export function policyToSchemaLine(change: PolicyChange, runId: string): EgressSchemaLine {
  const { time, action, pattern, by, until } = change;
  return compact({ v: EGRESS_SCHEMA_VERSION, runId, kind: 'policy', time, action, pattern, by, until });
}

/** `{"v":1,"runId":…,"kind":"dropped","count":N}`: events the sandbox did not record. */
function droppedToSchemaLine(count: number, runId: string): EgressSchemaLine {
  return { v: EGRESS_SCHEMA_VERSION, runId, kind: 'dropped', count };
}

/** A whole record: its destinations in order, its policy changes, then the dropped line when events were not recorded. */
export function toSchemaLines(record: EgressRecord, runId: string): EgressSchemaLine[] {
  return [
    ...record.destinations.map((d) => destinationToSchemaLine(d, runId)),
    ...(record.changes ?? []).map((c) => policyToSchemaLine(c, runId)),
    ...(record.dropped > 0 ? [droppedToSchemaLine(record.dropped, runId)] : []),
  ];
}

/** The lines as text, one JSON object per line. */
export function formatSchemaLines(lines: readonly EgressSchemaLine[]): string {
  return lines.map((line) => `${JSON.stringify(line)}\n`).join('');
}
