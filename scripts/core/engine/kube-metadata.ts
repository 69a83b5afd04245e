import type { YamlValue } from './kube-yaml.js';

/** The Secret the user creates: one key per variable name, never a value in the manifest (R184). */
export const DEFAULT_KUBE_SECRET = 'codex-sandbox-credentials';

/** A Kubernetes object as plain data (rendered by core/kube-yaml.ts). */
export type KubeObject = { [key: string]: YamlValue | undefined };

/** A label value Kubernetes accepts: empty, or up to 63 of [A-Za-z0-9._-] starting and ending alphanumeric. */
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/;

/**
 * The docker run's labels, as Kubernetes labels where the value fits a label (R18), else as
 * an annotation of the same key (paths, JSON): nothing is dropped, nothing rewritten.
 */
export function splitKubeLabels(labels: ReadonlyArray<readonly [string, string]>): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  const result = { labels: {} as Record<string, string>, annotations: {} as Record<string, string> };
  for (const [key, value] of labels) {
    if (LABEL_VALUE.test(value)) result.labels[key] = value;
    else result.annotations[key] = value;
  }
  return result;
}

/**
 * The container name as an object name: a DNS label (lowercase alphanumerics and `-`, at most
 * 63, alphanumeric at both ends), which a Job's name must be since it labels its pods.
 */
export function toKubeName(containerName: string): string {
  const name = containerName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
  return name === '' ? 'codex-sandbox' : name;
}

/** The lines above the manifest: what it is, what it needs, how to collect the report (R185). */
export function describeManifest(kind: 'Job' | 'Pod', secretName: string, name: string): string[] {
  const apply = kind === 'Job' ? 'kubectl apply -f -' : 'podman kube play -';
  return [
    `codex-sandbox ${kind} made by \`run-in-container exec --emit\` (docs/kubernetes.md); apply with: ${apply}`,
    `credentials: the Secret ${secretName}, one key per variable name; the agent sees placeholders, the proxy injects the values`,
    'pod security: the entrypoint needs root with NET_ADMIN and NET_RAW for the firewall (the agent keeps no capability);',
    'the baseline and restricted Pod Security Standards refuse this pod: use a namespace labelled',
    'pod-security.kubernetes.io/enforce=privileged. Do not replace the entrypoint: it is the sandbox.',
    'report: the volume "report" (egress.log, exit.json, last-message.md);',
    `the agent's output: ${kind === 'Job' ? `kubectl logs job/${name}` : `podman logs ${name}-sandbox`}`,
  ];
}
