import { AGENTS, type AgentId } from '../../core/agents/agents.js';
import { lstat, mkdir, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError } from '../../core/errors.js';
import { parseEgressLog } from '../../core/egress/egress-log-parser.js';
import { formatSchemaLines, toSchemaLines } from '../../core/egress/egress-schema.js';
import { aggregateEgress, formatEgressSummary, type EgressRecord } from '../../core/egress/egress-summary.js';
import { ORPHAN_MIN_AGE_MS } from '../../core/session/orphan-containers.js';
import { READ_LIMITS } from '../../core/read-limits.js';
import { buildEgressTakeArgs } from '../../core/session/session-docker-args.js';
import { escapeTerminalText } from '../../core/terminal-text.js';
import { queryDocker } from '../engine/docker.js';
import { stateDirOf, type HostContext } from '../host-context.js';
import { errorCode } from '../error-code.js';
import { UnsafePathError } from '../tree/unsafe-path-error.js';
import { readHostFile } from '../tree/read-host-file.js';
import { appendEgressLog } from './egress-append.js';
import { egressStoreDir, saveEgressRecord } from './egress-store.js';

/** The capped log's file in a plain run's raw directory. */
const RAW_LOG = 'egress.log';
const TAKE_TIMEOUT_MS = 20000;

/** Where a run's record goes (R146): its project's record directory in the launcher's state, never a tree the agent can write. */
export interface EgressTarget {
  runId: string;
  store: string;
  /** `--egress-log FILE` (R171): the record's schema-v1 lines are appended there too (resolved and checked at the start). */
  appendTo?: string;
  /** The run's agent: kept in the record, its background hosts marked in the summary (R199). */
  agent?: AgentId;
}

/**
 * The raw log's host directory: `${XDG_STATE_HOME:-~/.local/state}/codex-sandbox/egress/<run id>`,
 * outside the workdir and the Codex home, so the agent can neither read nor forge it.
 */
export function egressRawDir(ctx: HostContext, runId: string): string {
  const state = stateDirOf(ctx);
  if (state === undefined)
    throw new EnvironmentError('HOME is not set: the egress log goes to ~/.local/state/codex-sandbox; set HOME or XDG_STATE_HOME');
  return path.join(state, 'egress', runId);
}

/** Where a raw directory says its record goes, should its launcher die before the summary. */
const RAW_OWNER = 'run.json';

interface RawOwner {
  /** The Codex home: the record directory is derived from it (egressStoreDir). */
  envDir: string;
  /** The launcher's host: a HOME shared between machines holds other hosts' live logs too. */
  host: string;
}

/** Created just before `docker run` (mode 0700: other host users have no business there). */
export async function createEgressRawDir(dir: string, envDir: string, host: string): Promise<void> {
  await mkdir(path.dirname(dir), { recursive: true, mode: 0o700 });
  await mkdir(dir, { mode: 0o700 });
  const owner: RawOwner = { envDir, host };
  await writeFile(path.join(dir, RAW_OWNER), `${JSON.stringify(owner)}\n`, { flag: 'wx', mode: 0o600 });
}

/**
 * A file of a raw directory: the directory's own path is the user's (their links are theirs),
 * inside it nothing is followed out, and only a regular file of at most `maxBytes` is read.
 */
async function readRawFile(rawDir: string, name: string, maxBytes: number): Promise<Buffer> {
  const root = await realpath(rawDir);
  return (await readHostFile(path.join(root, name), [root], maxBytes)).bytes;
}

/** The owner record, or undefined when it is not one this launcher wrote (then nothing is saved). */
async function readRawOwner(rawDir: string): Promise<Partial<RawOwner> | undefined> {
  const bytes = await readRawFile(rawDir, RAW_OWNER, READ_LIMITS.egressOwner);
  const owner = JSON.parse(bytes.toString('utf8')) as unknown;
  return typeof owner === 'object' && owner !== null ? (owner as Partial<RawOwner>) : undefined;
}

/**
 * Raw directories of plain runs whose launcher died before its summary (SIGKILL; the
 * container is gone too): their record is written (no summary line: the run is long over)
 * and the directory removed (R95). Runs of live containers, of other hosts and fresh
 * directories are left.
 */
export async function finishOrphanedEgressLogs(ctx: HostContext, liveContainers: readonly string[], nowMs = Date.now()): Promise<void> {
  const base = path.dirname(egressRawDir(ctx, '00000000'));
  for (const runId of await readdir(base).catch(() => [] as string[])) {
    if (!/^[0-9a-f]{8}$/.test(runId) || liveContainers.some((name) => name.endsWith(`-${runId}`))) continue;
    const rawDir = path.join(base, runId);
    const info = await lstat(rawDir).catch(() => undefined);
    if (info === undefined || !info.isDirectory() || nowMs - info.mtimeMs < ORPHAN_MIN_AGE_MS) continue;
    const owner = await readRawOwner(rawDir).catch(() => undefined);
    // Another host's container is not in this host's `docker ps`: its log may be live.
    if (owner?.host !== undefined && owner.host !== ctx.hostname) continue;
    try {
      const text = await readRawEgress(rawDir);
      if (typeof owner?.envDir === 'string' && path.isAbsolute(owner.envDir) && text !== undefined)
        await recordEgress(text, { runId, store: egressStoreDir(ctx, owner.envDir) }, true);
    } catch {
      // unreadable or half written: nothing to keep
    }
    await rm(rawDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** The capped log a plain run's sandbox wrote into its raw directory (undefined when there is none). */
async function readRawEgress(rawDir: string): Promise<string | undefined> {
  try {
    return (await readRawFile(rawDir, RAW_LOG, READ_LIMITS.egressLog)).toString('utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

export interface EgressOutcome {
  /** Number of refused destinations, or null when the sandbox kept no log. */
  refused: number | null;
  record: EgressRecord;
}

const NO_LOG: EgressOutcome = { refused: null, record: { destinations: [], dropped: 0 } };

const describeFailure = (error: unknown) => (error instanceof UnsafePathError ? error.detail : errorCode(error));

/**
 * Parses a run's log text, prints the one-line summary and keeps the record in the launcher's
 * state (R146). The summary and the outcome come from the raw log alone: a record that cannot
 * be kept costs one warning, never the summary.
 */
async function recordEgress(text: string, target: EgressTarget, quiet = false): Promise<EgressOutcome> {
  const parsed = parseEgressLog(text, new Date());
  const record: EgressRecord = {
    destinations: aggregateEgress(parsed.events),
    dropped: parsed.dropped,
    ...(parsed.changes === undefined ? {} : { changes: parsed.changes }),
    ...(target.agent === undefined ? {} : { agent: target.agent }),
  };
  const summary = formatEgressSummary(record, target.agent === undefined ? {} : (AGENTS[target.agent].backgroundHosts ?? {}));
  if (summary !== undefined && !quiet) process.stderr.write(`${summary}\n`);
  try {
    await saveEgressRecord(target.store, target.runId, record);
  } catch (error) {
    if (!quiet)
      process.stderr.write(
        `warning: the egress record was not kept in ${escapeTerminalText(`${target.store} (${describeFailure(error)})`)}\n`,
      );
  }
  if (target.appendTo !== undefined) await appendRecord(target.appendTo, record, target.runId);
  return { refused: record.destinations.filter((d) => d.verdict === 'refused').length, record };
}

/** `--egress-log FILE` (R171): a failure costs one warning, never the run's exit code. */
async function appendRecord(file: string, record: EgressRecord, runId: string): Promise<void> {
  try {
    await appendEgressLog(file, formatSchemaLines(toSchemaLines(record, runId)));
  } catch (error) {
    process.stderr.write(`warning: the egress record was not appended to ${escapeTerminalText(`${file} (${describeFailure(error)})`)}\n`);
  }
}

/**
 * After a plain run's container exited: summarise its raw log on stderr (nothing when nothing
 * was refused), keep the record (R146), drop the raw directory. Never throws: a
 * failure here must not change the run's exit code.
 */
export async function finishEgressLog(run: EgressTarget & { rawDir: string }): Promise<EgressOutcome> {
  try {
    const text = await readRawEgress(run.rawDir);
    if (text === undefined) return NO_LOG;
    return await recordEgress(text, run);
  } catch (error) {
    process.stderr.write(`warning: could not read the egress log in ${escapeTerminalText(`${run.rawDir} (${describeFailure(error)})`)}\n`);
    return NO_LOG;
  } finally {
    await rm(run.rawDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * After each command in a session (R95): the session keeps its log inside the container;
 * `sandbox-egress take` hands over (and removes) what was logged since the last take.
 * Never throws.
 */
export async function takeSessionEgress(container: string, target: EgressTarget, query = queryDocker): Promise<EgressOutcome> {
  let text: string;
  try {
    text = await query(buildEgressTakeArgs(container), TAKE_TIMEOUT_MS);
  } catch (error) {
    // docker's message quotes what the container printed.
    const why = error instanceof Error ? error.message : String(error);
    process.stderr.write(`warning: could not collect the egress log of ${escapeTerminalText(`${container} (${why})`)}\n`);
    return NO_LOG;
  }
  return recordEgress(text.slice(0, READ_LIMITS.egressLog), target);
}

/**
 * The run flow's hook (R70, R95): creates a plain run's raw log directory before `docker run`
 * (docker refuses a missing bind source); `finish()`, once the container has exited, prints
 * the summary, saves the record and resolves with the outcome (once, however often called).
 * A session keeps its log in the container (takeSessionEgress after each command).
 */
export async function startEgressLog(
  run: { egressLogDir?: string; egressAppendFile?: string; envDir: string; runId: string; session?: unknown; agent: { id: AgentId } },
  ctx: Pick<HostContext, 'env' | 'home' | 'hostname'>,
): Promise<{ finish(): Promise<EgressOutcome> }> {
  const rawDir = run.egressLogDir;
  if (rawDir === undefined || run.session !== undefined) return { finish: async () => NO_LOG };
  const target: EgressTarget = {
    runId: run.runId,
    store: egressStoreDir(ctx, run.envDir),
    agent: run.agent.id,
    ...(run.egressAppendFile === undefined ? {} : { appendTo: run.egressAppendFile }),
  };
  await createEgressRawDir(rawDir, run.envDir, ctx.hostname);
  let outcome: Promise<EgressOutcome> | undefined;
  return { finish: () => (outcome ??= finishEgressLog({ ...target, rawDir })) };
}
