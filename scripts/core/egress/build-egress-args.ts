import { listProxyVariables } from './egress-run-args.js';
import type { ProxySpec } from './proxy-spec.js';

/** Proxy and extra CAs for `docker build` (a build behind a TLS-inspecting proxy). */
export interface BuildEgress {
  proxy?: ProxySpec;
  /**
   * Concatenated PEM certificates to trust while installing (public data, not a secret).
   * The host writes them into a temporary copy of the build context (build-certs/extra.pem):
   * a build arg cannot hold a whole CA bundle (one argv element is limited to 128 KiB).
   */
  caPem?: string;
}

/** Docker's predefined proxy build args: usable in RUN, left out of `docker history`. */
const PREDEFINED_PROXY_ARGS = new Set(['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'NO_PROXY', 'no_proxy']);

/**
 * `docker build` arguments for a proxy. Only Docker's predefined proxy args
 * are passed (never an ARG of the Dockerfile), so a credential in the URL is not recorded
 * in the image; and by name only, their values in `env` for the docker CLI's own
 * environment, so the credential is in no argv (`ps`, R84). A proxy on the host's loopback
 * needs the host's network for the build.
 */
export function listBuildEgressArgs(egress: BuildEgress): { args: string[]; env: Record<string, string> } {
  const args: string[] = [];
  const env: Record<string, string> = {};
  const proxy = egress.proxy;
  if (proxy !== undefined) {
    for (const [key, value] of listProxyVariables(proxy.hostUrl)) {
      if (!PREDEFINED_PROXY_ARGS.has(key)) continue;
      args.push('--build-arg', key);
      env[key] = value;
    }
    if (proxy.viaHostGateway) args.push('--network', 'host');
  }
  return { args, env };
}
