import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError } from '../core/errors.js';
import {
  aggregateEgress,
  formatEgressJsonl,
  formatEgressSummary,
  parseDnsLog,
  parseEgressJsonl,
  parsePacketLog,
  type EgressDestination,
} from '../core/egress-summary.js';
import type { HostContext } from './host-context.js';
import { errorCode } from './resolve-path.js';
import { writeHostFile } from './tree-paths.js';

/** Per-run copies for the user, in the Codex home: `<env dir>/egress/<run id>.jsonl`. */
export const EGRESS_COPY_DIR = 'egress';
const MAX_LOG_BYTES = 16 * 1024 * 1024;

/**
 * The raw log's host directory: `${XDG_STATE_HOME:-~/.local/state}/codex-sandbox/egress/<run id>`,
 * outside the workdir and the Codex home, so the agent can neither read nor forge it.
 */
export function egressRawDir(ctx: HostContext, runId: string): string {
  const state = ctx.env.XDG_STATE_HOME;
  const base = state !== undefined && path.isAbsolute(state) ? state : ctx.home === undefined ? undefined : path.join(ctx.home, '.local', 'state');
  if (base === undefined) throw new EnvironmentError('HOME is not set: the egress log goes to ~/.local/state/codex-sandbox; set HOME or XDG_STATE_HOME');
  return path.join(base, 'codex-sandbox', 'egress', runId);
}

/** Created just before `docker run` (mode 0700: other host users have no business there). */
export async function createEgressRawDir(dir: string): Promise<void> {
  await mkdir(path.dirname(dir), { recursive: true, mode: 0o700 });
  await mkdir(dir, { mode: 0o700 });
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

/** Blocked destinations of a finished run, from the raw log; undefined when the image wrote none. */
export async function readBlockedDestinations(rawDir: string, now = new Date()): Promise<EgressDestination[] | undefined> {
  const entries = await readdir(rawDir).catch(() => [] as string[]);
  if (!entries.includes('dns.log') && !entries.includes('packets.json')) return undefined;
  const dns = parseDnsLog(await readLogFile(path.join(rawDir, 'dns.log')), now);
  const packets = parsePacketLog(await readLogFile(path.join(rawDir, 'packets.json')));
  return aggregateEgress([...dns.events, ...packets], dns.names);
}

/** Writes `<env dir>/egress/<run id>.jsonl` through directory descriptors (R101: no link followed on the way, temp + rename). */
async function saveEgressCopy(envDir: string, runId: string, destinations: readonly EgressDestination[]): Promise<string> {
  await writeHostFile(path.join(envDir, EGRESS_COPY_DIR), `${runId}.jsonl`, formatEgressJsonl(destinations), [envDir]);
  return path.join(envDir, EGRESS_COPY_DIR, `${runId}.jsonl`);
}

export interface EgressOutcome {
  /** Number of blocked destinations, or null when the image kept no log. */
  blocked: number | null;
  destinations: EgressDestination[];
}

/**
 * After the container exits: summarise the raw log on stderr (nothing when nothing was
 * blocked), keep a copy in the Codex home, drop the raw directory. Never throws: a
 * failure here must not change the run's exit code.
 */
export async function finishEgressLog(run: { rawDir: string; envDir: string; runId: string }): Promise<EgressOutcome> {
  try {
    const destinations = await readBlockedDestinations(run.rawDir);
    if (destinations === undefined) return { blocked: null, destinations: [] };
    await saveEgressCopy(run.envDir, run.runId, destinations);
    const summary = formatEgressSummary(destinations);
    if (summary !== undefined) process.stderr.write(`${summary}\n`);
    await rm(run.rawDir, { recursive: true, force: true }).catch(() => undefined);
    return { blocked: destinations.length, destinations };
  } catch (error) {
    process.stderr.write(`warning: could not read the egress log in ${run.rawDir} (${errorCode(error)})\n`);
    return { blocked: null, destinations: [] };
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

export async function readEgressCopy(file: string): Promise<{ destinations: EgressDestination[]; badLines: number }> {
  return parseEgressJsonl(await readLogFile(file, 4 * 1024 * 1024));
}

/** finish() of each run started in this process, so a report can ask for the count by run id. */
const finishers = new Map<string, () => Promise<EgressOutcome>>();

/**
 * The run-command hook: creates the raw log dir before `docker run` (docker refuses a
 * missing bind source) and, via `finish()` once the container has exited, prints the summary
 * and saves the copy. `finish()` runs once however often it is called and resolves with the
 * blocked count (null: no log), also through finishEgressLogOf(runId) (for exit.json).
 */
export async function startEgressLog(run: { egressLogDir?: string; envDir: string; runId: string }): Promise<{ finish(): Promise<EgressOutcome> }> {
  const rawDir = run.egressLogDir;
  if (rawDir === undefined) return { finish: async () => ({ blocked: null, destinations: [] }) };
  await createEgressRawDir(rawDir);
  let outcome: Promise<EgressOutcome> | undefined;
  const finish = () => (outcome ??= finishEgressLog({ rawDir, envDir: run.envDir, runId: run.runId }));
  finishers.set(run.runId, finish);
  return { finish };
}

/** The egress outcome of a run started by startEgressLog in this process (its container must have exited). */
export async function finishEgressLogOf(runId: string): Promise<EgressOutcome> {
  return (await finishers.get(runId)?.()) ?? { blocked: null, destinations: [] };
}
