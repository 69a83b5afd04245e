import { clockOf } from './egress-changes.js';
import type { EgressEvent } from './egress-log-parser.js';
import { describeRequestReason } from './egress-requests.js';
import { describeDestination, explainBackgroundHost, type BackgroundHosts, type EgressDestination } from './egress-summary.js';

/** `512 B`, `1.5 KiB`, `2.0 MiB`; `?` when unknown. */
function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '?';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

type Shown = Omit<EgressEvent, 'time' | 'count'>;

/** After the `—`: the bytes of what was let through (a request's status first), the reason of a refusal. */
export function describeOutcome(d: Shown): string {
  const bytes = `up ${formatBytes(d.bytesUp)}, down ${formatBytes(d.bytesDown)}`;
  const status = d.status === undefined ? '' : `${d.status}, `;
  const credential = d.credential === undefined || d.reason === 'credential sent' ? '' : `, credential ${d.credential}`;
  const reason = d.reason === undefined ? '' : describeRequestReason(d.reason, d.name, d.credential);
  if (d.kind === 'request') return `${d.verdict === 'allowed' ? `${status}${bytes}` : reason}${credential}`;
  return d.verdict === 'allowed' ? bytes : reason;
}

/** `pypi.org (151.101.0.223)`: the destination, with its address when it has a name too. */
export function describeTarget(d: Shown): string {
  const address = d.name !== undefined && d.address !== undefined ? ` (${d.address})` : '';
  return `${describeDestination({ ...d, count: 1 } as EgressDestination)}${address}`;
}

/** ` (Codex's update check — not needed)` after a refused background host of the agent, else ''. */
export function describeBackgroundNote(d: Shown, background: BackgroundHosts): string {
  const why = d.verdict === 'refused' ? explainBackgroundHost(d.name, background) : undefined;
  return why === undefined ? '' : ` (${why} — not needed)`;
}

/**
 * One event of `egress --follow`: `12:01:02  refused  dns      pypi.org — DNS` (UTC), with
 * `(N×)` when it stands for repeats. Not escaped: the caller prints it through escapeTerminalText.
 */
export function formatLiveEvent(event: EgressEvent): string {
  const repeats = event.count !== undefined && event.count > 1 ? ` (${event.count}×)` : '';
  const columns = `${clockOf(event.time)}  ${event.verdict.padEnd(7)}  ${event.kind.padEnd(7)}`;
  return `${columns}  ${describeTarget(event)} — ${describeOutcome(event)}${repeats}`;
}
