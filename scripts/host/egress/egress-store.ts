import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError } from '../../core/errors.js';
import { formatEgressJsonl, parseEgressJsonl, type EgressRecord } from '../../core/egress/egress-summary.js';
import { READ_LIMITS } from '../../core/read-limits.js';
import { stateDirOf, type HostContext } from '../host-context.js';
import { readHostFile } from '../tree/read-host-file.js';

/**
 * R146: the persisted egress record lives where the agent cannot write: the launcher's state
 * directory, `${XDG_STATE_HOME:-~/.local/state}/codex-sandbox/egress-records/<project>/<run id>.jsonl`,
 * `<project>` the first 16 hex digits of sha256 of the Codex home's physical path (so `egress
 * --work_dir`/`--codex-home` finds the runs and session commands of that project). Directories
 * 0700, files 0600 written through a new temporary name and renamed, at most 200 runs per
 * project (the oldest removed) and READ_LIMITS.egressRecord bytes per run. Copies an older
 * version wrote into the Codex home (`<home>/egress/`) are never read: the agent can write them.
 */
const RECORDS = 'egress-records';
export const STORE_MAX_RUNS = 200;
const RECORD_FILE = /^([0-9a-f]{8})\.jsonl$/;

/** The record directory of the project whose Codex home is `envDir` (a physical path). */
export function egressStoreDir(ctx: Pick<HostContext, 'env' | 'home'>, envDir: string): string {
  const state = stateDirOf(ctx);
  if (state === undefined)
    throw new EnvironmentError('HOME is not set: egress records go to ~/.local/state/codex-sandbox; set HOME or XDG_STATE_HOME');
  return path.join(state, RECORDS, createHash('sha256').update(envDir).digest('hex').slice(0, 16));
}

/** Writes `<store>/<run id>.jsonl` (temp + rename, 0600), then prunes the oldest beyond STORE_MAX_RUNS. */
export async function saveEgressRecord(store: string, runId: string, record: EgressRecord): Promise<void> {
  if (!/^[0-9a-f]{8}$/.test(runId)) throw new Error(`bad run id ${runId}`);
  await mkdir(store, { recursive: true, mode: 0o700 });
  await chmod(store, 0o700);
  await chmod(path.dirname(store), 0o700);
  const temp = path.join(store, `.${runId}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    await handle.writeFile(formatEgressJsonl(record, READ_LIMITS.egressRecord));
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temp, path.join(store, `${runId}.jsonl`));
  await pruneEgressRecords(store);
}

async function pruneEgressRecords(store: string): Promise<void> {
  const runs = await listEgressRecords(store);
  for (const old of runs.slice(STORE_MAX_RUNS)) await rm(old.file, { force: true });
}

export interface SavedEgressRun {
  runId: string;
  file: string;
  mtimeMs: number;
}

/** The records of a project, newest first (none when the directory does not exist). */
export async function listEgressRecords(store: string): Promise<SavedEgressRun[]> {
  const names = await readdir(store).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const runs: SavedEgressRun[] = [];
  for (const name of names) {
    const match = RECORD_FILE.exec(name);
    if (match === null) continue;
    const info = await lstat(path.join(store, name)).catch(() => undefined);
    if (info?.isFile() === true) runs.push({ runId: match[1] ?? '', file: path.join(store, name), mtimeMs: info.mtimeMs });
  }
  return runs.sort((a, b) => b.mtimeMs - a.mtimeMs || a.runId.localeCompare(b.runId));
}

/** A record listed by listEgressRecords: a regular file beneath the store (no link followed), capped. */
export async function readEgressRecord(file: string): Promise<EgressRecord & { badLines: number }> {
  return parseEgressJsonl((await readHostFile(file, [path.dirname(file)], READ_LIMITS.egressRecord)).bytes.toString('utf8'));
}
