import fs from 'node:fs';
import path from 'node:path';
import {
  createEgressRawDir,
  egressRawDir,
  finishEgressLog,
  finishOrphanedEgressLogs,
  listEgressRuns,
  readEgressCopy,
  takeSessionEgress,
} from '../../scripts/host/egress-log.js';
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
  await createEgressRawDir(dir, { envDir, trees: [envDir] }, host);
  fs.writeFileSync(path.join(dir, 'egress.log'), LOG);
  const when = new Date(Date.now() - ageMs);
  fs.utimesSync(dir, when, when);
  return dir;
}

describe('plain runs leave no raw log (R95)', () => {
  it('the summary is printed, the record kept in the Codex home, the raw directory removed', async () => {
    const envDir = path.join(tmp, 'work', '.codex', '.environment');
    fs.mkdirSync(envDir, { recursive: true });
    const dir = await rawRun('0123abcd', envDir, 0);
    const outcome = await finishEgressLog({ rawDir: dir, envDir, runId: '0123abcd', trees: [path.join(tmp, 'work')] });
    expect(outcome.refused).toBe(1);
    expect(stderr.join('')).toBe('refused 1 destination: refused.test (1×, DNS) — allow with: --allow refused.test\n');
    expect(fs.existsSync(dir)).toBe(false);
    const record = fs
      .readFileSync(path.join(envDir, 'egress', '0123abcd.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(record).toEqual([
      expect.objectContaining({ verdict: 'refused', reason: 'DNS', kind: 'dns', name: 'refused.test', count: 1 }),
      expect.objectContaining({ verdict: 'allowed', kind: 'http', name: 'web.test', port: 80, bytesUp: 80, bytesDown: 209, count: 1 }),
    ]);
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
    expect(fs.readFileSync(path.join(envDir, 'egress', 'aaaaaaaa.jsonl'), 'utf8')).toContain('refused.test');
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

describe('the egress record in an agent-writable Codex home (R101, R102)', () => {
  let work: string;
  let envDir: string;
  let evil: string;
  beforeEach(() => {
    work = path.join(tmp, 'work');
    envDir = path.join(work, '.codex', '.environment');
    evil = path.join(tmp, 'evil');
    fs.mkdirSync(envDir, { recursive: true });
    fs.mkdirSync(path.join(evil, '.environment'), { recursive: true });
  });

  it('a `.codex` link the agent of a kept session swaps in is never followed: nothing is written outside', async () => {
    fs.rmSync(path.join(work, '.codex'), { recursive: true });
    fs.symlinkSync(evil, path.join(work, '.codex'));
    const outcome = await takeSessionEgress(
      'codex-session-x',
      { envDir, runId: '0123abcd', trees: [work, envDir] },
      fakeTake({ stdout: LOG }),
    );
    expect(outcome.refused).toBe(1);
    expect(fs.existsSync(path.join(evil, '.environment', 'egress'))).toBe(false);
    expect(stderr[0]).toBe('refused 1 destination: refused.test (1×, DNS) — allow with: --allow refused.test\n');
    expect(stderr[1]).toMatch(/^warning: the egress record was not kept in .*0123abcd\.jsonl \(.*symlink.*\)\n$/);
  });

  it('a file planted where the copies go costs the copy (one warning), never the summary or the outcome', async () => {
    fs.writeFileSync(path.join(envDir, 'egress'), 'planted');
    const dir = await rawRun('0123abcd', envDir, 0);
    const outcome = await finishEgressLog({ rawDir: dir, envDir, runId: '0123abcd', trees: [work] });
    expect(outcome.refused).toBe(1);
    expect(outcome.record.destinations).toHaveLength(2);
    expect(stderr).toHaveLength(2);
    expect(stderr[0]).toBe('refused 1 destination: refused.test (1×, DNS) — allow with: --allow refused.test\n');
    expect(stderr[1]).toMatch(/^warning: the egress record was not kept in .*\/egress\/0123abcd\.jsonl \(.*not a directory\)\n$/);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('docker’s message about a failed take reaches the terminal escaped', async () => {
    const take = fakeTake({ stderr: 'Error: \u001b]52;c;cHduZWQ=\u0007 gone' });
    expect((await takeSessionEgress('codex-session-x', { envDir, runId: '0123abcd', trees: [work] }, take)).refused).toBeNull();
    expect(stderr.join('')).toContain('\\x1b]52;c;cHduZWQ=\\x07 gone');
    expect(stderr.join('')).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });

  it('the copies are listed and read beneath the trees: a linked `egress` directory or copy is refused', async () => {
    fs.mkdirSync(path.join(evil, 'egress'));
    fs.writeFileSync(path.join(evil, 'egress', 'aaaaaaaa.jsonl'), '{"kind":"dns","verdict":"refused","count":1,"name":"x.test"}\n');
    fs.symlinkSync(path.join(evil, 'egress'), path.join(envDir, 'egress'));
    await expect(listEgressRuns(envDir, [work])).rejects.toThrow(/symlink/);
    fs.unlinkSync(path.join(envDir, 'egress'));
    fs.mkdirSync(path.join(envDir, 'egress'));
    fs.symlinkSync(path.join(evil, 'egress', 'aaaaaaaa.jsonl'), path.join(envDir, 'egress', 'bbbbbbbb.jsonl'));
    expect(await listEgressRuns(envDir, [work])).toEqual([]);
    await expect(readEgressCopy(path.join(envDir, 'egress', 'bbbbbbbb.jsonl'), [work])).rejects.toThrow(/symlink/);
    fs.copyFileSync(path.join(evil, 'egress', 'aaaaaaaa.jsonl'), path.join(envDir, 'egress', 'aaaaaaaa.jsonl'));
    const runs = await listEgressRuns(envDir, [work]);
    expect(runs.map((run) => run.runId)).toEqual(['aaaaaaaa']);
    expect((await readEgressCopy(runs[0]!.file, [work])).destinations).toHaveLength(1);
  });
});
