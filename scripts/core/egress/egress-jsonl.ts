import { isIP } from 'node:net';
import { findAgentId, type AgentId } from '../agents/agents.js';
import { readPolicyChange, type PolicyChange } from './egress-changes.js';
import { EGRESS_REASONS, type EgressKind, type EgressReason } from './egress-log-parser.js';
import { sanitizeMalformedName, sanitizeName, sanitizeProtocol } from './egress-names.js';
import { sanitizeCredential, sanitizeMethod, sanitizePath } from './egress-requests.js';
import type { EgressDestination, EgressRecord } from './egress-summary.js';

const KINDS: readonly EgressKind[] = ['dns', 'http', 'tls', 'connect', 'request'];

/**
 * The run's agent (`{"agent": ID}`, R199), one JSON object per live policy change (`"kind":"policy"`, R170), one per destination, then
 * `{"dropped": N}` when events were not recorded. With `maxBytes` (R146), lines past it are
 * left out and their events counted as dropped (the changes come first: they are few).
 */
export function formatEgressJsonl(record: EgressRecord, maxBytes = Infinity): string {
  const lines: string[] = [];
  let dropped = record.dropped;
  let size = 40; // room for the dropped line
  const encoder = new TextEncoder();
  const entries: Array<[object, number]> = [
    ...(record.agent === undefined ? [] : [[{ agent: record.agent }, 0] as [object, number]]),
    ...(record.changes ?? []).map((c): [object, number] => [{ kind: 'policy', ...c }, 1]),
    ...record.destinations.map((d): [object, number] => [d, d.count]),
  ];
  for (const [entry, count] of entries) {
    const line = `${JSON.stringify(entry)}\n`;
    const bytes = encoder.encode(line).length;
    if (size + bytes > maxBytes) dropped += count;
    else {
      lines.push(line);
      size += bytes;
    }
  }
  if (dropped > 0) lines.push(`${JSON.stringify({ dropped })}\n`);
  return lines.join('');
}

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

function readDestination(r: Record<string, unknown>): EgressDestination {
  // Copies written before the name check had kind dns|connect and refusals only.
  const kind = r.kind;
  const verdict = r.verdict ?? 'refused';
  const count = r.count;
  if (!KINDS.includes(kind as EgressKind) || (verdict !== 'allowed' && verdict !== 'refused') || !isCount(count) || count < 1)
    throw new Error('shape');
  const text = (value: unknown) => (typeof value === 'string' ? value.replace(/[^0-9A-Za-z:.+-]/g, '').slice(0, 40) : undefined);
  const d: EgressDestination = { time: text(r.time), lastTime: text(r.lastTime), verdict, kind: kind as EgressKind, count };
  if (EGRESS_REASONS.includes(r.reason as EgressReason)) d.reason = r.reason as EgressReason;
  else if (verdict === 'refused') d.reason = kind === 'dns' ? 'DNS' : 'address without a name';
  if (typeof r.name === 'string') d.name = d.reason === 'malformed name' ? sanitizeMalformedName(r.name) : sanitizeName(r.name);
  if (typeof r.address === 'string' && isIP(r.address) !== 0) d.address = r.address;
  if (typeof r.port === 'number' && Number.isInteger(r.port) && r.port > 0 && r.port < 65536) d.port = r.port;
  if (typeof r.protocol === 'string') d.protocol = sanitizeProtocol(r.protocol);
  if (isCount(r.bytesUp)) d.bytesUp = r.bytesUp;
  if (isCount(r.bytesDown)) d.bytesDown = r.bytesDown;
  if (d.kind === 'request') readRequestFields(r, d);
  if (d.name === undefined && d.address === undefined) throw new Error('no destination');
  return d;
}

/**
 * Reads a `<run id>.jsonl` back. It lies in the Codex home, which the agent can write, so
 * every field is checked and names are sanitized; bad lines are counted, not trusted.
 */
export function parseEgressJsonl(text: string): EgressRecord & { badLines: number } {
  const destinations: EgressDestination[] = [];
  const changes: PolicyChange[] = [];
  let badLines = 0;
  let dropped = 0;
  let agent: AgentId | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as Record<string, unknown>;
      if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new Error('shape');
      if (Object.keys(r).length === 1 && isCount(r.dropped)) dropped += r.dropped;
      else if (Object.keys(r).length === 1 && typeof r.agent === 'string' && findAgentId(r.agent) !== undefined)
        agent = findAgentId(r.agent);
      else if (r.kind === 'policy') changes.push(readPolicyChange(r));
      else destinations.push(readDestination(r));
    } catch {
      badLines += 1;
    }
  }
  return { destinations, dropped, ...(changes.length === 0 ? {} : { changes }), ...(agent === undefined ? {} : { agent }), badLines };
}

/** A request's fields (R166), each checked: the record is read back like any file the launcher did not just write. */
function readRequestFields(r: Record<string, unknown>, d: EgressDestination): void {
  if (typeof r.method === 'string') d.method = sanitizeMethod(r.method);
  if (typeof r.path === 'string') d.path = sanitizePath(r.path);
  if (isCount(r.status) && r.status < 1000) d.status = r.status;
  if (typeof r.credential === 'string') d.credential = sanitizeCredential(r.credential);
}
