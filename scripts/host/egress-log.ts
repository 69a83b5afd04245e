import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError } from '../core/errors.js';
import { parseEgressLog } from '../core/egress-log-parser.js';
import { aggregateEgress, formatEgressJsonl, formatEgressSummary, parseEgressJsonl, type EgressRecord } from '../core/egress-summary.js';
import { ORPHAN_MIN_AGE_MS } from '../core/orphan-containers.js';
import { queryDocker } from './docker.js';
import { stateDirOf, type HostContext } from './host-context.js';
import { errorCode } from './resolve-path.js';
import { writeHostFile } from './tree-paths.js';

/** Per-run copies for the user, in the Codex home: `<env dir>/egress/<run id>.jsonl`. */
export const EGRESS_COPY_DIR = 'egress';
/** The sandbox caps a run's log at 8 MiB (image/lib-egress.sh); a little more is read, never all. */
const MAX_LOG_BYTES = 9 * 1024 * 1024;
/** The capped log's file in a plain run's raw directory. */
const RAW_LOG = 'egress.log';
const TAKE_TIMEOUT_MS = 20000;

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

/** Created just before `docker run` (mode 0700: other host users have no business there). */
export async function createEgressRawDir(dir: string, envDir: string): Promise<void> {
  await mkdir(path.dirname(dir), { recursive: true, mode: 0o700 });
  await mkdir(dir, { mode: 0o700 });
  await writeFile(path.join(dir, RAW_OWNER), `${JSON.stringify({ envDir })}\n`, { flag: 'wx', mode: 0o600 });
}

/**
 * Raw directories of plain runs whose launcher died before its summary (SIGKILL; the
 * container is gone too): their record is written (no summary line: the run is long over)
 * and the directory removed (R95). Runs of live containers and fresh directories are left.
 */
export async function finishOrphanedEgressLogs(ctx: HostContext, liveContainers: readonly string[], nowMs = Date.now()): Promise<void> {
  const base = path.dirname(egressRawDir(ctx, '00000000'));
  for (const runId of await readdir(base).catch(() => [] as string[])) {
    if (!/^[0-9a-f]{8}$/.test(runId) || liveContainers.some((name) => name.endsWith(`-${runId}`))) continue;
    const rawDir = path.join(base, runId);
    const info = await lstat(rawDir).catch(() => undefined);
    if (info === undefined || !info.isDirectory() || nowMs - info.mtimeMs < ORPHAN_MIN_AGE_MS) continue;
    try {
      const owner = JSON.parse(await readLogFile(path.join(rawDir, RAW_OWNER), 64 * 1024)) as { envDir?: unknown };
      const text = await readRawEgress(rawDir);
      if (typeof owner.envDir === 'string' && text !== undefined) await recordEgress(text, { envDir: owner.envDir, runId }, true);
    } catch {
      // unreadable or half written: nothing to keep
    }
    await rm(rawDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** A log file's text, or '' when it is missing; never follows a link, never reads a device. */
async function readLogFile(file: string, limit = MAX_LOG_BYTES): Promise<string> {
  let handle;
  try {
    const info = await lstat(file);
    if (!info.isFile()) return '';
    // O_NONBLOCK: a FIFO swapped in (the Codex home is agent-writable) must not hang us.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return '';
    throw error;
  }
  try {
    const buffer = Buffer.alloc(Math.min((await handle.stat()).size, limit));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** The capped log a plain run's sandbox wrote into its raw directory ('' when there is none). */
export async function readRawEgress(rawDir: string): Promise<string | undefined> {
  const entries = await readdir(rawDir).catch(() => [] as string[]);
  if (!entries.includes(RAW_LOG)) return undefined;
  return readLogFile(path.join(rawDir, RAW_LOG));
}

/** Writes `<env dir>/egress/<run id>.jsonl` through directory descriptors (R101: no link followed on the way, temp + rename). */
async function saveEgressCopy(envDir: string, runId: string, record: EgressRecord): Promise<string> {
  await writeHostFile(path.join(envDir, EGRESS_COPY_DIR), `${runId}.jsonl`, formatEgressJsonl(record), [envDir]);
  return path.join(envDir, EGRESS_COPY_DIR, `${runId}.jsonl`);
}

export interface EgressOutcome {
  /** Number of refused destinations, or null when the sandbox kept no log. */
  refused: number | null;
  record: EgressRecord;
}

const NO_LOG: EgressOutcome = { refused: null, record: { destinations: [], dropped: 0 } };

/** Parses a run's log text, keeps the copy in the Codex home and prints the one-line summary. */
async function recordEgress(text: string, run: { envDir: string; runId: string }, quiet = false): Promise<EgressOutcome> {
  const parsed = parseEgressLog(text, new Date());
  const record: EgressRecord = { destinations: aggregateEgress(parsed.events), dropped: parsed.dropped };
  await saveEgressCopy(run.envDir, run.runId, record);
  const summary = formatEgressSummary(record);
  if (summary !== undefined && !quiet) process.stderr.write(`${summary}\n`);
  return { refused: record.destinations.filter((d) => d.verdict === 'refused').length, record };
}

/**
 * After a plain run's container exited: summarise its raw log on stderr (nothing when nothing
 * was refused), keep a copy in the Codex home, drop the raw directory. Never throws: a
 * failure here must not change the run's exit code.
 */
export async function finishEgressLog(run: { rawDir: string; envDir: string; runId: string }): Promise<EgressOutcome> {
  try {
    const text = await readRawEgress(run.rawDir);
    if (text === undefined) return NO_LOG;
    return await recordEgress(text, run);
  } catch (error) {
    process.stderr.write(`warning: could not read the egress log in ${run.rawDir} (${errorCode(error)})\n`);
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
export async function takeSessionEgress(container: string, run: { envDir: string; runId: string }): Promise<EgressOutcome> {
  let text: string;
  try {
    text = await queryDocker(['exec', '-u', '0', container, '/usr/local/bin/sandbox-egress', 'take'], TAKE_TIMEOUT_MS);
  } catch (error) {
    process.stderr.write(
      `warning: could not collect the egress log of ${container} (${error instanceof Error ? error.message : String(error)})\n`,
    );
    return NO_LOG;
  }
  try {
    return await recordEgress(text.slice(0, MAX_LOG_BYTES), run);
  } catch (error) {
    process.stderr.write(`warning: could not record the egress log of ${container} (${errorCode(error)})\n`);
    return NO_LOG;
  }
}

export interface SavedEgressRun {
  runId: string;
  file: string;
  mtimeMs: number;
}

/** The `<run id>.jsonl` copies of a Codex home, newest first. */
export async function listEgressRuns(envDir: string): Promise<SavedEgressRun[]> {
  const dir = path.join(envDir, EGRESS_COPY_DIR);
  const names = await readdir(dir).catch(() => [] as string[]);
  const runs: SavedEgressRun[] = [];
  for (const name of names) {
    const match = /^([0-9a-f]{8})\.jsonl$/.exec(name);
    if (match === null) continue;
    const info = await lstat(path.join(dir, name));
    if (info.isFile()) runs.push({ runId: match[1] ?? '', file: path.join(dir, name), mtimeMs: info.mtimeMs });
  }
  return runs.sort((a, b) => b.mtimeMs - a.mtimeMs || a.runId.localeCompare(b.runId));
}

export async function readEgressCopy(file: string): Promise<EgressRecord & { badLines: number }> {
  return parseEgressJsonl(await readLogFile(file, 4 * 1024 * 1024));
}

/**
 * The run flow's hook (R70, R95): creates a plain run's raw log directory before `docker run`
 * (docker refuses a missing bind source); `finish()`, once the container has exited, prints
 * the summary, saves the record and resolves with the outcome (once, however often called).
 * A session keeps its log in the container (takeSessionEgress after each command).
 */
export async function startEgressLog(run: {
  egressLogDir?: string;
  envDir: string;
  runId: string;
  session?: unknown;
}): Promise<{ finish(): Promise<EgressOutcome> }> {
  const rawDir = run.egressLogDir;
  // A session keeps its log inside the container (takeSessionEgress after each command).
  if (rawDir === undefined || run.session !== undefined) return { finish: async () => NO_LOG };
  await createEgressRawDir(rawDir, run.envDir);
  let outcome: Promise<EgressOutcome> | undefined;
  return { finish: () => (outcome ??= finishEgressLog({ rawDir, envDir: run.envDir, runId: run.runId })) };
}
