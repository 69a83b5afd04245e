import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { buildAllowlist } from '../core/allowlist.js';
import { assembleRunPlan, type ResolvedRun } from '../core/assemble-run-plan.js';
import { planCodexHome, type HomeAction } from '../core/codex-home-plan.js';
import { UsageError } from '../core/errors.js';
import { DEFAULT_IMAGE, validateImageReference } from '../core/image-tags.js';
import { validateDnsServer, validateNetworkName } from '../core/network-options.js';
import { isSameOrInside } from '../core/path-rules.js';
import type { RunPlan } from '../core/run-plan.js';
import { inspectCodexHome } from '../host/codex-home.js';
import type { HostContext } from '../host/host-context.js';
import { resolveExistingPath, resolveFuturePath } from '../host/resolve-path.js';
import { resolveWorkdir } from '../host/workdir.js';
import type { RunOptions } from './run-options.js';

export interface PreparedRun {
  plan: RunPlan;
  resolved: ResolvedRun;
  /** Host changes still to make (nothing has been touched yet). */
  actions: HomeAction[];
  /** Directories those changes must stay inside. */
  writeRoots: string[];
  /** Reasons this run needs consent (writable mounts outside the workdir). */
  exposures: string[];
  warnings: string[];
}

/** All reads and validation for a run; returns plain values and changes nothing. */
export async function prepareRun(
  options: RunOptions,
  ctx: HostContext,
  command: ResolvedRun['command'],
  launcherVersion: string,
): Promise<PreparedRun> {
  const allowlist = buildAllowlist(ctx.env.OPENAI_ALLOWED_DOMAINS);
  const network = options.network === undefined ? undefined : validateNetworkName(options.network);
  const dns = options.dns.map(validateDnsServer);
  const imageInput = options.image ?? emptyToUndefined(ctx.env.CODEX_DOCKER_IMAGE) ?? DEFAULT_IMAGE;
  const image = validateImageReference(imageInput, options.image !== undefined ? '--image' : 'CODEX_DOCKER_IMAGE');

  const workdir = await resolveWorkdir(options.workDir, ctx);
  const exposures: string[] = [];
  if (workdir.exposesHome) {
    exposures.push(`the workdir ${workdir.path} is your home directory or contains it: the agent could read and change ~/.ssh, shell start-up files and credentials`);
  }

  const defaultEnvDir = path.join(workdir.path, '.codex', '.environment');
  const envDir = await resolveFuturePath(options.codexHome ?? defaultEnvDir, ctx.cwd, '--codex-home');
  checkWritableMount(envDir, '--codex-home');
  if (options.codexHome === undefined && !isSameOrInside(workdir.path, envDir)) {
    throw new UsageError(`${defaultEnvDir} leads outside the workdir (a symlink?): remove it and run again`);
  }
  if (!isSameOrInside(workdir.path, envDir)) {
    exposures.push(`--codex-home ${envDir} is outside the workdir and will be writable by the agent`);
  }
  const sessionsDir =
    options.sessionsPath === undefined
      ? path.join(envDir, 'sessions')
      : await resolveFuturePath(options.sessionsPath, ctx.cwd, '--sessions-path');
  checkWritableMount(sessionsDir, '--sessions-path');
  if (!isSameOrInside(workdir.path, sessionsDir) && !isSameOrInside(envDir, sessionsDir)) {
    exposures.push(`--sessions-path ${sessionsDir} is outside the workdir and will be writable by the agent`);
  }

  const readOnly = await resolveReadOnly(options.readOnly, ctx, workdir.path);
  const home = await inspectCodexHome({
    workdir: workdir.path,
    envDir,
    sessionsDir,
    configFlag: options.config,
    authFlag: options.authFile,
    initScript: options.initScript,
    ctx,
  });

  const runId = randomBytes(4).toString('hex');
  const resolved: ResolvedRun = {
    command,
    workdir: workdir.path,
    envDir,
    sessionsDir,
    authFile: home.authFile,
    readOnly,
    allowlist,
    image,
    network,
    dns,
    uid: ctx.uid,
    gid: ctx.gid,
    tty: ctx.stdinIsTTY && ctx.stdoutIsTTY,
    runId,
    workdirHash: createHash('sha256').update(workdir.path).digest('hex'),
    launcherPid: ctx.pid,
    launcherHost: ctx.hostname,
    launcherVersion,
    args: options.passThrough,
  };
  return {
    plan: assembleRunPlan(resolved),
    resolved,
    actions: planCodexHome(home.facts),
    writeRoots: [envDir, sessionsDir],
    exposures,
    warnings: home.warnings,
  };
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function checkWritableMount(resolved: string, flag: string): void {
  if (resolved === '/') throw new UsageError(`refusing to mount / with ${flag}: give a dedicated directory`);
}

/** `--read-only PATH`: must exist, never `/`, never the workdir itself; duplicates collapse. */
async function resolveReadOnly(inputs: readonly string[], ctx: HostContext, workdir: string): Promise<string[]> {
  const resolved: string[] = [];
  for (const input of inputs) {
    const real = await resolveExistingPath(input, ctx.cwd, '--read-only', 'any');
    if (real === '/') throw new UsageError('refusing to mount / with --read-only: give a narrower path');
    if (real === workdir) throw new UsageError(`--read-only ${JSON.stringify(input)} is the workdir itself: drop it or choose another workdir`);
    if (!resolved.includes(real)) resolved.push(real);
  }
  return resolved;
}
