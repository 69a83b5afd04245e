import { randomBytes } from 'node:crypto';
import { AGENTS, buildHeadlessArgs, type AgentId } from '../core/agents/agents.js';
import { assembleRunPlan, type ResolvedRun } from '../core/run/assemble-run-plan.js';
import { CODEX_HOME_TARGET } from '../core/run/container-identity.js';
import { UsageError } from '../core/errors.js';
import { lastMessagePaths, validatePrompt } from '../core/run/exec-report.js';
import { buildKubeJob, convertJobToPod, DEFAULT_KUBE_SECRET, type KubeCredential } from '../core/engine/kube-job.js';
import { describeManifest, toKubeName } from '../core/engine/kube-metadata.js';
import { renderYaml } from '../core/engine/kube-yaml.js';
import { makePlaceholder } from '../core/run/placeholder.js';
import { splitRepoShorthand, validateRepoSpec, type RepoSpec } from '../core/run/repo-spec.js';
import { checkSecretHosts, listAgentSecretHosts, listKeyHosts, parseSecretSpecs } from '../core/run/run-secrets.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import type { HostContext } from '../host/host-context.js';
import { hashWorkdir } from '../host/workdir.js';
import { settingsAsRun } from './egress-check.js';
import type { PreparedEgress } from './prepare-egress.js';
import type { PreparedHomes } from './prepare-homes.js';
import { prepareHomesAndEgress } from './prepare-run.js';
import type { PreparedSettings } from './prepare-settings.js';
import type { ExecOptions } from './run-options.js';
import { resolveRunPlaces } from './run-places.js';

/**
 * `exec --emit kubernetes|pod --repo URL PROMPT` (R180-R186): the Job (or its Pod) that runs
 * what `exec` would run with docker — the same plan (core/assemble-run-plan.ts) from the same
 * steps (places, settings, homes and egress, as `egress check` takes them), with the pod's own
 * workdir and Codex home on volumes. Prints it on stdout; starts, asks and writes nothing.
 */

export const EMIT_KINDS = ['kubernetes', 'pod'] as const;
export type EmitKind = (typeof EMIT_KINDS)[number];

export interface EmitOptions extends ExecOptions {
  emit: string;
  /** `--kube-secret NAME`: the Secret the credentials come from (default codex-sandbox-credentials). */
  kubeSecret?: string;
  /** `--report-claim NAME`: a PersistentVolumeClaim for the report volume. */
  reportClaim?: string;
}

/** Where the pod keeps what a host would: its workdir (→ /app/workspace) and Codex home (→ /codex_home), both volumes. */
const POD_WORKDIR = '/workspace';
const POD_CODEX_HOME = '/codex-home';
/**
 * No host user to map: 0 tells the entrypoint so (R34), as for a launcher run by root. The
 * volumes start root-owned, so it hands the workdir and the Codex home to its agent user
 * (uid 1000) before the clone.
 */
const POD_UID = 0;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Flags that name something on this host, or a step a pod has nobody for: refused, never dropped silently (R182). */
function listHostOnlyFlags(options: EmitOptions): string[] {
  const given: Array<[string, boolean]> = [
    ['--out', options.out !== undefined],
    ['--track', options.track === true],
    ['--protect-git', options.protectGit === true],
    ['--read-only', options.readOnly.length > 0],
    ['a second workdir', (options.extraWorkDirs ?? []).length > 0],
    ['--name (a session)', options.session !== undefined],
    ['--allow-host-port', options.egress.allowHostPorts.length > 0],
    ['--ca-cert', options.egress.caCerts.length > 0],
    ['--ask', options.egress.ask !== undefined],
    ['--codex-home', options.codexHome !== undefined],
    ['--sessions-path', options.sessionsPath !== undefined],
    ['--auth_file', options.authFile !== undefined],
    ['--config', options.config !== undefined],
    ['--init_script', options.initScript !== undefined],
    ['--egress-log', options.egressLog !== undefined],
    ['--secret-from', (options.secrets?.commands ?? []).length > 0],
    ['--network', options.network !== undefined],
    ['--dns', options.dns.length > 0],
    ['--dry-run', options.dryRun],
  ];
  return given.filter(([, isGiven]) => isGiven).map(([flag]) => flag);
}

/** Every check that needs no read: a wrong flag fails before anything is looked at. */
function checkEmitFlags(options: EmitOptions): { kind: EmitKind; prompt: string; secretName: string } {
  const kind = EMIT_KINDS.find((entry) => entry === options.emit);
  if (kind === undefined)
    throw new UsageError(
      `--emit ${JSON.stringify(options.emit)} is not known: use --emit kubernetes (a Job) or --emit pod (podman kube play)`,
    );
  const hostOnly = listHostOnlyFlags(options);
  if (hostOnly.length > 0)
    throw new UsageError(`--emit: ${hostOnly.join(', ')} needs this host, which the pod does not have: drop it (docs/kubernetes.md)`);
  if (options.repo === undefined)
    throw new UsageError('--emit needs --repo URL: the pod has no host directory, its workdir is cloned from the repository');
  const secretName = options.kubeSecret ?? DEFAULT_KUBE_SECRET;
  for (const [flag, name] of [
    ['--kube-secret', secretName],
    ['--report-claim', options.reportClaim],
  ] as const) {
    if (name !== undefined && !DNS_LABEL.test(name))
      throw new UsageError(`${flag} ${JSON.stringify(name)} is not a Kubernetes name: use lowercase letters, digits and '-'`);
  }
  return { kind, prompt: validatePrompt(options.prompt), secretName };
}

/** `--repo URL@REF` or `--repo URL --ref REF`, checked against the run's allowlist like a clone on the host (R53). */
function resolveRepo(options: EmitOptions, egress: PreparedEgress): RepoSpec {
  const shorthand = splitRepoShorthand(options.repo ?? '');
  if (shorthand.ref !== undefined && options.repoRef !== undefined)
    throw new UsageError('--repo URL@REF and --ref both give a ref: give it once');
  const ref = shorthand.ref ?? options.repoRef;
  const input = {
    url: shorthand.url,
    ...(ref === undefined ? {} : { ref }),
    ...(options.repoDir === undefined ? {} : { dir: options.repoDir }),
  };
  return validateRepoSpec(input, egress.policy.domains, egress.policy.denied);
}

/**
 * The credentials the proxy injects (R161-R163): the agent's keys that this launcher's run would
 * pass (set here, or stored by `login`; else the agent's API key variable) and `--secret` names.
 * Only names: the values are the Secret's, read in the pod by its init container.
 */
function listCredentials(
  agent: AgentId,
  options: EmitOptions,
  ctx: HostContext,
  homes: PreparedHomes,
  egress: PreparedEgress,
  settings: PreparedSettings,
): KubeCredential[] {
  const specs = parseSecretSpecs(options.secrets?.secrets ?? [], []);
  checkSecretHosts(specs, [...egress.policy.domains, ...egress.policy.ports.map((entry) => entry.host)], settings.noInspect);
  const spec = AGENTS[agent];
  const set = spec.secretHosts.keyEnv.filter((name) => ctx.env[name] !== undefined || homes.secretEnv[name] !== undefined);
  const keys = set.length > 0 ? set : [spec.apiKeyEnv];
  const clash = specs.find((entry) => keys.includes(entry.name));
  if (clash !== undefined) throw new UsageError(`--secret ${clash.name}: ${clash.name} is the agent's own key already: drop --secret`);
  const hosts = listAgentSecretHosts(agent, ctx.env, egress.providerHosts).keys;
  const named = [
    ...keys.map((name) => ({ name, hosts: listKeyHosts(agent, name, hosts) })),
    ...specs.map((entry) => ({ name: entry.name, hosts: entry.hosts })),
  ];
  // The value is unknown here: a random stand-in of 48 letters and digits, different for every run.
  return named.map((entry) => ({ ...entry, placeholder: makePlaceholder('x'.repeat(48), randomBytes, entry.name) }));
}

/** The run as the pod has it: the docker plan's inputs with the pod's places, no host mount, no host user. */
function resolvePodRun(parts: {
  options: EmitOptions;
  ctx: HostContext;
  launcherVersion: string;
  agent: AgentId;
  homes: PreparedHomes;
  egress: PreparedEgress;
  settings: PreparedSettings;
  repo: RepoSpec;
  credentials: readonly KubeCredential[];
}): ResolvedRun {
  const { options, ctx, agent, homes, egress, settings, repo, credentials } = parts;
  const runId = randomBytes(4).toString('hex');
  const names = credentials.map((entry) => entry.name);
  // The agent's variables pass by name like on the host; a login file stays there (none in the pod).
  const podAgent = { id: homes.agent.id, passEnv: [...new Set([...homes.agent.passEnv, ...names])] };
  return {
    command: 'agent',
    agent: podAgent,
    workdir: POD_WORKDIR,
    envDir: POD_CODEX_HOME,
    sessionsDir: `${POD_CODEX_HOME}/sessions`,
    readOnly: [],
    allowlist: egress.policy.domains,
    egress: egress.policy,
    image: settings.image,
    dns: [],
    uid: POD_UID,
    gid: POD_UID,
    tty: false,
    runId,
    workdirHash: hashWorkdir(repo.url),
    launcherPid: ctx.pid,
    launcherHost: ctx.hostname,
    launcherVersion: parts.launcherVersion,
    args: buildHeadlessArgs(
      agent,
      validatePrompt(options.prompt),
      options.passThrough,
      lastMessagePaths(runId, CODEX_HOME_TARGET).container,
    ).args,
    repo: { url: repo.url, ...(repo.ref === undefined ? {} : { ref: repo.ref }), dir: repo.dir },
    // The report volume (core/kube-job.ts) takes the place of the host's egress directory.
    egressLogDir: 'report',
    ...(settings.noInspect.length === 0 ? {} : { noInspect: settings.noInspect }),
    // The agent's keys and --secret names pass by name with the agent: placeholders in the pod.
    secrets: { dir: '/kube', loginCopy: false, names: names.filter((name) => !podAgent.passEnv.includes(name)) },
  };
}

const lastMessageIn = (runId: string): string => lastMessagePaths(runId, CODEX_HOME_TARGET).container;

/** Prints the manifest; 0 when printed. Nothing on this host is created, changed or started (R182). */
export async function execEmitCommand(options: EmitOptions, ctx: HostContext, launcherVersion: string): Promise<number> {
  const { kind, secretName } = checkEmitFlags(options);
  const places = await resolveRunPlaces(options, ctx);
  const settings = await settingsAsRun(options, ctx, places);
  const { homes, egress } = await prepareHomesAndEgress(options, ctx, places, settings);
  const repo = resolveRepo(options, egress);
  const agent = homes.agent.id;
  const credentials = listCredentials(agent, options, ctx, homes, egress, settings);
  const resolved = resolvePodRun({ options, ctx, launcherVersion, agent, homes, egress, settings, repo, credentials });
  const plan = assembleRunPlan(resolved);
  const job = buildKubeJob({
    plan,
    secretName,
    credentials,
    ...(options.reportClaim === undefined ? {} : { reportClaim: options.reportClaim }),
    // An agent that writes its final message to a file leaves it for the report (R126).
    ...(AGENTS[agent].headless.lastMessage === 'file' ? { lastMessage: lastMessageIn(resolved.runId) } : {}),
  });
  const manifest = kind === 'pod' ? convertJobToPod(job) : job;
  // Extra CA files (found in SANDBOX_CA_CERTS, NODE_EXTRA_CA_CERTS) live on this host: the pod has the image's CAs only.
  for (const line of egress.messages.filter((entry) => !entry.startsWith('trusting CA ')))
    process.stderr.write(`${escapeTerminalText(line)}\n`);
  if (egress.caFiles.length > 0)
    process.stderr.write(
      `warning: ${escapeTerminalText(egress.caFiles.join(', '))} not carried into the pod: it trusts the image's CAs only\n`,
    );
  const keys = credentials.map((entry) => entry.name).join(', ');
  process.stderr.write(`run ${resolved.runId}: ${kind === 'pod' ? 'Pod' : 'Job'} on stdout; the Secret ${secretName} must hold ${keys}\n`);
  const name = toKubeName(plan.containerName);
  process.stdout.write(renderYaml(manifest, describeManifest(kind === 'pod' ? 'Pod' : 'Job', secretName, name)));
  return 0;
}
