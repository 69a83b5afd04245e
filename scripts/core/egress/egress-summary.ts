import type { AgentId } from '../agents/agents.js';
import { explainInvalidDomain } from './allowlist.js';
import type { PolicyChange } from './egress-changes.js';
import type { EgressEvent, EgressReason } from './egress-log-parser.js';
import { describeRequestReason } from './egress-requests.js';

/** One destination of a run, allowed or refused: what `<run id>.jsonl` holds, one per line. */
export interface EgressDestination extends Omit<EgressEvent, 'time'> {
  /** First and last time (ISO 8601 when known). */
  time?: string;
  lastTime?: string;
  count: number;
}

/** A run's egress record: its destinations, how many events the sandbox did not record (R143), its live policy changes (R170). */
export interface EgressRecord {
  destinations: EgressDestination[];
  dropped: number;
  /** Changes of the live policy during the run, in order; absent when there were none. */
  changes?: PolicyChange[];
  /** The run's agent: whose background hosts its refusals are compared with (absent in records before R199). */
  agent?: AgentId;
}

const SHOWN_IN_SUMMARY = 8;

/**
 * Hosts the run's agent tries on its own that no run needs (AgentSpec.backgroundHosts: host →
 * why, e.g. an update check): shown as `host (why — not needed)`, never suggested for --allow.
 */
export type BackgroundHosts = Readonly<Record<string, string>>;

/** Why `label` (a summary label or a name) is a background host, when it is one (own keys only: a name is never `__proto__`'s). */
export function explainBackgroundHost(label: string | undefined, background: BackgroundHosts): string | undefined {
  return label !== undefined && Object.hasOwn(background, label) ? background[label] : undefined;
}

const keyOf = (e: EgressEvent) =>
  [
    e.verdict,
    e.reason ?? '',
    e.kind,
    e.name ?? '',
    e.kind === 'connect' || e.name === undefined ? (e.address ?? '') : '',
    e.port ?? '',
    e.protocol ?? '',
    e.method ?? '',
    e.path ?? '',
    e.status ?? '',
    e.credential ?? '',
  ].join('|');

function widen(into: EgressDestination, event: EgressEvent): void {
  into.count += event.count ?? 1;
  if (event.bytesUp !== undefined) into.bytesUp = (into.bytesUp ?? 0) + event.bytesUp;
  if (event.bytesDown !== undefined) into.bytesDown = (into.bytesDown ?? 0) + event.bytesDown;
  if (event.time === undefined) return;
  if (into.time === undefined || event.time < into.time) into.time = event.time;
  if (into.lastTime === undefined || event.time > into.lastTime) into.lastTime = event.time;
}

/** Groups events per destination and decision (count, bytes, first/last time): refusals first, then most frequent. */
export function aggregateEgress(events: readonly EgressEvent[]): EgressDestination[] {
  const byKey = new Map<string, EgressDestination>();
  for (const event of events) {
    const key = keyOf(event);
    const existing = byKey.get(key);
    if (existing !== undefined) {
      widen(existing, event);
      continue;
    }
    byKey.set(key, {
      verdict: event.verdict,
      ...(event.reason === undefined ? {} : { reason: event.reason }),
      kind: event.kind,
      ...(event.name === undefined ? {} : { name: event.name }),
      ...(event.address === undefined ? {} : { address: event.address }),
      ...(event.port === undefined ? {} : { port: event.port }),
      ...(event.protocol === undefined ? {} : { protocol: event.protocol }),
      ...requestFields(event),
      count: event.count ?? 1,
      ...(event.bytesUp === undefined ? {} : { bytesUp: event.bytesUp }),
      ...(event.bytesDown === undefined ? {} : { bytesDown: event.bytesDown }),
      time: event.time,
      lastTime: event.time,
    });
  }
  // Bytes reported apart from their connections (`#conn`, R151) never make a count of 0.
  for (const destination of byKey.values()) destination.count = Math.max(destination.count, 1);
  return [...byKey.values()].sort(
    (a, b) =>
      Number(a.verdict === 'allowed') - Number(b.verdict === 'allowed') || b.count - a.count || (a.time ?? '').localeCompare(b.time ?? ''),
  );
}

/** A request's method, path, status and credential (R166), when it has them. */
function requestFields(e: EgressEvent): Partial<EgressEvent> {
  return {
    ...(e.method === undefined ? {} : { method: e.method }),
    ...(e.path === undefined ? {} : { path: e.path }),
    ...(e.status === undefined ? {} : { status: e.status }),
    ...(e.credential === undefined ? {} : { credential: e.credential }),
  };
}

/** `pypi.org`, `cdn.test:443`, `10.0.0.5:5432`, `[fd00::1]:22`, `10.0.0.5:53/udp`, `GET api.test/v1/x`. */
export function describeDestination(destination: EgressDestination): string {
  if (destination.kind === 'dns') return destination.name ?? '?';
  if (destination.kind === 'request') return `${destination.method ?? '?'} ${destination.name ?? '?'}${destination.path ?? ''}`;
  const host = destination.name ?? (destination.address?.includes(':') ? `[${destination.address}]` : (destination.address ?? '?'));
  const port = destination.port === undefined ? '' : `:${destination.port}`;
  const protocol = destination.protocol === undefined || destination.protocol === 'tcp' ? '' : `/${destination.protocol}`;
  return `${host}${port}${protocol}`;
}

/**
 * The `--allow` that would let it through, when there is a safe one: a name refused by the
 * DNS filter or the name check gets `--allow name` (`name:port` off 80/443); a name that did
 * not match its address, TLS without a name and bare addresses get nothing.
 */
export function suggestAllow(destination: EgressDestination): string | undefined {
  const name = destination.name;
  if (destination.verdict !== 'refused' || name === undefined || explainInvalidDomain(name) !== undefined) return undefined;
  if (destination.reason !== 'name not allowed' && destination.reason !== 'DNS') return undefined;
  if (destination.kind === 'dns' || destination.kind === 'http' || destination.kind === 'tls') return name;
  const tcp = destination.protocol === undefined || destination.protocol === 'tcp';
  if (!tcp || destination.port === undefined || destination.port === 80 || destination.port === 443) return undefined;
  return `${name}:${destination.port}`;
}

/** Entry text and `--allow` bounds of the end-of-run line (R94, R145): under 1,000 characters always. */
const ENTRIES_BUDGET = 400;
const LABEL_MAX = 48;
const SUGGESTED = 3;
const SUGGESTION_NAME_MAX = 64;

/** A long name (up to 253 characters, or an escaped malformed one) cut in the middle: `start…end`. */
export function shortenLabel(text: string, max = LABEL_MAX): string {
  if (text.length <= max) return text;
  // Never inside an escape (`\xHH`, R147): the start of the escape a cut falls into, or -1.
  const escapeAround = (cut: number) => {
    const start = text.lastIndexOf('\\', cut - 1);
    return start >= 0 && cut - start < 4 ? start : -1;
  };
  let head = max - 21;
  let tail = text.length - 20;
  if (escapeAround(head) >= 0) head = escapeAround(head);
  if (escapeAround(tail) >= 0) tail = escapeAround(tail) + 4;
  return `${text.slice(0, head)}…${text.slice(tail)}`;
}

interface SummaryEntry {
  label: string;
  count: number;
  reasons: Set<EgressReason>;
  suggestions: Set<string>;
  /** Refused by the DNS filter (the agent's tools resolve a name before they connect)… */
  askedByDns: boolean;
  /** …and never by the name check: Squid looks up every Host and SNI it refuses, so a Host/SNI flood has DNS refusals too. */
  viaProxy: boolean;
  first: string;
  order: number;
}

/** One entry per name (its DNS refusal and its refused connections together); ports other than 80/443 shown, bare addresses keep theirs. */
function summaryEntries(refused: readonly EgressDestination[]): SummaryEntry[] {
  const byLabel = new Map<string, SummaryEntry>();
  for (const d of refused) {
    const offPort = d.port !== undefined && d.port !== 80 && d.port !== 443 && (d.protocol === undefined || d.protocol === 'tcp');
    // A credential sent where it may not go is named with the host (R162: the run tried to leak).
    const leak = d.reason === 'credential sent' ? describeRequestReason(d.reason, d.name, d.credential) : undefined;
    const label = leak ?? (d.name === undefined ? describeDestination(d) : offPort ? `${d.name}:${d.port}` : d.name);
    const order = byLabel.size;
    const entry = byLabel.get(label) ?? {
      label,
      count: 0,
      reasons: new Set(),
      suggestions: new Set(),
      askedByDns: false,
      viaProxy: false,
      first: '',
      order,
    };
    entry.count += d.count;
    if (d.reason !== undefined) entry.reasons.add(d.reason);
    const suggestion = suggestAllow(d);
    if (suggestion !== undefined) entry.suggestions.add(suggestion);
    if (d.kind === 'dns' && d.reason === 'DNS') entry.askedByDns = true;
    if (d.kind === 'http' || d.kind === 'tls') entry.viaProxy = true;
    if (d.time !== undefined && (entry.first === '' || d.time < entry.first)) entry.first = d.time;
    byLabel.set(label, entry);
  }
  return [...byLabel.values()];
}

/**
 * At most 3 `--allow` suggestions: names the agent's tools asked for (refused by the DNS filter
 * and never seen by the name check: a tool stops at NXDOMAIN) before the rest (Host or SNI
 * names, which the agent chose to send past the DNS), each group in order of first appearance;
 * names too long for the line are left to `egress`. `…` when there are more.
 */
/** The patterns a run's live changes left allowed at its end (the latest change of each wins). */
function liveAllowed(changes: readonly PolicyChange[]): string[] {
  const last = new Map<string, string>();
  for (const change of [...changes].sort((a, b) => a.time.localeCompare(b.time))) last.set(change.pattern, change.action);
  return [...last].filter(([, action]) => action === 'allow').map(([pattern]) => pattern);
}

/** `name` or `*.name` covers a summary label (a name, or `name:port`: never by a live change, which is 80/443). */
function coversPattern(pattern: string, label: string): boolean {
  if (label.includes(':') || label.includes(' ')) return false;
  return pattern.startsWith('*.') ? label.endsWith(pattern.slice(1)) : label === pattern;
}

function chooseSuggestions(entries: readonly SummaryEntry[]): { chosen: string[]; more: boolean } {
  const asked = (e: SummaryEntry) => Number(e.askedByDns && !e.viaProxy);
  const ranked = [...entries].sort((a, b) => asked(b) - asked(a) || (a.first || '~').localeCompare(b.first || '~') || a.order - b.order);
  const all = [...new Set(ranked.flatMap((e) => [...e.suggestions]))];
  const fitting = all.filter((s) => s.length <= SUGGESTION_NAME_MAX + 6);
  const chosen = fitting.slice(0, SUGGESTED);
  return { chosen, more: all.length > chosen.length };
}

/**
 * The one line printed after a run; undefined when nothing was refused. Only refusals are
 * listed (an admitted connection is never called refused), each destination once with its
 * reasons, long names shortened, as many as fit (`N more`); what the sandbox did not record is
 * counted (R143). Under 1,000 characters however many names, of whatever length (R145). The
 * agent's background hosts say why they are not needed instead, and are never suggested.
 */
export function formatEgressSummary(record: EgressRecord, background: BackgroundHosts = {}): string | undefined {
  const refused = record.destinations.filter((d) => d.verdict === 'refused');
  const dropped = record.dropped > 0 ? ` (+${record.dropped} events not recorded)` : '';
  if (refused.length === 0) {
    return record.dropped > 0 ? `egress: no refusal logged, but ${record.dropped} events were not recorded (see egress)` : undefined;
  }
  const entries = summaryEntries(refused);
  const live = liveAllowed(record.changes ?? []);
  const shown: string[] = [];
  let used = 0;
  for (const e of entries.slice(0, SHOWN_IN_SUMMARY)) {
    const allowedLive = live.some((pattern) => coversPattern(pattern, e.label)) ? ', then allowed live' : '';
    const why = explainBackgroundHost(e.label, background);
    const detail =
      why === undefined
        ? `${e.count}×${e.reasons.size === 0 ? '' : `, ${[...e.reasons].join(', ')}`}${allowedLive}`
        : `${why} — not needed`;
    const text = `${shortenLabel(e.label)} (${detail})`;
    if (shown.length > 0 && used + text.length > ENTRIES_BUDGET) break;
    shown.push(text);
    used += text.length + 3;
  }
  const listed = shown.length;
  if (entries.length > listed) shown.push(`${entries.length - listed} more`);
  const noun = entries.length === 1 ? 'destination' : 'destinations';
  // A name allowed live later in the run (allow, approve, --ask) needs no --allow (R167), nor one the agent tries on its own.
  const { chosen, more } = chooseSuggestions(
    entries.filter(
      (e) => !live.some((pattern) => coversPattern(pattern, e.label)) && explainBackgroundHost(e.label, background) === undefined,
    ),
  );
  const allow = chosen.length === 0 ? '' : ` — allow with: ${chosen.map((s) => `--allow ${s}`).join(' ')}${more ? ' …' : ''}`;
  return `refused ${entries.length} ${noun}: ${shown.join(' · ')}${allow}${dropped}`;
}

export { formatEgressJsonl, parseEgressJsonl } from './egress-jsonl.js';
