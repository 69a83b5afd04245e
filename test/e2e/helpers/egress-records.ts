import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** The launcher's egress records under a test HOME (R146): `<state>/codex-sandbox/egress-records/<project>/<run id>.jsonl`. */
export function egressRecordFiles(home: string): string[] {
  const base = path.join(home, '.local', 'state', 'codex-sandbox', 'egress-records');
  if (!existsSync(base)) return [];
  return readdirSync(base).flatMap((project) =>
    readdirSync(path.join(base, project))
      .filter((f) => /^[0-9a-f]{8}\.jsonl$/.test(f))
      .map((f) => path.join(base, project, f)),
  );
}

/** `egress --json` as one object again: its schema-v1 lines (R170), each checked strictly. */
export interface EgressJson {
  runId: string | undefined;
  dropped: number;
  destinations: Array<Record<string, unknown>>;
  changes: Array<Record<string, unknown>>;
}

export function parseEgressJson(stdout: string): EgressJson {
  const parsed: EgressJson = { runId: undefined, dropped: 0, destinations: [], changes: [] };
  if (stdout === '') return parsed;
  if (!stdout.endsWith('\n')) throw new Error(`egress --json: not whole lines: ${JSON.stringify(stdout.slice(-80))}`);
  for (const line of stdout.slice(0, -1).split('\n')) {
    const { v, runId, kind, ...rest } = JSON.parse(line) as Record<string, unknown>;
    if (v !== 1 || typeof runId !== 'string' || !/^[0-9a-f]{8}$/.test(runId)) throw new Error(`egress --json: bad line ${line}`);
    if (parsed.runId !== undefined && parsed.runId !== runId) throw new Error(`egress --json: two run ids in ${stdout}`);
    if (Object.values(rest).includes(null)) throw new Error(`egress --json: null in ${line}`);
    parsed.runId = runId;
    if (kind === 'dropped' && typeof rest.count === 'number' && Object.keys(rest).length === 1) parsed.dropped += rest.count;
    else if (kind === 'policy') parsed.changes.push(rest);
    else if (['dns', 'http', 'tls', 'connect', 'request'].includes(String(kind))) parsed.destinations.push({ kind, ...rest });
    else throw new Error(`egress --json: unknown kind in ${line}`);
  }
  return parsed;
}
