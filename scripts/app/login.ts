import { randomBytes } from 'node:crypto';
import { AGENTS, DEFAULT_AGENT, type AgentId } from '../core/agents/agents.js';
import { buildEgressPolicy, type EgressPolicy } from '../core/egress/egress-policy.js';
import { describeEgressPolicy } from '../core/egress/egress-run-args.js';
import { UsageError } from '../core/errors.js';
import { DEFAULT_IMAGE, validateImageReference } from '../core/image/image-tags.js';
import { chooseLoginFlow, parseApiKey, type ContainerLogin, type StoredKeyLogin } from '../core/login/login-flows.js';
import { loginEgressDefaults } from '../core/login/login-plan.js';
import { validateNetworkName } from '../core/egress/network-options.js';
import { selectProxy } from '../core/egress/proxy-spec.js';
import { findCaCertificates } from '../host/engine/ca-certs.js';
import { STORED_API_KEY_FILE } from '../host/agents/credential-store.js';
import type { HostContext } from '../host/host-context.js';
import { ensureSandboxImage } from '../host/engine/image.js';
import { ensureLoopbackPortFree } from '../host/loopback-port.js';
import { readSecret } from '../host/agents/read-secret.js';
import { reapOrphanContainers } from '../host/engine/reaper.js';
import { checkSaveTo, saveCredential, storeTarget, type SaveTarget } from '../host/agents/save-credential.js';
import { runLoginContainer } from './login-container.js';
import { prepareBuildEgress } from './prepare-egress.js';

/** `login`'s typed options (cli/login-flags.ts). */
export interface LoginOptions {
  agent: AgentId;
  deviceAuth: boolean;
  withApiKey: boolean;
  saveTo?: string;
  force: boolean;
  image?: string;
  network?: string;
  egress: { allow: string[]; deny: string[]; proxy?: string; caCerts: string[] };
  /** Arguments for the agent's login command (after `--`). */
  passThrough: string[];
  /** Sandbox flags given by name (`--image`, `--allow`, …). */
  sandboxFlags: string[];
}

/**
 * `run-in-container login` (R135-R139): the agent's own login in a sandbox that reaches only
 * its login hosts, or an API key stored directly; the result goes to the credential store
 * (or `--save-to DIR`), where runs find it. stdout: the path written; stderr: progress.
 */
export async function loginCommand(options: LoginOptions, ctx: HostContext, launcherVersion: string): Promise<number> {
  const flow = chooseLoginFlow({
    agent: options.agent,
    deviceAuth: options.deviceAuth,
    withApiKey: options.withApiKey,
    ...(options.saveTo === undefined ? {} : { saveTo: options.saveTo }),
    force: options.force,
    passThrough: options.passThrough,
    sandboxFlags: options.sandboxFlags,
  });
  if (flow.kind === 'store-key') return storeApiKey(flow, ctx);
  return loginInSandbox(flow, options, ctx, launcherVersion);
}

/** How a key is piped in, for the message that asks for it. */
function keyExample(agent: AgentId): string {
  const flag = agent === DEFAULT_AGENT ? '' : ` --agent ${agent}`;
  return `\`printenv ${AGENTS[agent].apiKeyEnv} | run-in-container login${flag} --with-api-key\``;
}

async function readApiKey(agent: AgentId): Promise<string> {
  return parseApiKey(await readSecret(`${AGENTS[agent].title} API key (not shown): `), keyExample(agent));
}

/** Claude Code, Gemini CLI: the key itself, one line, 0600, in the store (R138); no container. */
async function storeApiKey(flow: StoredKeyLogin, ctx: HostContext): Promise<number> {
  const spec = AGENTS[flow.agent];
  const target = storeTarget(ctx, flow.agent);
  const key = await readApiKey(flow.agent);
  const file = await saveCredential(target, STORED_API_KEY_FILE, `${key}\n`);
  process.stderr.write(
    `stored the ${spec.title} API key: runs with --agent ${flow.agent} pass it as ${spec.storedKeyEnv ?? 'its key'} ` +
      `(by name, never on a command line) unless ${spec.storedKeyEnv ?? 'that variable'} is set\n`,
  );
  process.stdout.write(`${file}\n`);
  return 0;
}

/** Everything checked before anything starts: terminal, target, image name, network, egress, CAs, key, port. */
async function prepareLogin(flow: ContainerLogin, options: LoginOptions, ctx: HostContext) {
  const spec = AGENTS[flow.agent];
  if (flow.needsTerminal && !(ctx.stdinIsTTY && ctx.stdoutIsTTY)) {
    throw new UsageError(
      `${spec.title}'s login needs a terminal (you paste a code into it): run it in one` +
        (spec.storedKeyEnv === undefined ? '' : `, or store an API key with --with-api-key`),
    );
  }
  // The login file keeps the agent's own name wherever it is saved.
  const name = spec.credentialFile;
  const target: SaveTarget =
    options.saveTo === undefined ? storeTarget(ctx, flow.agent) : await checkSaveTo(options.saveTo, ctx.cwd, name, options.force);
  const imageWhat = options.image !== undefined ? '--image' : 'CODEX_DOCKER_IMAGE';
  const image = validateImageReference(options.image ?? ctx.env.CODEX_DOCKER_IMAGE ?? DEFAULT_IMAGE, imageWhat);
  const network = options.network === undefined ? undefined : validateNetworkName(options.network);
  const egress: EgressPolicy = buildEgressPolicy(
    [
      { source: '--allow', allow: options.egress.allow },
      { source: '--deny', deny: options.egress.deny },
    ],
    selectProxy(options.egress.proxy, ctx.env),
    loginEgressDefaults(flow),
  );
  // login mounts no workdir: no tree its agent writes before the CAs are read.
  const ca = await findCaCertificates(options.egress.caCerts, ctx, []);
  const key = flow.keyOnStdin ? await readApiKey(flow.agent) : undefined;
  if (flow.callbackPort !== undefined) {
    await ensureLoopbackPortFree(flow.callbackPort, 'free it, or log in with --device-auth (a code on the terminal)');
  }
  return { target, name, image, network, egress, ca, key };
}

/** The agent's own login in a sandbox (R135, R137): prepared, the image ensured, run, its credential saved. */
async function loginInSandbox(flow: ContainerLogin, options: LoginOptions, ctx: HostContext, launcherVersion: string): Promise<number> {
  const spec = AGENTS[flow.agent];
  const prepared = await prepareLogin(flow, options, ctx);
  for (const warning of prepared.ca.warnings) process.stderr.write(`warning: ${warning}\n`);
  const runId = randomBytes(4).toString('hex');
  const reaping = reapOrphanContainers(ctx.hostname, ctx);
  try {
    await ensureSandboxImage(
      prepared.image,
      ctx.env.SANDBOX_BASE_IMAGE,
      runId,
      async () => (await prepareBuildEgress(options.egress, ctx, [])).egress,
      // An image without the agent is built with it first, as for a run (R134).
      flow.agent,
    );
    process.stderr.write(`logging in to ${spec.title} in a sandbox that reaches only ${prepared.egress.domains.join(', ')}\n`);
    for (const line of describeEgressPolicy(prepared.egress, spec.loginHosts)) process.stderr.write(`${line}\n`);
    for (const file of prepared.ca.files) process.stderr.write(`trusting CA ${file}\n`);
    if (flow.callbackPort !== undefined) {
      process.stderr.write(
        `your browser's callback reaches the login through 127.0.0.1:${flow.callbackPort} on this machine, while the login runs\n`,
      );
    }
    const outcome = await runLoginContainer(flow, {
      ctx,
      runId,
      launcherVersion,
      image: prepared.image,
      egress: prepared.egress,
      caFiles: prepared.ca.files,
      ...(prepared.network === undefined ? {} : { network: prepared.network }),
      ...(prepared.key === undefined ? {} : { key: prepared.key }),
      args: options.passThrough,
    });
    if (outcome.kind === 'interrupted') {
      process.stderr.write('login interrupted: nothing was stored\n');
      return outcome.exitCode;
    }
    const file = await saveCredential(prepared.target, prepared.name, outcome.bytes);
    process.stderr.write(`stored the ${spec.title} login (mode 0600)${prepared.target.kind === 'store' ? ': runs find it' : ''}\n`);
    process.stdout.write(`${file}\n`);
    return 0;
  } finally {
    await reaping;
  }
}
