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
import { resolveInputPath, resolveWritableDir } from '../host/input-path.js';
import { hashWorkdir, resolveWorkdir } from '../host/workdir.js';
import { resolveExtraWorkdirs } from '../host/extra-workdirs.js';
import { prepareEgress } from './prepare-egress.js';
import { prepareSettings } from './prepare-settings.js';
import { resolveProjectPaths, type SettingsFile } from '../host/settings-file.js';
import { egressRawDir } from '../host/egress-log.js';
import type { RunOptions } from './run-options.js';

export interface PreparedRun {
  plan: RunPlan;
  resolved: ResolvedRun;
  /** Host changes still to make (nothing has been touched yet). */
  actions: HomeAction[];
  /** The bytes each copy writes, read (and checked) while planning. */
  contents: Map<string, Buffer>;
  /** Every tree the agent can write: workdirs, Codex home, sessions directory (R101). */
  trees: string[];
  /** Reasons this run needs consent (writable mounts outside the workdir). */
  exposures: string[];
  warnings: string[];
  /** "allowing …" lines for stderr: every allowance beyond the defaults (no credentials). */
  egressNotes: string[];
  /** `.codex/sandbox.ini` of the workdir and what its paths resolve to: must be trusted before the run (cli/trust-command.ts). */
  projectSettings?: { file: SettingsFile; resolved: string[] };
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
  const workdirs = [workdir.path, ...extraWorkdirs.paths];
  // The Codex home and the sessions directory are written by the launcher and mounted:
  // no symlink anywhere on the way (R101), so nothing the agent plants redirects them.
  const envDir = await resolveHomeDir(options.codexHome ?? defaultEnvDir, ctx.cwd, options.codexHome === undefined ? 'the Codex home' : '--codex-home', workdirs);
  checkWritableMount(envDir, '--codex-home');
  if (!isSameOrInside(workdir.path, envDir)) {
    exposures.push(`--codex-home ${envDir} is outside the workdir and will be writable by the agent`);
  }
  const sessionsDir =
    options.sessionsPath === undefined
      ? path.join(envDir, 'sessions')
      : await resolveHomeDir(options.sessionsPath, ctx.cwd, '--sessions-path', [...workdirs, envDir]);
  checkWritableMount(sessionsDir, '--sessions-path');
  if (!isSameOrInside(workdir.path, sessionsDir) && !isSameOrInside(envDir, sessionsDir)) {
    exposures.push(`--sessions-path ${sessionsDir} is outside the workdir and will be writable by the agent`);
  }
  const trees = [...workdirs, envDir, sessionsDir];

  const readOnly = await resolveReadOnly(settings.readOnly, ctx, workdir.path, trees);
  const readOnlyWorkdir = readOnly.find((entry) => extraWorkdirs.paths.includes(entry));
  if (readOnlyWorkdir !== undefined) throw new UsageError(`--read-only ${readOnlyWorkdir} is also a workdir: list it once`);
  const home = await inspectCodexHome({
    workdir: workdir.path,
    envDir,
    sessionsDir,
    trees,
    configFlag: options.config,
    authFlag: options.authFile,
    initScript: settings.initScript,
    ctx,
  });
  // Issue 5: allow/deny, ports, host ports, model providers, proxy, CA (cli/prepare-egress.ts).
  const egress = await prepareEgress(options.egress, ctx, home.facts, trees, settings.egressLayers);
  const allowlist = egress.policy.domains;
  home.warnings.push(...egress.warnings);
  // Issue 4: clone target and protected .git; both absent unless their flags are used.
  const repo = options.repo === undefined ? undefined : validateRepoSpec({ url: options.repo, ref: options.repoRef, dir: options.repoDir }, allowlist, egress.policy.denied);
  const protectedGit = options.protectGit === true ? await resolveProtectedGit(workdirs) : undefined;
  home.warnings.push(...(protectedGit?.warnings ?? []));
  // A writable mount inside a protected repository would undo the protection (R105).
  for (const [what, dir] of [['--codex-home', envDir], ['--sessions-path', sessionsDir]] as const) {
    const inside = protectedGit?.paths.find((entry) => isSameOrInside(entry, dir));
    if (inside !== undefined) throw new UsageError(`--protect-git: ${what} ${dir} lies in ${inside}, which is protected read-only: choose another directory`);
  }

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
    ...(protectedGit === undefined ? {} : { protectedGit: protectedGit.paths, ...(protectedGit.pinned.length === 0 ? {} : { pinnedDirs: protectedGit.pinned }) }),
    ...(extraWorkdirs.paths.length === 0 ? {} : { extraWorkdirs: extraWorkdirs.paths }),
    ...(options.session === undefined ? {} : { session: { name: options.session.name } }),
  };
  return {
    plan: assembleRunPlan(resolved),
    resolved,
    actions: planCodexHome(home.facts),
    contents: home.contents,
    trees,
    exposures,
    warnings: home.warnings,
    egressNotes: egress.messages,
    ...(settings.projectFile === undefined ? {} : { projectSettings: { file: settings.projectFile, resolved: await resolveProjectPaths(settings.projectFile, ctx.home, ctx.cwd, trees) } }),
  };
}

function checkWritableMount(resolved: string, flag: string): void {
  if (resolved === '/') throw new UsageError(`refusing to mount / with ${flag}: give a dedicated directory`);
}

async function resolveHomeDir(input: string, cwd: string, what: string, trees: readonly string[]): Promise<string> {
  const found = await resolveWritableDir(
    input,
    cwd,
    trees,
    (error) =>
      error.reason === 'not-dir'
        ? `${what} ${JSON.stringify(input)} cannot be used (ENOTDIR): check the path`
        : `${error.path} is a symlink in a place the agent can write (${what} ${JSON.stringify(input)} never goes through one): remove it and run again`,
  );
  return found.physical;
}

/** `--read-only PATH`: must exist, never `/`, never the workdir itself; duplicates collapse. */
async function resolveReadOnly(inputs: readonly string[], ctx: HostContext, workdir: string, trees: readonly string[]): Promise<string[]> {
  const resolved: string[] = [];
  for (const input of inputs) {
    // Inside a tree the agent can write, only links that stay inside it are followed (R104).
    const real = (await resolveInputPath(input, ctx.cwd, '--read-only', 'any', trees)).physical;
    if (real === '/') throw new UsageError('refusing to mount / with --read-only: give a narrower path');
    if (real === workdir) throw new UsageError(`--read-only ${JSON.stringify(input)} is the workdir itself: drop it or choose another workdir`);
    if (!resolved.includes(real)) resolved.push(real);
  }
  return resolved;
}
