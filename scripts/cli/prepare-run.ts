import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { assembleRunPlan, type ResolvedRun } from '../core/assemble-run-plan.js';
import { planCodexHome, type HomeAction } from '../core/codex-home-plan.js';
import { UsageError } from '../core/errors.js';
import { validateDnsServer, validateNetworkName } from '../core/network-options.js';
import { isSameOrInside } from '../core/path-rules.js';
import { validateRepoSpec } from '../core/repo-spec.js';
import type { RunPlan } from '../core/run-plan.js';
import { inspectCodexHome } from '../host/codex-home.js';
import type { HostContext } from '../host/host-context.js';
import { resolveProtectedGit } from '../host/protect-git.js';
import { resolveExistingPath, resolveFuturePath } from '../host/resolve-path.js';
import { hashWorkdir, resolveWorkdir } from '../host/workdir.js';
import { resolveExtraWorkdirs } from '../host/extra-workdirs.js';
import { prepareEgress } from './prepare-egress.js';
import { prepareSettings } from './prepare-settings.js';
import type { SettingsFile } from '../host/settings-file.js';
import { egressRawDir } from '../host/egress-log.js';
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
  /** "allowing …" lines for stderr: every allowance beyond the defaults (no credentials). */
  egressNotes: string[];
  /** `.codex/sandbox.ini` of the workdir: must be trusted before the run (cli/trust-command.ts). */
  projectSettings?: SettingsFile;
}

/** All reads and validation for a run; returns plain values and changes nothing. */
export async function prepareRun(
  options: RunOptions,
  ctx: HostContext,
  command: ResolvedRun['command'],
  launcherVersion: string,
): Promise<PreparedRun> {
  const network = options.network === undefined ? undefined : validateNetworkName(options.network);
  const dns = options.dns.map(validateDnsServer);
  const workdir = await resolveWorkdir(options.workDir, ctx);
  // Issue 5: .codex/sandbox.ini and ~/.config/codex-sandbox/config.ini under flags and environment.
  const settings = await prepareSettings(options, ctx, workdir.path);
  const image = settings.image;
  const exposures: string[] = [...workdir.exposures];
  // Issue 4: more workdirs (DIR… or repeated --work_dir), same rules; the first holds .codex.
  const extraWorkdirs = await resolveExtraWorkdirs(workdir.path, options.extraWorkDirs ?? [], ctx);
  exposures.push(...extraWorkdirs.exposures);

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

  const readOnly = await resolveReadOnly(settings.readOnly, ctx, workdir.path);
  const readOnlyWorkdir = readOnly.find((entry) => extraWorkdirs.paths.includes(entry));
  if (readOnlyWorkdir !== undefined) throw new UsageError(`--read-only ${readOnlyWorkdir} is also a workdir: list it once`);
  const home = await inspectCodexHome({
    workdir: workdir.path,
    envDir,
    sessionsDir,
    configFlag: options.config,
    authFlag: options.authFile,
    initScript: settings.initScript,
    ctx,
  });
  // Issue 5: allow/deny, ports, host ports, model providers, proxy, CA (cli/prepare-egress.ts).
  const egress = await prepareEgress(options.egress, ctx, home.facts, [workdir.path, envDir, sessionsDir], settings.egressLayers);
  const allowlist = egress.policy.domains;
  home.warnings.push(...egress.warnings);
  // Issue 4: clone target and protected .git; both absent unless their flags are used.
  const repo = options.repo === undefined ? undefined : validateRepoSpec({ url: options.repo, ref: options.repoRef, dir: options.repoDir }, allowlist, egress.policy.denied);
  const protectedGit = options.protectGit === true ? await resolveProtectedGit([workdir.path, ...extraWorkdirs.paths]) : undefined;
  home.warnings.push(...(protectedGit?.warnings ?? []));

  const runId = randomBytes(4).toString('hex');
  const resolved: ResolvedRun = {
    command,
    workdir: workdir.path,
    envDir,
    sessionsDir,
    authFile: home.authFile,
    readOnly,
    allowlist,
    egress: egress.policy,
    caFiles: egress.caFiles,
    image,
    network,
    dns,
    uid: ctx.uid,
    gid: ctx.gid,
    tty: ctx.stdinIsTTY && ctx.stdoutIsTTY,
    runId,
    workdirHash: hashWorkdir(workdir.path),
    launcherPid: ctx.pid,
    launcherHost: ctx.hostname,
    launcherVersion,
    args: options.passThrough,
    egressLogDir: egressRawDir(ctx, runId),
    ...(repo === undefined ? {} : { repo: { url: repo.url, ...(repo.ref === undefined ? {} : { ref: repo.ref }), dir: repo.dir } }),
    ...(protectedGit === undefined ? {} : { protectedGit: protectedGit.paths }),
    ...(extraWorkdirs.paths.length === 0 ? {} : { extraWorkdirs: extraWorkdirs.paths }),
    ...(options.session === undefined ? {} : { session: { name: options.session.name } }),
  };
  return {
    plan: assembleRunPlan(resolved),
    resolved,
    actions: planCodexHome(home.facts),
    writeRoots: [envDir, sessionsDir],
    exposures,
    warnings: home.warnings,
    egressNotes: egress.messages,
    ...(settings.projectFile === undefined ? {} : { projectSettings: settings.projectFile }),
  };
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
