import type { EgressEvent, EgressReason } from './egress-log-parser.js';
import { sanitizeName } from './egress-names.js';

/**
 * Requests inside inspected traffic (R166): the TLS inspection writes one line per request,
 * `req TIME METHOD HOST PATH STATUS UP DOWN CREDENTIAL REASON`, every field %XX-escaped
 * (image/inspect-addon.py) and `-` when empty. The path is the first 200 bytes without the
 * query; CREDENTIAL is the name of what was injected (or that leaked), never a value.
 */

/** The inspection's own reasons, mapped to the record's; anything else is the upstream failing. */
const REFUSALS: ReadonlyArray<[RegExp, EgressReason]> = [
  [/^name does not match$/, 'name does not match'],
  [/^credential sent to /, 'credential sent'],
  [/^rule$/, 'rule'],
  [/^read-only web$/, 'read-only web'],
  [/^upstream certificate not trusted$/, 'upstream certificate not trusted'],
];

export const PATH_MAX = 200;

/** A %XX-escaped field back to text; undefined for `-`. */
function unescapeField(field: string): string | undefined {
  if (field === '-') return undefined;
  try {
    return decodeURIComponent(field.replace(/%(?![0-9A-Fa-f]{2})/g, '%25'));
  } catch {
    return field;
  }
}

/** The agent chose it: printable ASCII only (others as `?`), at most PATH_MAX characters. */
export function sanitizePath(path: string): string {
  return path.replace(/[^\x21-\x7e]/g, '?').slice(0, PATH_MAX);
}

/** `GET`, `POST`, …: letters only, at most 16. */
export function sanitizeMethod(method: string): string {
  return method
    .toUpperCase()
    .replace(/[^A-Z]/g, '')
    .slice(0, 16);
}

/** A credential's name (an environment variable name), at most 64 characters. */
export function sanitizeCredential(name: string): string {
  return name.replace(/[^A-Za-z0-9_,]/g, '').slice(0, 64);
}

const count = (field: string | undefined) => (field !== undefined && /^\d{1,15}$/.test(field) ? Number(field) : undefined);

/** One `req …` line as an event; undefined when it is not one. */
export function parseRequestLine(line: string): EgressEvent | undefined {
  const f = line.split(' ');
  if (f.length !== 10 || f[0] !== 'req') return undefined;
  const [, time, method, host, path, status, up, down, credential, reason] = f.map((x) => unescapeField(x ?? ''));
  const name = host === undefined ? undefined : sanitizeName(host);
  if (name === undefined || name === '') return undefined;
  const seconds = Number(time);
  const refusal = reason === undefined ? undefined : REFUSALS.find(([pattern]) => pattern.test(reason))?.[1];
  return {
    ...(Number.isFinite(seconds) && seconds > 0 ? { time: new Date(seconds * 1000).toISOString() } : {}),
    ...(refusal === undefined ? { verdict: 'allowed' as const } : { verdict: 'refused' as const, reason: refusal }),
    kind: 'request',
    name,
    ...(method === undefined ? {} : { method: sanitizeMethod(method) }),
    ...(path === undefined ? {} : { path: sanitizePath(path) }),
    ...(count(status) === undefined ? {} : { status: count(status) }),
    ...(credential === undefined ? {} : { credential: sanitizeCredential(credential) }),
    bytesUp: count(up) ?? 0,
    bytesDown: count(down) ?? 0,
  };
}

/** `credential sent to host` and the like: the reason as the record and the summary say it. */
export function describeRequestReason(reason: EgressReason, name: string | undefined, credential: string | undefined): string {
  if (reason === 'credential sent') return `credential ${credential ?? '?'} sent to ${name ?? '?'}`;
  if (reason === 'name does not match') return 'name does not match (fronting)';
  return reason;
}

/** The credentials a run sent where they may not go (exit.json, R162), one entry per credential and host. */
export function listCredentialLeaks(
  destinations: ReadonlyArray<Pick<EgressEvent, 'reason' | 'name' | 'credential'> & { count: number }>,
): Array<{ credential: string; host: string; count: number }> {
  return destinations
    .filter((d) => d.reason === 'credential sent')
    .map((d) => ({ credential: d.credential ?? '?', host: d.name ?? '?', count: d.count }));
}
