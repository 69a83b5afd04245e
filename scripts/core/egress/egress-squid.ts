import { isIP } from 'node:net';
import { explainInvalidDomain } from './allowlist.js';
import type { EgressEvent, EgressKind } from './egress-log-parser.js';
import { escapeMalformedName, sanitizeName, urlEscapedBytes } from './egress-names.js';

/** Names the entrypoint itself uses to check the resolver and the name check: never the agent's. */
export const INTERNAL_NAME = /(^|\.)codex-sandbox\.invalid$/;

/** A URL-escaped field of Squid's log (`-` when empty), decoded and made printable. */
function squidField(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '-' || raw === '') return undefined;
  let text = raw;
  try {
    text = decodeURIComponent(raw);
  } catch {
    // left as it is: sanitizeName makes it printable
  }
  return text;
}

function squidTime(raw: string | undefined): string | undefined {
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000).toISOString() : undefined;
}

/** A decimal count of at most 15 digits, or undefined. */
export function squidCount(raw: string | undefined): number | undefined {
  return raw !== undefined && /^[0-9]{1,15}$/.test(raw) ? Number(raw) : undefined;
}

const isLoopback = (address: string) => address === '::1' || address.startsWith('127.');

/** Host (or SNI) as name or address: an IP literal is never a name. */
function nameOrAddress(host: string): { name?: string; address?: string } {
  const bare = host.replace(/^\[|\]$/g, '');
  return isIP(bare) !== 0 ? { address: bare } : { name: sanitizeName(host) };
}

/**
 * One line of the name check (image/lib-egress.sh `logformat codex`):
 * `squid TIME CLIENT LPORT METHOD HOST PORT SNI BUMP HTTP-STATUS SQUID-STATUS ERROR SERVER UP DOWN [NOTE]`.
 * NOTE `malformed` (R147) is a name that is no host name: kept escaped (SNI, else Host, raw).
 * Returns undefined for Squid's intermediate records (the TLS peek before the decision, a
 * client that left before sending anything) and for the start-up self-check.
 */
export function parseSquidLine(line: string): EgressEvent | undefined {
  const f = line.split(' ');
  if (f[0] !== 'squid' || f.length < 15) return undefined;
  const [, timeRaw, , , method, hostRaw, portRaw, sniRaw, bump, , squidStatus, error, server, upRaw, downRaw, note] = f;
  const host = squidField(hostRaw);
  const sni = squidField(sniRaw);
  if (method === undefined || method === '-') return undefined;
  const port = squidCount(portRaw);
  const base = {
    time: squidTime(timeRaw),
    kind: (method === 'CONNECT' ? 'tls' : 'http') as EgressKind,
    ...(port === undefined ? {} : { port }),
  };
  if (note === 'malformed') {
    // The malformed one of the two (a CONNECT target may be, with a valid server name after it).
    const sniIsName = sni !== undefined && explainInvalidDomain(sni.toLowerCase().replace(/\.$/, '')) === undefined;
    const raw = sniRaw !== undefined && sniRaw !== '-' && !sniIsName ? sniRaw : (hostRaw ?? '');
    return { ...base, verdict: 'refused', reason: 'malformed name', name: escapeMalformedName(urlEscapedBytes(raw)) };
  }
  // Squid could not even parse the URI or its host (R150): a malformed name, whatever it was.
  if (error === 'ERR_INVALID_URL' || error === 'ERR_INVALID_DOMAIN') {
    const raw = hostRaw !== undefined && hostRaw !== '-' ? escapeMalformedName(urlEscapedBytes(hostRaw)) : '';
    return { ...base, verdict: 'refused', reason: 'malformed name', name: raw === '' ? '?' : raw };
  }
  if (host === undefined) return undefined;
  if (INTERNAL_NAME.test(sanitizeName(host)) || (sni !== undefined && INTERNAL_NAME.test(sanitizeName(sni)))) return undefined;
  if (bump === 'terminate') {
    if (sni === undefined) return { ...base, verdict: 'refused', reason: 'TLS without a name', ...nameOrAddress(host) };
    return { ...base, verdict: 'refused', reason: 'name not allowed', ...nameOrAddress(sni) };
  }
  if (error === 'ERR_CONFLICT_HOST') return { ...base, verdict: 'refused', reason: 'name does not match', ...nameOrAddress(sni ?? host) };
  if (squidStatus === 'TCP_DENIED' || error === 'ERR_ACCESS_DENIED') {
    const target = nameOrAddress(host);
    return { ...base, verdict: 'refused', reason: target.name === undefined ? 'address without a name' : 'name not allowed', ...target };
  }
  // The TLS peek's own record (no server yet; a CONNECT's answered 200 already): the
  // decision follows in a second line.
  if (squidStatus === 'NONE_NONE' && (server === undefined || server === '-')) return undefined;
  const up = squidCount(upRaw);
  const down = squidCount(downRaw);
  return {
    ...base,
    verdict: 'allowed',
    ...nameOrAddress(sni ?? host),
    // Inspected traffic goes on through the TLS inspection on loopback (R160): no address then.
    ...(server !== undefined && server !== '-' && isIP(server) !== 0 && !isLoopback(server) ? { address: server } : {}),
    ...(up === undefined ? {} : { bytesUp: up }),
    ...(down === undefined ? {} : { bytesDown: down }),
  };
}
