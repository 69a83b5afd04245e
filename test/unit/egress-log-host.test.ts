import fs from 'node:fs';
import path from 'node:path';
import {
  createEgressRawDir,
  egressRawDir,
  finishEgressLog,
  finishOrphanedEgressLogs,
  takeSessionEgress,
} from '../../scripts/host/egress/egress-log.js';
import {
  egressStoreDir,
  listEgressRecords,
  readEgressRecord,
  saveEgressRecord,
  STORE_MAX_RUNS,
} from '../../scripts/host/egress/egress-store.js';
import type { HostContext } from '../../scripts/host/host-context.js';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.js';

const LOG = [
  '#allow api.openai.com web.test',
  '#deny ',
  '#upstream ',
  'Mar 10 11:59:02 dnsmasq[12]: config refused.test is NXDOMAIN',
  'squid 1741607950.250 172.26.0.7 80 GET web.test 80 - - 200 TCP_MISS - 172.26.0.2 80 209',
  '',
].join('\n');

let tmp: string;
let ctx: HostContext;
let stderr: string[];
const write = process.stderr.write.bind(process.stderr);

beforeEach(() => {
  tmp = makeTempDir('codex-sandbox-egress-host-');
  ctx = { cwd: tmp, env: {}, home: tmp, uid: 1, gid: 1, stdinIsTTY: false, stdoutIsTTY: false, pid: 1, hostname: 'h' };
  stderr = [];
  // Node's own warning about VM modules (jest's ESM mode) is not the launcher's output.
  process.stderr.write = ((chunk: string) =>
    /ExperimentalWarning|--trace-warnings/.test(String(chunk)) || stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
});
afterEach(() => {
  process.stderr.write = write;
  removeTempDir(tmp);
});

async function rawRun(runId: string, envDir: string, ageMs: number, host = 'h'): Promise<string> {
  const dir = egressRawDir(ctx, runId);
  await createEgressRawDir(dir, envDir, host);
  fs.writeFileSync(path.join(dir, 'egress.log'), LOG);
  const when = new Date(Date.now() - ageMs);
  fs.utimesSync(dir, when, when);
  return dir;
}

const readRecord = (envDir: string, runId: string) =>
  fs
    .readFileSync(path.join(egressStoreDir(ctx, envDir), `${runId}.jsonl`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);

describe("plain runs leave no raw log (R95); the record is kept in the launcher's state (R146)", () => {
  it('the summary is printed, the record kept beneath the state directory (0700/0600), nothing in the Codex home', async () => {
    const envDir = path.join(tmp, 'work', '.codex', '.environment');
    fs.mkdirSync(envDir, { recursive: true });
    const dir = await rawRun('0123abcd', envDir, 0);
    const store = egressStoreDir(ctx, envDir);
    expect(store).toMatch(new RegExp(`^${tmp}/\\.local/state/codex-sandbox/egress-records/[0-9a-f]{16}$`));
    const outcome = await finishEgressLog({ rawDir: dir, runId: '0123abcd', store });
    expect(outcome.refused).toBe(1);
    expect(stderr.join('')).toBe('refused 1 destination: refused.test (1×, DNS) — allow with: --allow refused.test\n');
    expect(fs.existsSync(dir)).toBe(false);
    expect(readRecord(envDir, '0123abcd')).toEqual([
      expect.objectContaining({ verdict: 'refused', reason: 'DNS', kind: 'dns', name: 'refused.test', count: 1 }),
      expect.objectContaining({ verdict: 'allowed', kind: 'http', name: 'web.test', port: 80, bytesUp: 80, bytesDown: 209, count: 1 }),
    ]);
    expect(fs.statSync(store).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.dirname(store)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(store, '0123abcd.jsonl')).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(store)).toEqual(['0123abcd.jsonl']); // no temporary file left
    expect(fs.existsSync(path.join(envDir, 'egress'))).toBe(false);
  });

  it('a raw directory whose launcher died is recorded quietly and removed; live and fresh ones stay', async () => {
    const envDir = path.join(tmp, 'home-a');
    fs.mkdirSync(envDir);
    const orphan = await rawRun('aaaaaaaa', envDir, 60_000);
    const live = await rawRun('bbbbbbbb', envDir, 60_000);
    const fresh = await rawRun('cccccccc', envDir, 0);
    // A HOME shared between machines: another host's container is not in this host's `docker ps`.
    const otherHost = await rawRun('dddddddd', envDir, 60_000, 'other-host');
    await finishOrphanedEgressLogs(ctx, ['codex-work-0123abcd-bbbbbbbb']);
    expect(fs.existsSync(orphan)).toBe(false);
    expect(fs.existsSync(otherHost)).toBe(true);
    expect(JSON.stringify(readRecord(envDir, 'aaaaaaaa'))).toContain('refused.test');
    expect(fs.existsSync(live)).toBe(true);
    expect(fs.existsSync(fresh)).toBe(true);
    expect(stderr).toEqual([]);
  });
});

/** Stands in for `docker exec … sandbox-egress take`: answers `stdout`, or fails like docker with `stderr`. */
function fakeTake(out: { stdout?: string; stderr?: string }) {
  return async (args: readonly string[]) => {
    expect(args).toEqual(['exec', '-u', '0', 'codex-session-x', '/usr/local/bin/sandbox-egress', 'take']);
    if (out.stderr !== undefined) throw new Error(`docker failed: ${out.stderr}`);
    return out.stdout ?? '';
  };
}

describe('the record store (R146)', () => {
  let envDir: string;
  let store: string;
  beforeEach(() => {
    envDir = path.join(tmp, 'work', '.codex', '.environment');
    fs.mkdirSync(envDir, { recursive: true });
    store = egressStoreDir(ctx, envDir);
  });

  it("a session command's take is recorded there; the Codex home is never written", async () => {
    const outcome = await takeSessionEgress('codex-session-x', { runId: '0123abcd', store }, fakeTake({ stdout: LOG }));
    expect(outcome.refused).toBe(1);
    expect(stderr).toEqual(['refused 1 destination: refused.test (1×, DNS) — allow with: --allow refused.test\n']);
    expect((await listEgressRecords(store)).map((r) => r.runId)).toEqual(['0123abcd']);
    expect(fs.readdirSync(envDir)).toEqual([]);
  });

  it('what the agent writes in its home (a forged copy of an earlier run) is never listed or read', async () => {
    await saveEgressRecord(store, 'aaaaaaaa', {
      destinations: [{ verdict: 'refused', reason: 'DNS', kind: 'dns', name: 'real.test', count: 1 }],
      dropped: 0,
    });
    fs.mkdirSync(path.join(envDir, 'egress'));
    fs.writeFileSync(path.join(envDir, 'egress', 'aaaaaaaa.jsonl'), '{"kind":"http","verdict":"allowed","count":1,"name":"forged.test"}\n');
    const old = new Date(Date.now() - 86_400_000);
    fs.utimesSync(path.join(envDir, 'egress', 'aaaaaaaa.jsonl'), old, old);
    const [run] = await listEgressRecords(store);
    expect((await readEgressRecord(run!.file)).destinations).toEqual([expect.objectContaining({ name: 'real.test' })]);
  });

  it('a record that cannot be kept costs one warning, never the summary or the outcome', async () => {
    fs.mkdirSync(path.dirname(store), { recursive: true });
    fs.writeFileSync(store, 'in the way');
    const dir = await rawRun('0123abcd', envDir, 0);
    const outcome = await finishEgressLog({ rawDir: dir, runId: '0123abcd', store });
    expect(outcome.refused).toBe(1);
    expect(outcome.record.destinations).toHaveLength(2);
    expect(stderr).toHaveLength(2);
    expect(stderr[1]).toMatch(/^warning: the egress record was not kept in .*egress-records\/[0-9a-f]{16} \(.*\)\n$/);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('bounded: the oldest beyond 200 runs are removed; a linked record is not listed; a record is capped in size', async () => {
    const record = { destinations: [], dropped: 0 };
    for (let i = 0; i < STORE_MAX_RUNS + 3; i += 1) {
      const runId = i.toString(16).padStart(8, '0');
      await saveEgressRecord(store, runId, record);
      const when = new Date(Date.now() - (STORE_MAX_RUNS + 3 - i) * 1000);
      fs.utimesSync(path.join(store, `${runId}.jsonl`), when, when);
    }
    await saveEgressRecord(store, 'ffffffff', record);
    const runs = await listEgressRecords(store);
    expect(runs).toHaveLength(STORE_MAX_RUNS);
    expect(runs[0]?.runId).toBe('ffffffff');
    expect(runs.some((r) => r.runId === '00000000')).toBe(false);
    fs.symlinkSync(path.join(store, 'ffffffff.jsonl'), path.join(store, 'eeeeeeee.jsonl'));
    expect((await listEgressRecords(store)).some((r) => r.runId === 'eeeeeeee')).toBe(false);
    const huge = Array.from({ length: 60_000 }, (_, i) => ({
      verdict: 'refused' as const,
      reason: 'DNS' as const,
      kind: 'dns' as const,
      name: `${'n'.repeat(80)}-${i}.test`,
      count: 2,
    }));
    await saveEgressRecord(store, 'abababab', { destinations: huge, dropped: 1 });
    expect(fs.statSync(path.join(store, 'abababab.jsonl')).size).toBeLessThanOrEqual(4 * 1024 * 1024);
    const back = await readEgressRecord(path.join(store, 'abababab.jsonl'));
    expect(back.dropped + back.destinations.reduce((sum, d) => sum + d.count, 0)).toBe(1 + 2 * 60_000);
  });

  it('docker’s message about a failed take reaches the terminal escaped', async () => {
    const take = fakeTake({ stderr: 'Error: \u001b]52;c;cHduZWQ=\u0007 gone' });
    expect((await takeSessionEgress('codex-session-x', { runId: '0123abcd', store }, take)).refused).toBeNull();
    expect(stderr.join('')).toContain('\\x1b]52;c;cHduZWQ=\\x07 gone');
    expect(stderr.join('')).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });
});
