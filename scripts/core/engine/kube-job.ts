import { EGRESS_LOG_TARGET } from '../run/assemble-run-plan.js';
import { CODEX_HOME_TARGET } from '../run/container-identity.js';
import { splitKubeLabels, toKubeName, type KubeObject } from './kube-metadata.js';
export { DEFAULT_KUBE_SECRET } from './kube-metadata.js';
import { CONTAINER_SYSCTLS, ENTRYPOINT_CAPABILITIES, type RunPlan } from '../run/run-plan.js';
import { SECRETS_TARGET } from '../run/run-secrets.js';

/** A credential the proxy injects (R161): the agent sees `placeholder`, only root's file holds the value. */
export interface KubeCredential {
  name: string;
  placeholder: string;
  hosts: readonly string[];
}

export interface KubeJobInput {
  /** The docker plan of the same run, for the pod's workdir: image, args, env, labels, mounts. */
  plan: RunPlan;
  secretName: string;
  credentials: readonly KubeCredential[];
  /** `--report-claim`: a PersistentVolumeClaim for the report volume; absent: an emptyDir. */
  reportClaim?: string;
  /** Where Codex leaves its final message; copied into the report by the image (absent: other agents print it). */
  lastMessage?: string;
}

/**
 * Only the sysctls Kubernetes calls safe (allowed by every kubelet since 1.22); an unsafe one
 * would keep the pod from starting unless the node allows it. nf_conntrack_acct is left out:
 * the egress record then has no byte counts for extra ports (R151, R183).
 */
const KUBE_SAFE_SYSCTLS = ['net.ipv4.ip_unprivileged_port_start'];

const PRIVATE_DIR = '/var/lib/codex-sandbox/private';
const INIT_PRIVATE = '/private';
const CREDENTIALS_ENV = 'SANDBOX_KUBE_CREDENTIALS';

/**
 * The init container's program (node is in every sandbox image): the Secret's values and the
 * placeholders into the secrets file the image reads (image/CONTRACT.md, contract 7), in a
 * root-only directory. No user value is part of it; they come as variables.
 */
const WRITE_SECRETS_JS = [
  "const fs = require('fs');",
  `const list = JSON.parse(process.env.${CREDENTIALS_ENV});`,
  "const secrets = list.map((e) => ({ name: e.name, value: process.env[e.name] || '', placeholder: e.placeholder, hosts: e.hosts }));",
  `fs.chmodSync('${INIT_PRIVATE}', 0o700);`,
  `fs.rmSync('${INIT_PRIVATE}/secrets.json', { force: true });`,
  `fs.writeFileSync('${INIT_PRIVATE}/secrets.json', JSON.stringify({ version: 1, secrets: secrets.filter((e) => e.value !== '') }), ` +
    '{ mode: 0o400 });',
].join('\n');

/**
 * Why the pod needs what it asks for, kept in the manifest itself (R185); the full text is in
 * the comment lines at the top. At most 63 characters: Podman 4 refuses longer annotation values.
 */
export const POD_SECURITY_NOTE = 'privileged: root+NET_ADMIN at start, agent without caps';

const volumeFor = (plan: RunPlan, target: string): string | undefined =>
  target === plan.workingDir
    ? 'workdir'
    : target === CODEX_HOME_TARGET
      ? 'codex-home'
      : target === EGRESS_LOG_TARGET
        ? 'report'
        : target === SECRETS_TARGET
          ? 'private'
          : undefined;

/** The plan's mounts as volume mounts; any host path the pod cannot have is a programming error (the flow refuses it first). */
function listVolumeMounts(plan: RunPlan): KubeObject[] {
  const mounts: KubeObject[] = [];
  for (const mount of plan.mounts) {
    const name = volumeFor(plan, mount.target);
    if (name === undefined) throw new Error(`kubernetes: the plan mounts host path ${mount.target}, which a pod cannot have`);
    // The secrets file arrives through the private directory as a whole (written by the init container).
    mounts.push(name === 'private' ? { name, mountPath: PRIVATE_DIR } : { name, mountPath: mount.target });
  }
  // Parents first, as the kubelet and podman mount them in the given order.
  return mounts.sort((a, b) => String(a.mountPath).length - String(b.mountPath).length);
}

function listVolumes(mounts: readonly KubeObject[], input: KubeJobInput): KubeObject[] {
  return mounts.map((mount) => {
    const name = String(mount.name);
    if (name === 'report' && input.reportClaim !== undefined) return { name, persistentVolumeClaim: { claimName: input.reportClaim } };
    // The credentials never reach the node's disk when the cluster supports it.
    return name === 'private' ? { name, emptyDir: { medium: 'Memory' } } : { name, emptyDir: {} };
  });
}

/** The plan's variables; those passed by name come from the Secret, or as placeholders for injected credentials (R184). */
function listEnv(input: KubeJobInput): KubeObject[] {
  const { plan } = input;
  const env: KubeObject[] = plan.env.map(([name, value]) => ({ name, value }));
  for (const name of plan.passEnv ?? []) {
    const injected = input.credentials.find((entry) => entry.name === name);
    env.push(
      injected !== undefined
        ? { name, value: injected.placeholder }
        : { name, valueFrom: { secretKeyRef: { name: input.secretName, key: name } } },
    );
  }
  // The image's report (image/lib-report.sh): exit.json and the final message beside the egress log (R186).
  env.push({ name: 'SANDBOX_REPORT', value: '1' });
  if (input.lastMessage !== undefined) env.push({ name: 'SANDBOX_REPORT_MESSAGE', value: input.lastMessage });
  return env;
}

/** Root for the entrypoint, no privilege escalation, exactly the capabilities docker grants (R19, R183). */
function entrypointSecurity(): KubeObject {
  return {
    runAsUser: 0,
    runAsGroup: 0,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'], add: [...ENTRYPOINT_CAPABILITIES] },
  };
}

/** Writes the secrets file before the sandbox starts: the only place the Secret's values are variables. */
function credentialsInit(input: KubeJobInput): KubeObject {
  const list = input.credentials.map(({ name, placeholder, hosts }) => ({ name, placeholder, hosts: [...hosts] }));
  return {
    name: 'credentials',
    image: input.plan.image,
    imagePullPolicy: 'IfNotPresent',
    command: ['node', '-e', WRITE_SECRETS_JS],
    env: [
      { name: CREDENTIALS_ENV, value: JSON.stringify(list) },
      ...input.credentials.map(({ name }) => ({ name, valueFrom: { secretKeyRef: { name: input.secretName, key: name } } })),
    ],
    volumeMounts: [{ name: 'private', mountPath: INIT_PRIVATE }],
    securityContext: { runAsUser: 0, runAsGroup: 0, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
  };
}

/**
 * The Job that runs what `exec` would run with docker (R180): the plan's image with its own
 * entrypoint (never replaced: only `args`), env, labels and allowlist, its workdir and Codex
 * home on pod volumes, the credentials behind the proxy, the report on a volume.
 */
export function buildKubeJob(input: KubeJobInput): KubeObject {
  const { plan } = input;
  if (plan.tty || plan.detach === true || (plan.addHosts ?? []).length > 0 || (plan.publish ?? []).length > 0 || plan.network !== undefined)
    throw new Error('kubernetes: only a headless plan without host networking becomes a Job');
  const mounts = listVolumeMounts(plan);
  const hasCredentials = input.credentials.length > 0;
  if (hasCredentials && !mounts.some((mount) => mount.name === 'private'))
    throw new Error('kubernetes: credentials need the secrets mount in the plan');
  const { labels, annotations } = splitKubeLabels(plan.labels);
  const metadata = {
    name: toKubeName(plan.containerName),
    labels,
    annotations: { ...annotations, 'codex-sandbox.pod-security': POD_SECURITY_NOTE },
  };
  const sysctls = CONTAINER_SYSCTLS.filter(([name]) => KUBE_SAFE_SYSCTLS.includes(name)).map(([name, value]) => ({ name, value }));
  const container: KubeObject = {
    name: 'sandbox',
    image: plan.image,
    imagePullPolicy: 'IfNotPresent',
    args: [...plan.args],
    workingDir: plan.workingDir,
    env: listEnv(input),
    volumeMounts: mounts,
    securityContext: entrypointSecurity(),
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata,
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels, annotations: metadata.annotations },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: { sysctls, seccompProfile: { type: 'RuntimeDefault' } },
          ...(hasCredentials ? { initContainers: [credentialsInit(input)] } : {}),
          containers: [container],
          volumes: listVolumes(mounts, input),
        },
      },
    },
  };
}

/** The Job's pod as a Pod of the same name, for `podman kube play` (Podman 4.3 plays Pods, not Jobs; R181). */
export function convertJobToPod(job: KubeObject): KubeObject {
  const metadata = job.metadata as KubeObject;
  const template = (job.spec as KubeObject).template as KubeObject;
  const templateMetadata = template.metadata as KubeObject;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: metadata.name, labels: templateMetadata.labels, annotations: templateMetadata.annotations },
    spec: renameVolumes(template.spec as KubeObject, `${String(metadata.name)}-`),
  };
}

/**
 * Podman turns each emptyDir into a named volume that outlives the pod: named after the pod,
 * a second run never reuses the first one's clone, report or credentials (R184).
 */
function renameVolumes(spec: KubeObject, prefix: string): KubeObject {
  const rename = (name: unknown) => `${prefix}${String(name)}`;
  const withMounts = (container: KubeObject): KubeObject => ({
    ...container,
    volumeMounts: ((container.volumeMounts ?? []) as KubeObject[]).map((mount) => ({ ...mount, name: rename(mount.name) })),
  });
  return {
    ...spec,
    ...(spec.initContainers === undefined ? {} : { initContainers: (spec.initContainers as KubeObject[]).map(withMounts) }),
    containers: (spec.containers as KubeObject[]).map(withMounts),
    volumes: ((spec.volumes ?? []) as KubeObject[]).map((volume) => ({ ...volume, name: rename(volume.name) })),
  };
}
