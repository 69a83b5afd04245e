import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { egressRecordFiles, parseEgressJson } from './helpers/egress-records.js';
import { runLauncher, type LauncherResult } from './helpers/run-launcher.js';
import { createTestNetwork, type TestNetwork } from './helpers/test-network.js';

/**
 * Egress log (R70-R72, R92-R94): a run that hits a refused name and a rejected address prints the
 * one-line summary, keeps `<run id>.jsonl` in the launcher's state (R146) and `egress --last` shows it;
 * the agent cannot see the raw log; a run that hits nothing prints nothing.
 */
const AGENT_UID = process.getuid?.() === 0 ? 4242 : (process.getuid?.() ?? 1000);

let network: TestNetwork;
let scratch: string;
let workdir: string;
let home: string;
let run: LauncherResult;

const launch = (args: string[]) => runLauncher(args, { cwd: workdir, env: { HOME: home } });

beforeAll(() => {
  network = createTestNetwork();
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-egress-'));
  workdir = path.join(scratch, 'project');
  home = path.join(scratch, 'home');
  mkdirSync(workdir);
  mkdirSync(home);
  if (process.getuid?.() === 0) chownSync(workdir, AGENT_UID, AGENT_UID);
  const script = [
    'getent hosts blocked-name.test; getent hosts blocked-name.test',
    `curl -sS -m 2 http://${network.blockedIp}:5432/ 2>&1 | head -c 200; echo`,
    'ls /var/lib/codex-sandbox/private/egress >/dev/null 2>&1 && echo RAW-LOG-VISIBLE || echo RAW-LOG-PRIVATE',
    'echo forged >> /var/lib/codex-sandbox/private/egress/egress.log 2>/dev/null && echo RAW-LOG-WRITABLE || echo RAW-LOG-READONLY',
    'echo forged >> /run/codex-sandbox/egress/in.fifo 2>/dev/null && echo FIFO-WRITABLE || echo FIFO-CLOSED',
  ].join('\n');
  run = launch(['shell', '--network', network.name, '--dns', network.dnsIp, '--', 'sh', '-c', script]);
}, 300000);

afterAll(() => {
  network?.remove();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

const records = () => egressRecordFiles(home);

describe('egress log of a run', () => {
  test('the command ran; the agent can neither see nor write the raw log', () => {
    expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 0, stdout: expect.stringContaining('RAW-LOG-PRIVATE') });
    expect(run.stdout).toContain('RAW-LOG-READONLY');
    expect(run.stdout).toContain('FIFO-CLOSED');
    expect(run.stdout).not.toContain('RAW-LOG-VISIBLE');
  });

  test('one summary line on stderr: the name with an --allow suggestion and its reason, the bare address without', () => {
    const line = run.stderr.split('\n').find((l) => l.startsWith('refused '));
    expect(line).toBeDefined();
    expect(line).toMatch(/^refused 2 destinations: /);
    expect(line).toMatch(/blocked-name\.test \(\d+×, DNS\)/);
    expect(line).toContain(`${network.blockedIp}:5432 (1×, address without a name)`);
    expect(line).toMatch(/ — allow with: --allow blocked-name\.test$/);
    expect(line).not.toContain('selfcheck');
    expect(run.stdout).not.toContain('refused 2 destinations');
  });

  test("<run id>.jsonl in the launcher's state (R146), nothing in the Codex home, the raw directory removed", () => {
    const files = records();
    expect(files).toHaveLength(1);
    expect(path.basename(files[0]!)).toMatch(/^[0-9a-f]{8}\.jsonl$/);
    expect(existsSync(path.join(workdir, '.codex', '.environment', 'egress'))).toBe(false);
    const lines = readFileSync(files[0]!, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          verdict: 'refused',
          reason: 'DNS',
          kind: 'dns',
          name: 'blocked-name.test',
          count: expect.any(Number),
          time: expect.any(String),
        }),
        expect.objectContaining({
          verdict: 'refused',
          reason: 'address without a name',
          kind: 'connect',
          address: network.blockedIp,
          port: 5432,
          protocol: 'tcp',
          count: 1,
        }),
      ]),
    );
    // The first line names the run's agent: whose background hosts are marked (R199).
    expect(lines[0]).toEqual({ agent: 'codex' });
    expect(lines).toHaveLength(3);
    const runId = path.basename(files[0]!).slice(0, 8);
    expect(existsSync(path.join(home, '.local', 'state', 'codex-sandbox', 'egress', runId))).toBe(false);
  });

  test('`egress --last --json` and `egress RUNPREFIX` show it again', () => {
    const runId = path.basename(records()[0]!).slice(0, 8);
    const json = launch(['egress', '--last', '--json']);
    expect(json.status).toBe(0);
    const parsed = parseEgressJson(json.stdout);
    expect(parsed.runId).toBe(runId);
    expect(parsed.destinations.map((d) => d.name ?? d.address).sort()).toEqual(['blocked-name.test', network.blockedIp].sort());
    const text = launch(['egress', runId.slice(0, 4)]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(`run ${runId}`);
    expect(text.stdout).toMatch(/refused 2 destinations: .* — allow with: --allow blocked-name\.test\n$/);
    expect(launch(['egress', 'ffffffff']).status).toBe(2);
  });

  test('a run that hits nothing prints no summary and records an empty log', () => {
    const quiet = launch(['shell', '--network', network.name, '--', 'true']);
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).not.toMatch(/^refused /m);
    const last = launch(['egress', '--last', '--json']);
    // Schema v1 (R170): nothing reached, nothing refused, nothing dropped: no line at all.
    expect({ status: last.status, stdout: last.stdout }).toEqual({ status: 0, stdout: '' });
    expect(parseEgressJson(last.stdout).destinations).toEqual([]);
  });
});
