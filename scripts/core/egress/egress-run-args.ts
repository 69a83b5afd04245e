import { formatPortEntry } from './allow-spec.js';
import { describeHttpRule, formatHttpRules } from './http-rule.js';
import type { EgressPolicy } from './egress-policy.js';
import type { Mount } from '../run/mount-spec.js';
import { formatProxyTarget, HOST_GATEWAY_NAME } from './proxy-spec.js';

/** Where extra CA files are mounted; the entrypoint runs update-ca-certificates over it. */
const CA_TARGET_DIR = '/usr/local/share/ca-certificates/codex-sandbox';

/** Destinations that never go through the proxy. */
const NO_PROXY_HOSTS = ['localhost', '127.0.0.1', '::1'];

/**
 * The sandbox's own name-checking proxy (Squid, image/lib-proxy.sh), where proxy-aware
 * clients of the agent go when an upstream proxy is used (R91). It forwards what it admits
 * to the upstream with the credentials; the agent never sees the upstream's address or login.
 */
const LOCAL_PROXY_URL = 'http://127.0.0.1:3128';

/** The proxy variables programs read (curl, git, pip: either case; npm: npm_config_*). */
export function listProxyVariables(url: string, extraNoProxy: readonly string[] = []): Array<[string, string]> {
  const noProxy = [...NO_PROXY_HOSTS, ...extraNoProxy].join(',');
  return [
    ['HTTP_PROXY', url],
    ['HTTPS_PROXY', url],
    ['http_proxy', url],
    ['https_proxy', url],
    ['NO_PROXY', noProxy],
    ['no_proxy', noProxy],
    ['npm_config_proxy', url],
    ['npm_config_https_proxy', url],
  ];
}

/** The upstream proxy's login for the sandbox's own proxy (R91); passed by name only (R84). */
const PROXY_AUTH_ENV = 'SANDBOX_PROXY_AUTH';

/**
 * Environment for the image beyond SANDBOX_ALLOWED_DOMAINS, present only for the features
 * used (a plain run's argv does not change). See image/CONTRACT.md. The proxy's login is not
 * here: see listEgressSecrets.
 */
export function listEgressEnv(policy: EgressPolicy): Array<[string, string]> {
  const env: Array<[string, string]> = [];
  if (policy.ports.length > 0) env.push(['SANDBOX_ALLOWED_PORTS', policy.ports.map(formatPortEntry).join(' ')]);
  if (policy.denied.length > 0) env.push(['SANDBOX_DENIED_DOMAINS', policy.denied.join(' ')]);
  if (policy.hostPorts.length > 0) env.push(['SANDBOX_HOST_PORTS', policy.hostPorts.join(' ')]);
  if (policy.rules.length > 0) env.push(['SANDBOX_HTTP_RULES', formatHttpRules(policy.rules)]);
  if (policy.readOnlyWeb !== undefined) env.push(['SANDBOX_READ_ONLY_WEB', '1'], ['SANDBOX_AGENT_HOSTS', policy.readOnlyWeb.join(' ')]);
  if (policy.ask !== undefined) env.push(['SANDBOX_ASK_TIMEOUT', String(policy.ask)]);
  const proxy = policy.proxy;
  if (proxy !== undefined) {
    env.push(['SANDBOX_PROXY', formatProxyTarget(proxy)]);
    env.push(...listProxyVariables(LOCAL_PROXY_URL, policy.hostPorts.length > 0 ? [HOST_GATEWAY_NAME] : []));
  }
  return env;
}

/**
 * Values the container needs that must never be on a command line (`--dry-run`, `ps`): the
 * plan passes their names (`-e NAME`, R84, R125) and the launcher hands docker the values
 * through its environment.
 */
export function listEgressSecrets(policy: EgressPolicy): Record<string, string> {
  const credentials = policy.proxy?.credentials;
  return credentials === undefined ? {} : { [PROXY_AUTH_ENV]: credentials };
}

/** `--add-host` entries the policy needs: the host's gateway name for host ports or a loopback proxy. */
export function listEgressAddHosts(policy: EgressPolicy): string[] {
  return policy.hostPorts.length > 0 || policy.proxy?.viaHostGateway === true ? [`${HOST_GATEWAY_NAME}:host-gateway`] : [];
}

/** Extra CA files (host paths, already checked) mounted read-only as <n>.crt, n from 1. */
export function listCaMounts(caFiles: readonly string[]): Mount[] {
  return caFiles.map((source, index) => ({ source, target: `${CA_TARGET_DIR}/${index + 1}.crt`, readonly: true }));
}

/** One stderr line per allowance beyond the defaults (credentials never shown). */
export function describeEgressPolicy(policy: EgressPolicy, defaults: readonly string[]): string[] {
  const lines: string[] = [];
  const extra = policy.domains.filter((name) => !defaults.includes(name));
  if (extra.length > 0) lines.push(`allowing ${extra.join(' ')} (ports 80/443)`);
  for (const entry of policy.ports) lines.push(`allowing ${formatPortEntry(entry)}`);
  for (const rule of policy.rules) lines.push(`allowing only ${describeHttpRule(rule)} on ${rule.host}`);
  if (policy.readOnlyWeb !== undefined) lines.push("read-only web: only GET, HEAD and OPTIONS, except to the agent's own hosts");
  if (policy.ask !== undefined)
    lines.push(`asking: a name not yet decided waits up to ${policy.ask} s for your answer in \`run-in-container approve\``);
  if (policy.denied.length > 0) lines.push(`denying ${policy.denied.join(' ')}`);
  if (policy.hostPorts.length > 0) lines.push(`allowing ${HOST_GATEWAY_NAME} port ${policy.hostPorts.join(', ')} (the Docker host)`);
  const proxy = policy.proxy;
  if (proxy !== undefined) {
    lines.push(`using proxy ${proxy.redacted} (from ${proxy.source})`);
    lines.push(
      "the sandbox's name check forwards what it admits through it; " +
        `the agent's proxy variables point at the name check (${LOCAL_PROXY_URL})`,
    );
    if (proxy.viaHostGateway) {
      lines.push(
        `the proxy is on the host's loopback: the sandbox reaches it as ${HOST_GATEWAY_NAME}:${proxy.port}, ` +
          'so it must also listen on the Docker bridge address (e.g. 0.0.0.0)',
      );
    }
  }
  return lines;
}
