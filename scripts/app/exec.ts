import path from 'node:path';
import { agentIdOf } from '../core/run/assemble-run-plan.js';
import { UsageError } from '../core/errors.js';
import {
  lastMessagePaths,
  renderExitJson,
  renderSummary,
  reportDirName,
  validatePrompt,
  type ExecOutcome,
} from '../core/run/exec-report.js';
import { isSameOrInside } from '../core/run/path-rules.js';
import { planHeadlessRun } from '../core/run/run-mode.js';
import { READ_LIMITS } from '../core/read-limits.js';
import { escapeTerminalLines, escapeTerminalText } from '../core/terminal-text.js';
import { listCredentialLeaks } from '../core/egress/egress-requests.js';
import { compareSnapshots, type ChangedFile } from '../core/track/track-changes.js';
import { runDockerAttached } from '../host/engine/docker.js';
import {
  createLogSink,
  createMessageDir,
  createReportFiles,
  readLastMessage,
  readRepoCommit,
  resolveReportDir,
  type ReportFiles,
} from '../host/engine/exec-run.js';
import type { HostContext } from '../host/host-context.js';
import { startTracking } from '../host/track/track-run.js';
import { snapshotWorkspace } from '../host/track/workspace-snapshot.js';
import { prepareRun, replanRun, type PreparedRun } from './prepare-run.js';
import { confirmRun, executeRun, printDryRun, withReaper } from './run.js';
import type { ExecOptions } from './run-options.js';

/**
 * `run-in-container exec PROMPT` (R50-R52): the flow of a plain run (prepare, consent, trust,
 * image, Codex home, egress log), with codex's argv replaced by `codex exec`, no TTY, and a
 * container step that captures the output into a report directory (run.log, summary.md,
 * exit.json). Progress and the agent's output go to stderr, the final message to stdout.
 * Resolves with the agent's exit code.
 */
export async function execCommand(options: ExecOptions, ctx: HostContext, launcherVersion: string): Promise<number> {
  const prompt = validatePrompt(options.prompt);
  return withReaper(options, ctx, async () => {
    // Headless whoever calls: no TTY, no `[network] ask` of the settings (R50, R172).
    const validated = await prepareRun({ ...options, headless: true }, ctx, 'agent', launcherVersion);
    const { runId, workdir } = validated.resolved;
    const reportName = reportDirName(new Date().toISOString(), runId);
    const reportDir = await resolveReportDir(options.out, ctx.cwd, workdir, reportName, validated.trees);
    const headless = planHeadlessRun(validated.resolved, prompt, options.passThrough);
    const prepared = replanRun(validated, headless.run);
    await confirmRun(prepared, options, ctx);
    if (options.dryRun) {
      process.stderr.write(`would write the report to ${escapeTerminalText(reportDir)}\n`);
      return printDryRun(prepared);
    }
    // --track is the report's (its changes are listed in summary.md): the headless plan has it off.
    const job: ReportJob = { prompt, reportDir, track: validated.resolved.track === true, ctx, lastMessage: headless.lastMessage };
    let captured: CapturedRun | undefined;
    const result = await executeRun(prepared, ctx, async (dockerArgs, pinned, imageAgents) => {
      captured = await runCaptured(dockerArgs, pinned, job, imageAgents[agentIdOf(pinned.resolved)]);
      return captured.outcome.exitCode;
    });
    if (captured === undefined) throw new Error('exec: the container step did not run');
    return writeReport(captured, result.egress.refused, listCredentialLeaks(result.egress.record.destinations));
  });
}

interface ReportJob {
  prompt: string;
  reportDir: string;
  track: boolean;
  ctx: HostContext;
  /** Where the agent's headless mode leaves its final message. */
  lastMessage: 'file' | 'stdout';
}

/** What the container step leaves for the report, once the agent has ended. */
interface CapturedRun {
  outcome: Omit<ExecOutcome, 'blockedEgress'>;
  report: ReportFiles;
  reportDir: string;
}

/**
 * The container step: report files and the "before" record first, then the attached run, then what changed.
 * `agentVersion`: from the image's labels, which the image check already read (R131).
 */
async function runCaptured(dockerArgs: string[], prepared: PreparedRun, job: ReportJob, agentVersion?: string): Promise<CapturedRun> {
  const { resolved, plan } = prepared;
  const { runId, workdir, envDir } = resolved;
  const lastMessage = lastMessagePaths(runId);
  const messageDir = path.dirname(path.join(envDir, lastMessage.relative));
  if (!isSameOrInside(envDir, messageDir)) throw new UsageError(`${messageDir} is outside the Codex home: check --codex-home`);
  // Both in trees the agent can write: created without following a link (R108).
  await createMessageDir(messageDir, prepared.trees);
  const agent = agentIdOf(prepared.resolved);
  const report = await createReportFiles(job.reportDir, prepared.trees);
  process.stderr.write(`run ${runId}: report in ${escapeTerminalText(job.reportDir)}\n`);

  // Leave the report directory out of the change list when it lies inside the workdir.
  const reportInside = isSameOrInside(workdir, job.reportDir) && job.reportDir !== workdir;
  const exclude = reportInside ? [path.relative(workdir, job.reportDir).split(path.sep).join('/')] : [];
  const tracking = job.track ? await startTracking(job.ctx, resolved, exclude) : undefined;
  const before = tracking === undefined ? await snapshotWorkspace(workdir, exclude) : undefined;

  const sink = createLogSink(report.runLog);
  // Agents other than Codex print their final message on stdout: kept (bounded) for the report.
  const stdout = job.lastMessage === 'stdout' ? new BoundedText(READ_LIMITS.lastMessage) : undefined;
  const capture = (stream: 'stdout' | 'stderr', chunk: Buffer) => {
    if (stream === 'stdout') stdout?.push(chunk);
    sink.onData(stream, chunk);
  };
  const startedAt = new Date().toISOString();
  let exitCode: number;
  try {
    exitCode = await runDockerAttached(dockerArgs, { containerName: plan.containerName, capture });
  } finally {
    await sink.flush();
  }
  const endedAt = new Date().toISOString();
  const changes: ChangedFile[] =
    tracking !== undefined ? await tracking.finish() : compareSnapshots(before ?? new Map(), await snapshotWorkspace(workdir, exclude));
  const repo =
    resolved.repo === undefined
      ? undefined
      : { url: resolved.repo.url, ref: resolved.repo.ref, commit: await readRepoCommit(path.join(workdir, resolved.repo.dir)) };
  const outcome = {
    prompt: job.prompt,
    finalMessage: stdout === undefined ? await readLastMessage(envDir, lastMessage.relative) : stdout.text(),
    changes,
    changesSource: tracking === undefined ? ('snapshot' as const) : ('track' as const),
    exitCode,
    startedAt,
    endedAt,
    image: resolved.image,
    agent,
    ...(agentVersion === undefined ? {} : { agentVersion }),
    workdir,
    runId,
    repo,
  };
  return { outcome, report, reportDir: job.reportDir };
}

/** The first `limit` bytes of a stream, as text; undefined when nothing came. */
class BoundedText {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    if (this.size >= this.limit) return;
    const part = chunk.subarray(0, this.limit - this.size);
    this.chunks.push(part);
    this.size += part.length;
  }
  text(): string | undefined {
    const text = Buffer.concat(this.chunks).toString('utf8').trim();
    return text === '' ? undefined : text;
  }
}

/** summary.md and exit.json with the egress refusals counted (R51); the final message on stdout. */
async function writeReport(captured: CapturedRun, refused: number | null, leaks: ExecOutcome['credentialLeaks']): Promise<number> {
  const { report, reportDir } = captured;
  const outcome: ExecOutcome = { ...captured.outcome, blockedEgress: refused, credentialLeaks: leaks };
  await report.summary.write(renderSummary(outcome));
  await report.exitJson.write(renderExitJson(outcome));
  await Promise.all([report.runLog.close(), report.summary.close(), report.exitJson.close()]);
  process.stderr.write(`run ${outcome.runId} ended with exit code ${outcome.exitCode}; report: ${escapeTerminalText(reportDir)}\n`);
  if (outcome.finalMessage !== undefined) {
    // The agent wrote it: on a terminal, control characters are shown escaped (R100).
    const text = process.stdout.isTTY === true ? escapeTerminalLines(outcome.finalMessage) : outcome.finalMessage;
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }
  return outcome.exitCode;
}
