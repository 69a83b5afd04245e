import { AGENTS } from '../core/agents/agents.js';
import type { EgressPolicy } from '../core/egress/egress-policy.js';
import { EnvironmentError } from '../core/errors.js';
import { listEgressSecrets } from '../core/egress/egress-run-args.js';
import { describeLoginRetry, type ContainerLogin } from '../core/login/login-flows.js';
import { assembleLoginPlan } from '../core/login/login-plan.js';
import { buildDockerRunArgs } from '../core/run/run-plan.js';
import { escapeTerminalText } from '../core/terminal-text.js';
import { credentialStoreRoot } from '../host/agents/credential-store.js';
import { probeDocker, provideDockerEnv, runDockerAttached } from '../host/engine/docker.js';
import type { HostContext } from '../host/host-context.js';
import { createLoginHome, readLoginCredential, writeLoginFiles, type LoginHome } from '../host/agents/login-home.js';
import { pinMountSources } from '../host/mount-pins.js';

export interface LoginContainerInputs {
  ctx: HostContext;
  runId: string;
  launcherVersion: string;
  image: string;
  egress: EgressPolicy;
  caFiles: readonly string[];
  network?: string;
  /** The API key for the login's stdin (Codex --with-api-key). */
  key?: string;
  args: readonly string[];
}

export type LoginOutcome = { kind: 'found'; bytes: Buffer } | { kind: 'interrupted'; exitCode: number };

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs the login's container on a fresh private login directory and returns what it
 * stored (R135, R136). Success is the credential file, not the exit code: Codex exits 0
 * without one when its /success page is hit. The container is removed and the login
 * directory deleted in every case, also on Ctrl-C and on failure.
 */
export async function runLoginContainer(flow: ContainerLogin, inputs: LoginContainerInputs): Promise<LoginOutcome> {
  const { ctx } = inputs;
  let received: NodeJS.Signals | undefined;
  // Until the container runs (and while it does, beside runDockerAttached's own), a signal
  // only marks the login interrupted: the finally below must get to clean up.
  const handlers = SIGNALS.map((signal) => [signal, () => (received ??= signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  const home = await createLoginHome(credentialStoreRoot(ctx), inputs.runId);
  let containerName: string | undefined;
  let removed = false;
  try {
    await writeLoginFiles(home, flow.homeFiles);
    const plan = assembleLoginPlan({
      flow,
      image: inputs.image,
      runId: inputs.runId,
      loginDir: home.path,
      egress: inputs.egress,
      caFiles: inputs.caFiles,
      ...(inputs.network === undefined ? {} : { network: inputs.network }),
      uid: ctx.uid,
      gid: ctx.gid,
      tty: inputs.key === undefined && ctx.stdinIsTTY && ctx.stdoutIsTTY,
      launcherPid: ctx.pid,
      launcherHost: ctx.hostname,
      launcherVersion: inputs.launcherVersion,
      args: inputs.args,
    });
    containerName = plan.containerName;
    // R103: the login directory is written by the login: its identity is pinned last.
    const ids = await pinMountSources(plan.mounts, [home.path], { allowMissing: false });
    if (received !== undefined) return { kind: 'interrupted', exitCode: 130 };
    provideDockerEnv(listEgressSecrets(inputs.egress), true);
    const watcher = flow.stopWhenStored ? watchForCredential(home, flow, plan.containerName) : undefined;
    const exitCode = await runDockerAttached(buildDockerRunArgs({ ...plan, ...(ids === undefined ? {} : { mountIds: ids }) }), {
      containerName: plan.containerName,
      outputToStderr: true,
      ...(inputs.key === undefined ? {} : { input: `${inputs.key}\n` }),
    }).finally(() => watcher?.stop());
    await waitUntilRemoved(plan.containerName);
    removed = true;
    return await judgeLogin(flow, home, exitCode, received !== undefined || watcher?.stopped() === true);
  } finally {
    if (containerName !== undefined && !removed) await waitUntilRemoved(containerName);
    const warning = await home.remove();
    if (warning !== undefined) process.stderr.write(`warning: ${escapeTerminalText(warning)}\n`);
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}

/** The credential decides (R136); without one, one line that says what to try (exit 1). */
async function judgeLogin(flow: ContainerLogin, home: LoginHome, exitCode: number, interrupted: boolean): Promise<LoginOutcome> {
  const spec = AGENTS[flow.agent];
  const read = await readLoginCredential(home, flow.credential);
  if (read.kind === 'found') return read;
  if (read.kind === 'refused') {
    throw new EnvironmentError(`${spec.title}'s login left ${escapeTerminalText(read.why)}: nothing was stored; run login again`);
  }
  if (interrupted && exitCode >= 128) return { kind: 'interrupted', exitCode };
  throw new EnvironmentError(
    `no ${spec.title} login was stored (\`${flow.argv.join(' ')}\` exited ${exitCode} without writing ${flow.credential.join('/')}): ` +
      describeLoginRetry(flow),
  );
}

/**
 * For a login that stays interactive after signing in (Gemini CLI): polls the login
 * directory through its descriptor and stops the container once the credential is there
 * and has stopped changing.
 */
function watchForCredential(home: LoginHome, flow: ContainerLogin, containerName: string) {
  let last: string | undefined;
  let stopping = false;
  const timer = setInterval(() => {
    void readLoginCredential(home, flow.credential).then(
      async (read) => {
        if (stopping || read.kind !== 'found') return;
        const text = read.bytes.toString('base64');
        if (text !== last) {
          last = text;
          return;
        }
        stopping = true;
        clearInterval(timer);
        process.stderr.write(`signed in: stopping ${AGENTS[flow.agent].title}\n`);
        await probeDocker(['stop', '--time', '3', containerName], 20000).catch(() => undefined);
      },
      () => undefined,
    );
  }, 500);
  return { stop: () => clearInterval(timer), stopped: () => stopping };
}

/** `docker run --rm` may return before the engine removed the container: make sure it is gone. */
async function waitUntilRemoved(name: string): Promise<void> {
  await probeDocker(['rm', '-f', name], 20000).catch(() => undefined);
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const found = await probeDocker(['ps', '-aq', '--filter', `name=^${name}$`]).catch(() => undefined);
    if (found === undefined || found.exitCode !== 0 || found.stdout.trim() === '') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
