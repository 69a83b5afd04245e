import { jest } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { followEgress, type FollowDeps } from '../../scripts/app/egress-follow.js';
import type { SessionRecord } from '../../scripts/core/session/session-list.js';
import { appendEgressLog, resolveEgressLogFile } from '../../scripts/host/egress/egress-append.js';
import { takeSessionEgress } from '../../scripts/host/egress/egress-log.js';
import { makeTempDir, removeTempDir, snapshotTree } from './helpers/temp-dir.js';

/** `egress --follow` (R170) with a fake docker, and `--egress-log FILE` on the host (R171). */
const TARGET: SessionRecord = {
  name: 'work',
  container: 'codex-session-work',
  status: 'running',
  workdir: '/w',
  workdirs: ['/w'],
  image: 'codex-sandbox:latest',
  created: '2025-03-10T11:00:00Z',
  runId: 'abcd1234',
  mounts: '',
  agent: 'codex',
};
const NOW = new Date('2025-03-10T12:00:00Z');
const HEADER = '#allow api.openai.com pypi.org\n#deny \n#upstream \n';
const DENIED = 'squid 1741607950.250 172.26.0.7 80 GET denied.test 80 - - 403 TCP_DENIED ERR_ACCESS_DENIED - 77 415 -';
// Squid's 409 (the address check) for a name the logged policy allows: "does not match", named only with the header.
const MISMATCH = 'squid 1741607951.000 172.26.0.7 443 CONNECT pypi.org 443 - - 409 TAG_NONE ERR_CONFLICT_HOST - 0 0 -';

interface Fake {
  deps: FollowDeps;
  calls: string[][];
  out: string[];
  said: string[];
}

/** docker answers the peeks in turn, then fails as for a container that is gone; `running` after that failure. */
function fake(answers: string[], running = false): Fake {
  const calls: string[][] = [];
  const out: string[] = [];
  const said: string[] = [];
  const deps: FollowDeps = {
    query: async (args) => {
      calls.push([...args]);
      const answer = answers.shift();
      if (answer === undefined) throw new Error('docker failed: Error response from daemon: container codex-session-work is not running');
      return answer;
    },
    isRunning: async () => running,
    write: (text) => out.push(text),
    say: (line) => said.push(line),
    sleep: async () => undefined,
    now: () => NOW,
  };
  return { deps, calls, out, said };
}

const peekArgs = (gen: number, offset: number) => [
  'exec',
  '-u',
  '0',
  '-w',
  '/',
  'codex-session-work',
  '/usr/local/bin/sandbox-egress',
  'peek',
  String(gen),
  String(offset),
];

describe('egress --follow (R170)', () => {
  it('prints each event once as it arrives, continues where the last peek ended, stops when the container is gone', async () => {
    const first = `${HEADER}${DENIED}\nMar 10 11:59:02 dnsmasq[12]: config refused.test is NXDOMAIN\n\x01POS 0 400\n`;
    const second = `${MISMATCH}\n#policy 1741607952.000 allow pypi.org alice 1741608552\n\x01POS 1 80\n`;
    const f = fake([first, second]);
    await expect(followEgress(TARGET, false, new AbortController().signal, f.deps)).resolves.toBe(0);
    expect(f.calls).toEqual([peekArgs(0, 0), peekArgs(0, 400), peekArgs(1, 80)]);
    expect(f.out.join('')).toBe(
      '11:59:10  refused  http     denied.test:80 — name not allowed\n' +
        '11:59:02  refused  dns      refused.test — DNS\n' +
        // The header of the first peek still classifies the second: pypi.org is allowed, so its 409 is a mismatch.
        '11:59:11  refused  tls      pypi.org:443 — name does not match (fronting)\n' +
        'policy  11:59:12  allow pypi.org by alice (until 12:09:12)\n',
    );
    expect(f.said).toEqual(['egress --follow: session work stopped']);
  });

  it('--json: schema v1 lines, one per event and policy change', async () => {
    const f = fake([`${DENIED}\n#policy 1741607952.000 deny *.evil.test - -\n\x01POS 0 200\n`]);
    await followEgress(TARGET, true, new AbortController().signal, f.deps);
    expect(
      f.out
        .join('')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual([
      {
        v: 1,
        runId: 'abcd1234',
        kind: 'http',
        verdict: 'refused',
        time: '2025-03-10T11:59:10.250Z',
        count: 1,
        name: 'denied.test',
        port: 80,
        reason: 'name not allowed',
      },
      { v: 1, runId: 'abcd1234', kind: 'policy', time: '2025-03-10T11:59:12.000Z', action: 'deny', pattern: '*.evil.test' },
    ]);
  });

  it('names from inside the sandbox are printed escaped; nothing at all for an empty peek', async () => {
    const evil = 'Mar 10 11:59:02 dnsmasq[12]: config ev\u009bil.test is NXDOMAIN';
    const f = fake(['\x01POS 0 0\n', `${evil}\n\x01POS 0 90\n`]);
    await followEgress(TARGET, false, new AbortController().signal, f.deps);
    expect(f.out).toHaveLength(1);
    expect(f.out.join('')).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });

  it('a failed peek while the container still runs is an error, not the end', async () => {
    const f = fake([], true);
    await expect(followEgress(TARGET, false, new AbortController().signal, f.deps)).rejects.toThrow(
      /^egress --follow: could not read the egress log of session work: docker failed: /,
    );
  });

  it('an answer without its position line is refused', async () => {
    const f = fake([`${DENIED}\n`]);
    await expect(followEgress(TARGET, false, new AbortController().signal, f.deps)).rejects.toThrow(/not its egress log/);
  });

  it('Ctrl-C (the signal) ends it with 130', async () => {
    const controller = new AbortController();
    const f = fake(['\x01POS 0 0\n', '\x01POS 0 0\n', '\x01POS 0 0\n']);
    f.deps.sleep = async () => controller.abort();
    await expect(followEgress(TARGET, false, controller.signal, f.deps)).resolves.toBe(130);
    expect(f.calls).toHaveLength(1);
  });
});

describe('--egress-log FILE (R171)', () => {
  let tmp: string;
  let work: string;
  let home: string;
  beforeEach(() => {
    tmp = fs.realpathSync(makeTempDir('codex-sandbox-egress-append-'));
    work = path.join(tmp, 'work');
    home = path.join(tmp, 'codex-home');
    fs.mkdirSync(work);
    fs.mkdirSync(home);
    fs.mkdirSync(path.join(tmp, 'logs'));
  });
  afterEach(() => removeTempDir(tmp));

  it('a new file outside the trees: its physical path, nothing created', async () => {
    const before = snapshotTree(tmp);
    fs.symlinkSync(path.join(tmp, 'logs'), path.join(tmp, 'via-link'));
    await expect(resolveEgressLogFile('via-link/egress.jsonl', tmp, [work, home])).resolves.toBe(path.join(tmp, 'logs', 'egress.jsonl'));
    fs.unlinkSync(path.join(tmp, 'via-link'));
    expect(snapshotTree(tmp)).toEqual(before);
  });

  it.each<[string, (t: string) => string, RegExp]>([
    ['inside the workdir', (t) => path.join(t, 'work', 'egress.jsonl'), /lies in .*\/work, which the agent can write/],
    ['inside the Codex home', (t) => path.join(t, 'codex-home', 'e.jsonl'), /lies in .*\/codex-home, which the agent can write/],
    ['the workdir itself', (t) => path.join(t, 'work'), /lies in .*\/work, which the agent can write/],
    ['a directory that does not exist', (t) => path.join(t, 'nope', 'e.jsonl'), /its directory does not exist \(ENOENT\): create it first/],
    ['a directory', (t) => path.join(t, 'logs') + '/', /names a directory: give a file path/],
    ['empty', () => '', /^--egress-log is empty: give a file path$/],
  ])('refused: %s', async (_, input, message) => {
    await expect(resolveEgressLogFile(input(tmp), tmp, [work, home])).rejects.toThrow(message);
  });

  it('refused: a link into the workdir, and a link as FILE itself', async () => {
    fs.symlinkSync(work, path.join(tmp, 'to-work'));
    await expect(resolveEgressLogFile(path.join(tmp, 'to-work', 'e.jsonl'), tmp, [work, home])).rejects.toThrow(
      /which the agent can write/,
    );
    fs.symlinkSync(path.join(tmp, 'logs', 'real.jsonl'), path.join(tmp, 'logs', 'link.jsonl'));
    await expect(resolveEgressLogFile(path.join(tmp, 'logs', 'link.jsonl'), tmp, [work, home])).rejects.toThrow(
      /is not a regular file \(a link, a directory or a device\)/,
    );
  });

  it('appends (0600 when new), twice; a link swapped in later is refused, its target untouched', async () => {
    const file = path.join(tmp, 'logs', 'egress.jsonl');
    await appendEgressLog(file, '{"v":1}\n');
    await appendEgressLog(file, '{"v":1,"n":2}\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"v":1}\n{"v":1,"n":2}\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const target = path.join(tmp, 'logs', 'target');
    fs.writeFileSync(target, 'keep\n');
    fs.rmSync(file);
    fs.symlinkSync(target, file);
    await expect(appendEgressLog(file, '{"v":1}\n')).rejects.toThrow(/ELOOP/);
    expect(fs.readFileSync(target, 'utf8')).toBe('keep\n');
  });

  it('a FIFO is refused at once (no reader: no hang), a directory too', async () => {
    const fifo = path.join(tmp, 'logs', 'fifo');
    const { spawnSync } = await import('node:child_process');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    await expect(appendEgressLog(fifo, 'x\n')).rejects.toThrow();
    await expect(appendEgressLog(path.join(tmp, 'logs'), 'x\n')).rejects.toThrow();
  });

  it('each session command appends its own record (schema v1) to FILE; a FILE that became a link costs one warning', async () => {
    const file = path.join(tmp, 'logs', 'egress.jsonl');
    const target = { store: path.join(tmp, 'store'), appendTo: file };
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await takeSessionEgress('c1', { ...target, runId: 'aaaaaaa1' }, async () => `${DENIED}\n#dropped 2\n`);
      await takeSessionEgress('c1', { ...target, runId: 'aaaaaaa2' }, async () => '#policy 1741607952.000 deny *.evil.test - -\n');
      const lines = fs
        .readFileSync(file, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.map((l) => [l.runId, l.kind, l.name ?? l.pattern ?? l.count])).toEqual([
        ['aaaaaaa1', 'http', 'denied.test'],
        ['aaaaaaa1', 'dropped', 2],
        ['aaaaaaa2', 'policy', '*.evil.test'],
      ]);
      fs.rmSync(file);
      fs.symlinkSync(path.join(tmp, 'logs', 'elsewhere'), file);
      const outcome = await takeSessionEgress('c1', { ...target, runId: 'aaaaaaa3' }, async () => `${DENIED}\n`);
      expect(outcome.refused).toBe(1);
      expect(fs.existsSync(path.join(tmp, 'logs', 'elsewhere'))).toBe(false);
      const warnings = stderr.mock.calls.map(([text]) => String(text)).filter((text) => text.startsWith('warning:'));
      expect(warnings).toEqual([expect.stringMatching(/^warning: the egress record was not appended to .*egress\.jsonl \(ELOOP\)\n$/)]);
    } finally {
      stderr.mockRestore();
    }
  });
});
