import path from 'node:path';
import { assembleRunPlan, codexHomeInContainer } from '../core/assemble-run-plan.js';
import { UsageError } from '../core/errors.js';
import {
  buildExecArgs,
  lastMessagePaths,
  renderExitJson,
  renderSummary,
  reportDirName,
  validatePrompt,
  type ExecOutcome,
} from '../core/exec-report.js';
import { isSameOrInside } from '../core/path-rules.js';
import { escapeTerminalLines, escapeTerminalText } from '../core/terminal-text.js';
import { compareSnapshots, type ChangedFile } from '../core/track-changes.js';
import { runDockerAttached } from '../host/docker.js';
import { finishEgressLogOf } from '../host/egress-log.js';
import { createLogSink, createMessageDir, createReportFiles, readCodexVersion, readLastMessage, readRepoCommit, resolveReportDir } from '../host/exec-run.js';
import type { HostContext } from '../host/host-context.js';
import { startTracking } from '../host/track-run.js';
import { snapshotWorkspace } from '../host/workspace-snapshot.js';
import type { PreparedRun } from './prepare-run.js';
import { runInContainer, type RunOverride } from './run-command.js';
import type { RunOptions } from './run-options.js';

export interface ExecOptions extends RunOptions {
  prompt: string;
  out?: string;
}

/**
 * `run-in-container exec PROMPT`: exactly the flow of a plain run (runInContainer: validation,
 * consent, trust, image, Codex home, egress log), with codex's argv replaced by `codex exec`,
 * no TTY, and the container step capturing the output into a report directory (run.log,
 * summary.md, exit.json). Progress and the agent's output go to stderr; the final message
 * to stdout. Resolves with the agent's exit code.
 */
export async function execCommand(options: ExecOptions, ctx: HostContext, launcherVersion: string): Promise<number> {
  const prompt = validatePrompt(options.prompt);
  if ((options as { session?: unknown }).session !== undefined) throw new UsageError('exec runs in a new sandbox each time: drop --name');
  let reportDir = '';
  const override: RunOverride = {
    async adjust(prepared) {
      const { runId, workdir } = prepared.resolved;
      reportDir = await resolveReportDir(options.out, ctx.cwd, workdir, reportDirName(new Date().toISOString(), runId));
      if (options.dryRun) process.stderr.write(`would write the report to ${escapeTerminalText(reportDir)}\n`);
      // Same plan, headless: never -t, codex exec with our report flags.
      const args = buildExecArgs(prompt, options.passThrough, lastMessagePaths(runId, codexHomeInContainer(prepared.resolved)).container);
      const resolved = { ...prepared.resolved, tty: false, args };
      return { ...prepared, resolved, plan: assembleRunPlan(resolved) };
    },
    run: (dockerArgs, prepared) => runWithReport(dockerArgs, prepared, { prompt, reportDir, track: options.track === true, ctx }),
  };
  // --track is handled here, so the summary can list the tracked changes.
  return runInContainer({ ...options, track: false }, ctx, 'codex', launcherVersion, override);
}

async function runWithReport(
  dockerArgs: string[],
  prepared: PreparedRun,
  job: { prompt: string; reportDir: string; track: boolean; ctx: HostContext },
): Promise<number> {
  const { resolved, plan } = prepared;
  const { runId, workdir, envDir } = resolved;
  const lastMessage = lastMessagePaths(runId);
  const messageDir = path.dirname(path.join(envDir, lastMessage.relative));
  if (!isSameOrInside(envDir, messageDir)) throw new UsageError(`${messageDir} is outside the Codex home: check --codex-home`);
  // Both in trees the agent can write: created without following a link (R108).
  await createMessageDir(messageDir, prepared.trees);
  const codexVersion = await readCodexVersion(resolved.image);
  const report = await createReportFiles(job.reportDir, prepared.trees);
  process.stderr.write(`run ${runId}: report in ${escapeTerminalText(job.reportDir)}\n`);

  // Leave the report directory out of the change list when it lies inside the workdir.
  const reportInside = isSameOrInside(workdir, job.reportDir) && job.reportDir !== workdir;
  const exclude = reportInside ? [path.relative(workdir, job.reportDir).split(path.sep).join('/')] : [];
  const tracking = job.track ? await startTracking(job.ctx, resolved, exclude) : undefined;
  const before = tracking === undefined ? await snapshotWorkspace(workdir, exclude) : undefined;

  const sink = createLogSink(report.runLog);
  const startedAt = new Date().toISOString();
  let exitCode: number;
  try {
    exitCode = await runDockerAttached(dockerArgs, { containerName: plan.containerName, capture: sink.onData });
  } finally {
    await sink.flush();
  }
  const endedAt = new Date().toISOString();

  let changes: ChangedFile[];
  if (tracking !== undefined) changes = await tracking.finish();
  else changes = compareSnapshots(before ?? new Map(), await snapshotWorkspace(workdir, exclude));
  const finalMessage = await readLastMessage(envDir, lastMessage.relative);
  const repo =
    resolved.repo === undefined
      ? undefined
      : { url: resolved.repo.url, ref: resolved.repo.ref, commit: await readRepoCommit(path.join(workdir, resolved.repo.dir)) };
  const outcome: ExecOutcome = {
    prompt: job.prompt,
    finalMessage,
    changes,
    changesSource: tracking === undefined ? 'snapshot' : 'track',
    exitCode,
    startedAt,
    endedAt,
    image: resolved.image,
    codexVersion,
    workdir,
    runId,
    repo,
    blockedEgress: await finishEgressLogOf(runId).then((outcome) => outcome.refused, () => null),
  };
  await report.summary.write(renderSummary(outcome));
  await report.exitJson.write(renderExitJson(outcome));
  await Promise.all([report.runLog.close(), report.summary.close(), report.exitJson.close()]);
  process.stderr.write(`run ${runId} ended with exit code ${exitCode}; report: ${escapeTerminalText(job.reportDir)}\n`);
  if (finalMessage !== undefined) {
    // The agent wrote it: on a terminal, control characters are shown escaped (R100).
    const text = process.stdout.isTTY === true ? escapeTerminalLines(finalMessage) : finalMessage;
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }
  return exitCode;
}
