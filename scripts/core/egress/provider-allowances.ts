import { isIP } from 'node:net';
import { explainInvalidDomain } from './allowlist.js';

/** One `model_providers.<name>.base_url` of a Codex config.toml. */
export interface ProviderHost {
  name: string;
  host: string;
  /** The --allow SPEC it needs (`host`, or `host:port` for a port other than 80/443); undefined when it cannot be allowed by name. */
  spec?: string;
  /** Why it cannot be allowed automatically. */
  problem?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The hosts of `model_providers.*.base_url` in a parsed config.toml, in file order. */
export function listProviderHosts(config: unknown): ProviderHost[] {
  const providers = isRecord(config) ? config.model_providers : undefined;
  if (!isRecord(providers)) return [];
  const hosts: ProviderHost[] = [];
  for (const [name, provider] of Object.entries(providers)) {
    const baseUrl = isRecord(provider) ? provider.base_url : undefined;
    if (typeof baseUrl !== 'string') continue;
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      hosts.push({ name, host: baseUrl, problem: 'base_url is not a URL' });
      continue;
    }
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      hosts.push({ name, host, problem: `base_url uses ${url.protocol} (only http and https can be allowed)` });
    } else if (isIP(host) !== 0 || host === 'localhost' || host === 'host.docker.internal') {
      hosts.push({
        name,
        host,
        problem: 'it is an IP address or the host itself; for a service on the Docker host use --allow-host-port PORT',
      });
    } else if (explainInvalidDomain(host) !== undefined) {
      hosts.push({ name, host, problem: 'it is not a valid host name' });
    } else {
      const port = url.port === '' || url.port === '80' || url.port === '443' ? '' : `:${url.port}`;
      hosts.push({ name, host, spec: `${host}${port}` });
    }
  }
  return hosts;
}
