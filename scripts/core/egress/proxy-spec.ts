import { isIP } from 'node:net';
import { explainInvalidDomain } from './allowlist.js';
import { UsageError } from '../errors.js';

/** Docker's name for the host as seen from a container (with --add-host …:host-gateway). */
export const HOST_GATEWAY_NAME = 'host.docker.internal';

/** Host variables an upstream proxy is read from, in the order they are tried. */
export const PROXY_VARIABLES: readonly string[] = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];

/** An upstream HTTP proxy as the container reaches it. */
export interface ProxySpec {
  /** `--proxy` or the variable it came from. */
  source: string;
  /** `http://[user:pass@]host:port` for the container's proxy variables (credentials kept). */
  url: string;
  /** The URL as the host reaches it (for `build`, whose steps can share the host's network). */
  hostUrl: string;
  /** `url` with credentials replaced by `***`: the only form printed in logs. */
  redacted: string;
  /** Host as the container reaches it (host.docker.internal for a proxy on the host's loopback). */
  host: string;
  port: number;
  /** It listens on the host's loopback: reached through host.docker.internal (with --add-host). */
  viaHostGateway: boolean;
  /**
   * `user:password`, decoded, for the sandbox's own proxy (Squid's cache_peer login, R91);
   * never in the agent's environment.
   */
  credentials?: string;
}

/** What Squid's configuration can carry as one token: no blanks, quotes, backslashes or '#'. */
function decodeCredentials(url: URL, source: string): string | undefined {
  if (url.username === '') return undefined;
  let decoded: string;
  try {
    decoded = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  } catch {
    throw new UsageError(`${source} has malformed percent-escapes in its credentials: encode them as %XX`);
  }
  if (/[\s\p{Cc}"\\#]/u.test(decoded) || decodeURIComponent(url.username).includes(':')) {
    throw new UsageError(
      `${source}: proxy credentials with blanks, quotes, backslashes, '#' or a ':' in the user name ` +
        "cannot be handed to the sandbox's proxy: use another proxy account",
    );
  }
  return decoded;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '::1' || /^127\.[0-9.]+$/.test(hostname);
}

/**
 * Validates a proxy URL: `http://[user:password@]host[:port]` (port 80 when left out), no
 * path. A proxy on the host's loopback cannot be reached from the container as is: it is
 * mapped to host.docker.internal (and must listen on the Docker bridge address too).
 */
export function parseProxyUrl(raw: string, source: string): ProxySpec {
  const fix = `use http://host:port (or http://user:password@host:port)`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${source} is not a URL: ${fix}`);
  }
  if (url.protocol !== 'http:') {
    throw new UsageError(`${source} must be an http:// proxy URL (it starts with ${url.protocol}): ${fix}`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new UsageError(`${source} must not have a path, query or fragment: ${fix}`);
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(hostname) === 0 && explainInvalidDomain(hostname) !== undefined) {
    throw new UsageError(`${source} has an invalid proxy host ${JSON.stringify(hostname)}: ${fix}`);
  }
  const port = url.port === '' ? 80 : Number(url.port);
  const viaHostGateway = isLoopback(hostname);
  const host = viaHostGateway ? HOST_GATEWAY_NAME : hostname;
  const hostInUrl = isIP(host) === 6 ? `[${host}]` : host;
  const credentials = url.username === '' ? '' : `${url.username}${url.password === '' ? '' : `:${url.password}`}@`;
  const originalHost = isIP(hostname) === 6 ? `[${hostname}]` : hostname;
  const hidden = url.username === '' ? '' : '***@';
  const decoded = decodeCredentials(url, source);
  return {
    source,
    url: `http://${credentials}${hostInUrl}:${port}`,
    hostUrl: `http://${credentials}${originalHost}:${port}`,
    redacted: `http://${hidden}${hostInUrl}:${port}`,
    host,
    port,
    viaHostGateway,
    ...(decoded === undefined ? {} : { credentials: decoded }),
  };
}

/** The proxy to use: `--proxy`, else the first non-empty host variable of PROXY_VARIABLES. */
export function selectProxy(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): ProxySpec | undefined {
  if (flag !== undefined) return parseProxyUrl(flag, '--proxy');
  for (const name of PROXY_VARIABLES) {
    const value = env[name];
    if (value !== undefined && value !== '') return parseProxyUrl(value, name);
  }
  return undefined;
}

/** `host:port` for the firewall (SANDBOX_PROXY). */
export function formatProxyTarget(proxy: ProxySpec): string {
  return `${isIP(proxy.host) === 6 ? `[${proxy.host}]` : proxy.host}:${proxy.port}`;
}
