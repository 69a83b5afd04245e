import { AGENTS, DEFAULT_AGENT } from '../agents/agents.js';

/** Always allowed for Codex: what it needs to log in and talk to OpenAI (the registry's list, R14). */
export const DEFAULT_ALLOWED_DOMAINS: readonly string[] = AGENTS[DEFAULT_AGENT].allowlist;

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Why `name` is not an acceptable allowlist entry, or undefined when it is.
 * Real host-name syntax: labels of 1-63 [a-z0-9-] not starting or ending with '-',
 * at most 253 characters, an optional leading `*.` (then at least two labels follow,
 * so `*.com` cannot open a whole TLD), and not an IP address.
 */
export function explainInvalidDomain(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  const wildcard = name.startsWith('*.');
  const host = wildcard ? name.slice(2) : name;
  if (host.length > 253) return 'it is longer than 253 characters';
  const labels = host.split('.');
  if (labels.some((label) => label.length === 0)) return 'it has an empty label';
  const bad = labels.find((label) => !LABEL.test(label));
  if (bad !== undefined) {
    return `label '${bad}' is not 1-63 letters, digits or '-' (not at either end)`;
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) {
    return 'IP addresses are not allowed, only host names';
  }
  if (labels.length < 2 && wildcard) return 'a wildcard needs at least two labels after *.';
  return undefined;
}
