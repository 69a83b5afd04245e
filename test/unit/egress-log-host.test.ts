import fs from 'node:fs';
import path from 'node:path';
import { createEgressRawDir, egressRawDir, finishEgressLog, finishOrphanedEgressLogs } from '../../scripts/host/egress-log.js';
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

async function rawRun(runId: string, envDir: string, ageMs: number): Promise<string> {
  const dir = egressRawDir(ctx, runId);
  await createEgressRawDir(dir, envDir);
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
    const outcome = await finishEgressLog({ rawDir: dir, envDir, runId: '0123abcd' });
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
    await finishOrphanedEgressLogs(ctx, ['codex-work-0123abcd-bbbbbbbb']);
    expect(fs.existsSync(orphan)).toBe(false);
    expect(fs.readFileSync(path.join(envDir, 'egress', 'aaaaaaaa.jsonl'), 'utf8')).toContain('refused.test');
    expect(fs.existsSync(live)).toBe(true);
    expect(fs.existsSync(fresh)).toBe(true);
    expect(stderr).toEqual([]);
  });
});
