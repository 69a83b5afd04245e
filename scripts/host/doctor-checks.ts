import path from 'node:path';
import { AGENTS, type AgentId } from '../core/agents/agents.js';
import { classifyImageContract, LABELS } from '../core/run/container-identity.js';
import { readImageAgents } from '../core/image/image-labels.js';
import type { DoctorCheck } from '../core/doctor-report.js';
import { describeEngine } from '../core/engine/engine.js';
import { selectProxy } from '../core/egress/proxy-spec.js';
import { hasSettings } from '../core/settings.js';
import { trustStateOf } from '../core/trust.js';
import { DEFAULT_AGENT } from '../core/agents/agents.js';
import { inspectAgentHome } from './agents/agent-home.js';
import { checkAgent } from './agents/doctor-agents.js';
import { currentEngine, inspectImage, queryDocker } from './engine/docker.js';
import type { HostContext } from './host-context.js';
import { readProjectSettings, readUserSettings, resolveProjectPaths } from './settings-file.js';
import { readTrustStore } from './trust-store.js';
import { resolveWorkdir } from './workdir.js';

/** A dead engine must not hang doctor: every docker call gets a short deadline. */
const QUICK_MS = 3000;
const PROBE_MS = 30000;
const PROBE_SCRIPT = 'iptables -S >/dev/null && ipset list -n >/dev/null';

const pass = (check: string, detail: string, essential = true): DoctorCheck => ({ check, ok: true, detail, fix: '', essential });
const fail = (check: string, detail: string, fix: string, essential = true): DoctorCheck => ({ check, ok: false, detail, fix, essential });
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * docker CLI, engine, image, a probe container with iptables/ipset: the essentials, in order;
 * with the image's labels when it is a current sandbox image (the agent checks read them).
 */
async function checkDocker(image: string): Promise<{ checks: DoctorCheck[]; labels?: Record<string, string> }> {
  const engine = currentEngine();
  // R173: which engine, and why (flag, CONTAINER_ENGINE, or what is installed).
  const checks: DoctorCheck[] = [pass('container engine', `${describeEngine(engine)}: ${engine.reason}`)];
  const name = engine.name;
  try {
    checks.push(pass(`${name} CLI`, (await queryDocker(['--version'], QUICK_MS)).trim()));
  } catch (error) {
    const install = name === 'docker' ? 'install Docker (Docker Engine or docker.io)' : 'install Podman (podman, uidmap, slirp4netns)';
    checks.push(fail(`${name} CLI`, 'not found on PATH', `${install} and put \`${name}\` on PATH, or choose the other with --engine`));
    return { checks };
  }
  try {
    const version = (await queryDocker(['version', '--format', '{{.Server.Version}}'], QUICK_MS)).trim();
    checks.push(pass(`${name} engine`, `reachable, version ${version}`));
  } catch (error) {
    // "Docker engine is not running: start it (…)": the part after the colon is the fix.
    const [what = '', ...rest] = messageOf(error).split(': ');
    checks.push(fail(`${name} engine`, `not reachable (${what})`, rest.length > 0 ? rest.join(': ') : what));
    checks.push(fail('sandbox image', 'skipped: no engine', 'start the engine first'));
    checks.push(fail('iptables/ipset in a container', 'skipped: no engine', 'start the engine first'));
    return { checks };
  }
  const info = await inspectImage(image).catch(() => ({ exists: false, labels: {} as Record<string, string> }));
  if (!info.exists) {
    checks.push(fail('sandbox image', `${image} not found`, 'run `run-in-container build` (a run builds it automatically too)'));
    checks.push(fail('iptables/ipset in a container', 'skipped: no sandbox image to probe with', 'run `run-in-container build`'));
    return { checks };
  }
  const contract = classifyImageContract(info.labels);
  if (contract !== 'current') {
    const why =
      contract === 'outdated'
        ? 'was built for an older launcher (no name-checked egress or no mount check)'
        : 'lacks the codex-sandbox entrypoint label';
    checks.push(fail('sandbox image', `${image} ${why}`, 'run `run-in-container build` (or use an image built by it)'));
    return { checks };
  }
  checks.push(...(await probeImage(image, info.labels)));
  return { checks, labels: info.labels };
}

/** Runs the image once without a network: it lists its firewall tools. Its agents come from its labels (R131). */
async function probeImage(image: string, labels: Readonly<Record<string, string>>): Promise<DoctorCheck[]> {
  const result: DoctorCheck[] = [];
  try {
    const probe = [
      'run',
      '--rm',
      '--label',
      `${LABELS.managed.replace('managed', 'doctor')}=1`,
      '--cap-drop',
      'ALL',
      '--cap-add',
      'NET_ADMIN',
      '--cap-add',
      'NET_RAW',
    ];
    await queryDocker([...probe, '--network', 'none', '--entrypoint', 'sh', image, '-c', PROBE_SCRIPT], PROBE_MS);
    const agents = Object.entries(readImageAgents(labels)).map(([id, version]) => `${id} ${version}`);
    result.push(pass('sandbox image', `${image}, ${agents.length === 0 ? 'no agent labels' : agents.join(', ')}`));
    result.push(pass('iptables/ipset in a container', 'a probe container listed its rules and sets'));
  } catch (error) {
    result.push(pass('sandbox image', `${image} present`));
    result.push(
      fail(
        'iptables/ipset in a container',
        `the probe failed: ${messageOf(error)}`,
        'the engine must allow NET_ADMIN/NET_RAW and have the iptables/ip_set kernel modules (load them: sudo modprobe ip_tables ip_set)',
      ),
    );
  }
  return result;
}

/** auth.json and config.toml as a run would find them (the launcher's own search, read only). */
async function checkCodexHome(ctx: HostContext, workdir: string): Promise<DoctorCheck[]> {
  const envDir = path.join(workdir, '.codex', '.environment');
  try {
    const home = await inspectAgentHome({ agent: DEFAULT_AGENT, workdir, envDir, sessionsDir: path.join(envDir, 'sessions'), ctx });
    const config = home.facts.configSource?.path;
    return [
      home.credentialFile === undefined
        ? fail(
            'auth',
            `no ${AGENTS[DEFAULT_AGENT].credentialFile} found`,
            'run `run-in-container login` (or put auth.json in ~/.codex, or pass --auth_file)',
            false,
          )
        : pass('auth', `${home.credentialFile} (mounted read-only)`, false),
      config === undefined
        ? pass('config source', 'none found: Codex starts with its defaults', false)
        : pass('config source', home.facts.configTargetExists ? `${envDir}/config.toml (already copied from a source)` : config, false),
    ];
  } catch (error) {
    return [fail('auth', messageOf(error), 'fix the path named', false)];
  }
}

/** User defaults and the project file: do they parse, is the project file trusted? */
async function checkSettings(ctx: HostContext, workdir: string): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  try {
    const user = await readUserSettings(ctx);
    checks.push(pass('user settings', user === undefined ? 'none (~/.config/codex-sandbox/config.ini)' : `${user.path}`, false));
  } catch (error) {
    checks.push(fail('user settings', messageOf(error), 'fix the line named, or delete the file', false));
  }
  try {
    const project = await readProjectSettings(workdir);
    if (project === undefined || !hasSettings(project.layer)) {
      checks.push(
        pass('project settings', project === undefined ? `none (${workdir}/.codex/sandbox.ini)` : `${project.path} sets nothing`, false),
      );
    } else {
      const resolved = await resolveProjectPaths(project, ctx.home, ctx.cwd, [workdir]);
      const state = trustStateOf(await readTrustStore(ctx), project.path, project.sha256, resolved);
      checks.push(
        state === 'trusted'
          ? pass('project settings', `${project.path} (trusted)`, false)
          : fail(
              'project settings',
              `${project.path} is ${state === 'changed' ? 'changed since you approved it' : 'not trusted'}`,
              `review it, then run \`run-in-container trust --work_dir ${workdir}\``,
              false,
            ),
      );
    }
  } catch (error) {
    checks.push(fail('project settings', messageOf(error), 'fix the line named, or delete the file', false));
  }
  return checks;
}

function checkProxyAndCa(ctx: HostContext): DoctorCheck {
  const cas = [ctx.env.SANDBOX_CA_CERTS, ctx.env.NODE_EXTRA_CA_CERTS].filter((v): v is string => v !== undefined);
  try {
    const proxy = selectProxy(undefined, ctx.env);
    const parts = [
      proxy === undefined ? 'no proxy' : `proxy ${proxy.redacted} (from ${proxy.source})`,
      cas.length === 0 ? 'no extra CA' : `extra CA ${cas.join(' ')}`,
    ];
    return pass('proxy/CA', parts.join(', '), false);
  } catch (error) {
    return fail('proxy/CA', messageOf(error), 'fix or unset the proxy variable', false);
  }
}

/** Every doctor check, in the order printed. */
export async function runDoctorChecks(
  ctx: HostContext,
  options: { workDir?: string; image: string; agents: readonly AgentId[] },
): Promise<DoctorCheck[]> {
  const { checks, labels } = await checkDocker(options.image);
  let workdir: string | undefined;
  try {
    workdir = (await resolveWorkdir(options.workDir, ctx)).path;
  } catch (error) {
    checks.push(fail('workdir', messageOf(error), 'run doctor in your project, or pass --work_dir', false));
  }
  for (const agent of options.agents) {
    checks.push(...(await checkAgent(ctx, options.image, labels, workdir, agent)));
    // The agent whose home is the Codex home: its login and config are the search a Codex run does (R8, R9).
    if (AGENTS[agent].homeDir === '' && workdir !== undefined) checks.push(...(await checkCodexHome(ctx, workdir)));
  }
  if (workdir !== undefined) checks.push(...(await checkSettings(ctx, workdir)));
  checks.push(checkProxyAndCa(ctx));
  return checks;
}
