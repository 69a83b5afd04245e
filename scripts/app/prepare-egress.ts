import { parseAllowSpec } from '../core/egress/allow-spec.js';
import type { ConfigFacts as HomeFacts } from '../core/agents/agent-home-plan.js';
import {
  buildEgressPolicy,
  DEFAULT_LAYER,
  egressProvenance,
  layerFromText,
  type EgressLayer,
  type EgressPolicy,
  type EgressProvenance,
} from '../core/egress/egress-policy.js';
import { describeEgressPolicy } from '../core/egress/egress-run-args.js';
import { selectProxy } from '../core/egress/proxy-spec.js';
import type { BuildEgress } from '../core/egress/build-egress-args.js';
import { findCaCertificates } from '../host/engine/ca-certs.js';
import type { HostContext } from '../host/host-context.js';
import { findProviderAllowances } from '../host/egress/provider-hosts.js';
import type { EgressFlags } from './run-options.js';

export interface PreparedEgress {
  policy: EgressPolicy;
  /** Which layer each entry of `policy` came from (`egress check`, R169). */
  provenance: EgressProvenance;
  caFiles: string[];
  /** Hosts of config.toml's model providers (R83), where Codex's credentials may go too (R161). */
  providerHosts: string[];
  /** What is allowed beyond the defaults and why (stderr; no credentials). */
  messages: string[];
  warnings: string[];
}

/**
 * Reads what the egress policy depends on (provider hosts in config.toml, CA files, the
 * proxy variables) and merges every source: flags > environment > `settingsLayers`
 * (project file, then user file) > defaults. Changes nothing on the host.
 */
export async function prepareEgress(
  options: EgressFlags,
  ctx: HostContext,
  facts: HomeFacts,
  agentWritable: readonly string[],
  settingsLayers: readonly EgressLayer[] = [],
  defaults: EgressLayer = DEFAULT_LAYER,
): Promise<PreparedEgress> {
  const providers = options.providerAllow ? await findProviderAllowances(facts, agentWritable) : { allow: [], messages: [] };
  const layers: EgressLayer[] = [
    { source: '--allow', allow: options.allow, rules: true },
    { source: '--deny', deny: options.deny },
    { source: '--allow-host-port', hostPorts: options.allowHostPorts },
    layerFromText('OPENAI_ALLOWED_DOMAINS', { allow: ctx.env.OPENAI_ALLOWED_DOMAINS ?? '' }),
    ...settingsLayers,
    // Lowest: provider hosts are a default derived from the user's own config.
    { source: 'config.toml model_providers', allow: providers.allow },
  ];
  const built = buildEgressPolicy(layers, selectProxy(options.proxy, ctx.env), defaults);
  // The agent's own API and login hosts (and its model providers) keep every method (R165).
  const own = [...(defaults.allow ?? []), ...providers.allow];
  const readOnly = options.readOnlyWeb === true ? { ...built, readOnlyWeb: own } : built;
  const policy = options.ask === undefined ? readOnly : { ...readOnly, ask: options.ask };
  const ca = await findCaCertificates(options.caCerts, ctx, agentWritable);
  const messages = [...providers.messages, ...describeEgressPolicy(policy, [...(defaults.allow ?? []), ...providers.allow])];
  for (const file of ca.files) messages.push(`trusting CA ${file}`);
  const providerHosts = providers.allow.flatMap((spec) => {
    const parsed = parseAllowSpec(spec, 'config.toml model_providers');
    return [...parsed.domains, ...parsed.ports.map((entry) => entry.host)];
  });
  const provenance = egressProvenance(layers, defaults);
  return { policy, provenance, caFiles: ca.files, providerHosts, messages, warnings: ca.warnings };
}

/**
 * Proxy and extra CAs for `build` and automatic builds (same sources as a run). `trees`: the
 * run's agent-writable trees (a CA file there is read beneath them, R102), none for `build`.
 */
export async function prepareBuildEgress(
  options: { proxy?: string; caCerts: readonly string[] },
  ctx: HostContext,
  trees: readonly string[],
): Promise<{ egress?: BuildEgress; messages: string[] }> {
  const proxy = selectProxy(options.proxy, ctx.env);
  const ca = await findCaCertificates(options.caCerts, ctx, trees);
  const messages = ca.warnings.map((warning) => `warning: ${warning}`);
  if (proxy !== undefined) messages.push(`building through the proxy from ${proxy.source} (not stored in the image)`);
  for (const file of ca.files) messages.push(`trusting CA ${file} during the build`);
  if (proxy === undefined && ca.files.length === 0) return { messages };
  return { egress: { proxy, caPem: ca.pem === '' ? undefined : ca.pem }, messages };
}
