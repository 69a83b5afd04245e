import { createRequire } from 'node:module';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Pod } from 'kubernetes-models/v1/Pod';
import { assembleRunPlan, type ResolvedRun } from '../../scripts/core/run/assemble-run-plan.js';
import { buildKubeJob, convertJobToPod, POD_SECURITY_NOTE, type KubeJobInput } from '../../scripts/core/engine/kube-job.js';
import { splitKubeLabels, toKubeName, type KubeObject } from '../../scripts/core/engine/kube-metadata.js';
import { renderYaml } from '../../scripts/core/engine/kube-yaml.js';
import { ENTRYPOINT_CAPABILITIES } from '../../scripts/core/run/run-plan.js';

// js-yaml comes with jest: a real YAML reader to check the emitter's output against.
const yaml = createRequire(import.meta.url)('js-yaml') as { load: (text: string) => unknown };

const HASH = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

/** A pod run as app/exec-emit.ts resolves it: the pod's places, no host mount, the report volume. */
function podRun(overrides: Partial<ResolvedRun> = {}): ResolvedRun {
  return {
    command: 'agent',
    agent: { id: 'codex', passEnv: [] },
    workdir: '/workspace',
    envDir: '/codex-home',
    sessionsDir: '/codex-home/sessions',
    readOnly: [],
    allowlist: ['api.openai.com', 'github.com'],
    image: 'registry.example/codex-sandbox:1',
    dns: [],
    uid: 1000,
    gid: 1000,
    tty: false,
    runId: 'r1d2',
    workdirHash: HASH,
    launcherPid: 4242,
    launcherHost: 'host1',
    launcherVersion: '9.9.9',
    args: ['exec', '--', 'fix the tests'],
    repo: { url: 'https://github.com/o/r', ref: 'main', dir: 'r' },
    egressLogDir: 'report',
    secrets: { dir: '/kube', loginCopy: false, names: ['OPENAI_API_KEY'] },
    ...overrides,
  };
}

const CREDENTIAL = { name: 'OPENAI_API_KEY', placeholder: 'p'.repeat(48), hosts: ['api.openai.com'] };

function jobFor(run: ResolvedRun, extra: Partial<KubeJobInput> = {}): KubeObject {
  return buildKubeJob({ plan: assembleRunPlan(run), secretName: 'codex-sandbox-credentials', credentials: [CREDENTIAL], ...extra });
}

/** Every manifest is checked against the Kubernetes schema, as a Job and as the Pod podman plays. */
function validateBoth(job: KubeObject): void {
  expect(() => new Job(job as never).validate()).not.toThrow();
  expect(() => new Pod(convertJobToPod(job) as never).validate()).not.toThrow();
}

const podSpec = (job: KubeObject) => ((job.spec as KubeObject).template as KubeObject).spec as KubeObject;
const container = (job: KubeObject) => (podSpec(job).containers as KubeObject[])[0] as KubeObject;

test('the whole Job of a Codex run with its key (R180-R185)', () => {
  const job = jobFor(podRun(), { lastMessage: '/codex_home/runs/r1d2/last-message.md' });
  validateBoth(job);
  const labels = {
    'codex-sandbox.managed': 'true',
    'codex-sandbox.run-id': 'r1d2',
    'codex-sandbox.command': 'codex',
    'codex-sandbox.launcher-pid': '4242',
    'codex-sandbox.launcher-host': 'host1',
    'codex-sandbox.version': '9.9.9',
  };
  const annotations = { 'codex-sandbox.workdir': '/workspace', 'codex-sandbox.pod-security': POD_SECURITY_NOTE };
  const spec = podSpec(job);
  expect(job.metadata).toEqual({ name: 'codex-workspace-01234567-r1d2', labels, annotations });
  expect((job.spec as KubeObject).backoffLimit).toBe(0);
  expect(((job.spec as KubeObject).template as KubeObject).metadata).toEqual({ labels, annotations });
  expect({ ...spec, initContainers: undefined, containers: undefined }).toEqual({
    restartPolicy: 'Never',
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: {
      sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '1024' }],
      seccompProfile: { type: 'RuntimeDefault' },
    },
    initContainers: undefined,
    containers: undefined,
    volumes: [
      { name: 'codex-home', emptyDir: {} },
      { name: 'workdir', emptyDir: {} },
      { name: 'private', emptyDir: { medium: 'Memory' } },
      { name: 'report', emptyDir: {} },
    ],
  });
  expect(container(job)).toEqual({
    name: 'sandbox',
    image: 'registry.example/codex-sandbox:1',
    imagePullPolicy: 'IfNotPresent',
    args: ['exec', '--', 'fix the tests'],
    workingDir: '/app/workspace',
    env: [
      { name: 'CODEX_HOME', value: '/codex_home' },
      { name: 'HOME', value: '/codex_home' },
      { name: 'SANDBOX_WORKDIR', value: '/app/workspace' },
      { name: 'SANDBOX_ENV_DIR', value: '/codex_home' },
      { name: 'SANDBOX_ALLOWED_DOMAINS', value: 'api.openai.com github.com' },
      { name: 'SANDBOX_HOST_UID', value: '1000' },
      { name: 'SANDBOX_HOST_GID', value: '1000' },
      { name: 'SANDBOX_EGRESS_LOG', value: '1' },
      { name: 'SANDBOX_REPO_URL', value: 'https://github.com/o/r' },
      { name: 'SANDBOX_REPO_REF', value: 'main' },
      { name: 'SANDBOX_REPO_DIR', value: 'r' },
      { name: 'OPENAI_API_KEY', value: 'p'.repeat(48) },
      { name: 'SANDBOX_REPORT', value: '1' },
      { name: 'SANDBOX_REPORT_MESSAGE', value: '/codex_home/runs/r1d2/last-message.md' },
    ],
    volumeMounts: [
      { name: 'codex-home', mountPath: '/codex_home' },
      { name: 'workdir', mountPath: '/app/workspace' },
      { name: 'private', mountPath: '/var/lib/codex-sandbox/private' },
      { name: 'report', mountPath: '/var/lib/codex-sandbox/private/egress' },
    ],
    securityContext: {
      runAsUser: 0,
      runAsGroup: 0,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'], add: [...ENTRYPOINT_CAPABILITIES] },
    },
  });
});

test('the key reaches only the init container, from the Secret; the agent gets the placeholder (R184)', () => {
  const job = jobFor(podRun());
  const init = (podSpec(job).initContainers as KubeObject[])[0] as KubeObject;
  expect(init.command).toEqual(['node', '-e', expect.stringContaining('JSON.parse(process.env.SANDBOX_KUBE_CREDENTIALS)')]);
  expect(init.env).toEqual([
    { name: 'SANDBOX_KUBE_CREDENTIALS', value: JSON.stringify([CREDENTIAL]) },
    { name: 'OPENAI_API_KEY', valueFrom: { secretKeyRef: { name: 'codex-sandbox-credentials', key: 'OPENAI_API_KEY' } } },
  ]);
  expect(init.volumeMounts).toEqual([{ name: 'private', mountPath: '/private' }]);
  expect(init.securityContext).toEqual({ runAsUser: 0, runAsGroup: 0, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  expect(JSON.stringify(container(job))).not.toContain('secretKeyRef');
});

test('another agent: its variables from the Secret, labels that are no label values as annotations, a claim for the report', () => {
  const run = podRun({
    agent: { id: 'claude', passEnv: ['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL'] },
    secrets: { dir: '/kube', loginCopy: false, names: [] },
    launcherHost: 'my host!',
  });
  const credential = { name: 'ANTHROPIC_API_KEY', placeholder: 'q'.repeat(48), hosts: ['api.anthropic.com'] };
  const job = buildKubeJob({ plan: assembleRunPlan(run), secretName: 'team-keys', credentials: [credential], reportClaim: 'reports' });
  validateBoth(job);
  const env = container(job).env as KubeObject[];
  expect(env).toContainEqual({ name: 'SANDBOX_AGENT', value: 'claude' });
  expect(env).toContainEqual({ name: 'ANTHROPIC_API_KEY', value: 'q'.repeat(48) });
  expect(env).toContainEqual({ name: 'ANTHROPIC_BASE_URL', valueFrom: { secretKeyRef: { name: 'team-keys', key: 'ANTHROPIC_BASE_URL' } } });
  expect(env.map((entry) => entry.name)).not.toContain('SANDBOX_REPORT_MESSAGE');
  expect(podSpec(job).volumes).toContainEqual({ name: 'report', persistentVolumeClaim: { claimName: 'reports' } });
  const metadata = job.metadata as { labels: Record<string, string>; annotations: Record<string, string> };
  expect(metadata.labels['codex-sandbox.agent']).toBe('claude');
  expect(metadata.annotations['codex-sandbox.launcher-host']).toBe('my host!');
  expect(metadata.labels['codex-sandbox.launcher-host']).toBeUndefined();
});

test('no credential: no init container, no private volume; egress policy variables as docker has them', () => {
  const run = podRun({
    secrets: undefined,
    egress: {
      domains: ['api.openai.com'],
      ports: [{ host: 'db.example.com', port: 5432 }],
      denied: ['evil.example.com'],
      hostPorts: [],
      rules: [],
    },
  } as Partial<ResolvedRun>);
  const job = buildKubeJob({ plan: assembleRunPlan(run), secretName: 's', credentials: [] });
  validateBoth(job);
  expect(podSpec(job).initContainers).toBeUndefined();
  expect((podSpec(job).volumes as KubeObject[]).map((volume) => volume.name)).toEqual(['codex-home', 'workdir', 'report']);
  const env = container(job).env as KubeObject[];
  expect(env).toContainEqual({ name: 'SANDBOX_ALLOWED_PORTS', value: 'db.example.com:5432' });
  expect(env).toContainEqual({ name: 'SANDBOX_DENIED_DOMAINS', value: 'evil.example.com' });
});

test('a plan with a host mount, a TTY or host networking never becomes a Job', () => {
  expect(() => jobFor(podRun({ readOnly: ['/etc/hosts'] }))).toThrow(/host path/);
  expect(() => jobFor(podRun({ tty: true }))).toThrow(/headless/);
  expect(() => jobFor(podRun({ network: 'bridge' }))).toThrow(/headless/);
  expect(() => buildKubeJob({ plan: assembleRunPlan(podRun({ secrets: undefined })), secretName: 's', credentials: [CREDENTIAL] })).toThrow(
    /secrets mount/,
  );
});

test('convertJobToPod: the template as a Pod of the Job name, for podman kube play (R181)', () => {
  const job = jobFor(podRun());
  const pod = convertJobToPod(job);
  const name = String((job.metadata as KubeObject).name);
  // Podman keeps each emptyDir as a named volume after the pod: named after the pod (R181).
  const renamed = (list: unknown) => (list as KubeObject[]).map((entry) => ({ ...entry, name: `${name}-${String(entry.name)}` }));
  const spec = podSpec(job);
  expect(pod).toEqual({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(((job.spec as KubeObject).template as KubeObject).metadata as KubeObject) },
    spec: {
      ...spec,
      initContainers: (spec.initContainers as KubeObject[]).map((c) => ({ ...c, volumeMounts: renamed(c.volumeMounts) })),
      containers: (spec.containers as KubeObject[]).map((c) => ({ ...c, volumeMounts: renamed(c.volumeMounts) })),
      volumes: renamed(spec.volumes),
    },
  });
  expect((pod.spec as KubeObject).volumes).toContainEqual({ name: `${name}-report`, emptyDir: {} });
});

test('the rendered YAML reads back as the same objects (Job and Pod)', () => {
  const job = jobFor(podRun({ args: ['exec', '--', 'line 1\nline 2: "quoted" # not a comment\u2028yes'] }));
  expect(yaml.load(renderYaml(job, ['a comment']))).toEqual(job);
  expect(yaml.load(renderYaml(convertJobToPod(job)))).toEqual(convertJobToPod(job));
});

test('label values and names', () => {
  expect(
    splitKubeLabels([
      ['a', 'ok-1.2_3'],
      ['b', '/path'],
      ['c', ''],
      ['d', 'x'.repeat(64)],
    ]),
  ).toEqual({
    labels: { a: 'ok-1.2_3', c: '' },
    annotations: { b: '/path', d: 'x'.repeat(64) },
  });
  expect(toKubeName('codex-My_Proj.x-01234567-r1d2')).toBe('codex-my-proj-x-01234567-r1d2');
  expect(toKubeName('__')).toBe('codex-sandbox');
  expect(toKubeName(`codex-${'a'.repeat(80)}`)).toHaveLength(63);
});
