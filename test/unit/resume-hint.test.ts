import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AGENTS } from '../../scripts/core/agents/agents.js';
import { formatResumeHint, quoteShellWord, readSessionId } from '../../scripts/core/agents/resume-hint.js';
import { findSessionId } from '../../scripts/host/agents/find-session-id.js';
import { locateSessionsDir } from '../../scripts/app/resume-hint.js';
import type { PreparedRun } from '../../scripts/app/prepare-run.js';

const UUID = '0199a213-81c0-7800-8aa1-bbab2a035a53';
const FILE = `rollout-2026-12-06T19-01-40-${UUID}.jsonl`;
const resume = AGENTS.codex.resume!;

describe('the launcher names the conversation to resume (Codex: codex resume <id>)', () => {
  test('a session file name gives its id only when it is a strict UUID', () => {
    expect(readSessionId(FILE, resume)).toBe(UUID);
    expect(readSessionId(`rollout-2026-12-06T19-01-40-${'-'.repeat(36)}.jsonl`, resume)).toBeUndefined();
    expect(readSessionId(`rollout-2026-12-06T19-01-40-${UUID.toUpperCase()}.jsonl`, resume)).toBeUndefined();
    expect(readSessionId(`${FILE}.bak`, resume)).toBeUndefined();
    expect(readSessionId(`x${FILE}`, resume)).toBeUndefined();
  });

  test('the hint: the workdir quoted for a shell, the agent when not the default, the registry args', () => {
    expect(formatResumeHint('/home/me/project', AGENTS.codex, UUID)).toBe(
      `to continue it in the sandbox: run-in-container --work_dir /home/me/project -- resume ${UUID}`,
    );
    expect(formatResumeHint("/home/me/it's mine", { ...AGENTS.claude, resume }, UUID)).toBe(
      `to continue it in the sandbox: run-in-container --work_dir '/home/me/it'\\''s mine' --agent claude -- resume ${UUID}`,
    );
    expect(formatResumeHint('/p', AGENTS.codex, 'not-a-uuid')).toBeUndefined();
    expect(formatResumeHint('/p', { ...AGENTS.codex, resume: undefined }, UUID)).toBeUndefined();
    expect(quoteShellWord('$(x)')).toBe(`'$(x)'`);
  });
});

describe('R101 the session files are found by name in an agent-writable tree', () => {
  let root: string;
  let sessions: string;
  const since = Date.parse('2026-12-06T19:00:00Z');
  const write = (relative: string, when: string) => {
    const file = path.join(sessions, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, '{}\n');
    utimesSync(file, new Date(when), new Date(when));
    return file;
  };

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'cs-resume-'));
    sessions = path.join(root, 'sessions');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test('the newest file written since the start, in the newest date directories', async () => {
    const other = '11111111-2222-4333-8444-555555555555';
    write(`2026/12/05/rollout-2026-12-05T10-00-00-${other}.jsonl`, '2026-12-05T10:00:00Z');
    write(`2026/12/06/rollout-2026-12-06T19-00-30-${other}.jsonl`, '2026-12-06T19:00:30Z');
    write(`2026/12/06/${FILE}`, '2026-12-06T19:05:00Z');
    write('2026/12/06/notes.txt', '2026-12-06T19:06:00Z');
    expect(await findSessionId(sessions, [root], resume, since)).toBe(UUID);
  });

  test('nothing written during the run, no tree, a link or a link on the way: nothing', async () => {
    write(`2026/12/06/${FILE}`, '2026-12-06T18:00:00Z');
    expect(await findSessionId(sessions, [root], resume, since)).toBeUndefined();
    expect(await findSessionId(path.join(root, 'missing'), [root], resume, since)).toBeUndefined();
    const target = write(`elsewhere/${FILE}`, '2026-12-06T19:05:00Z');
    symlinkSync(target, path.join(sessions, '2026/12/06', `rollout-2026-12-06T19-09-00-${UUID.replace('7800', '7801')}.jsonl`));
    expect(await findSessionId(sessions, [root], resume, since)).toBeUndefined();
    mkdirSync(path.join(sessions, '2027'));
    symlinkSync(path.join(sessions, '2026/12'), path.join(sessions, '2027/01'));
    expect(await findSessionId(sessions, [root], resume, since)).toBeUndefined();
  });
});

describe('where the run left its sessions on the host', () => {
  const prepared = (agent: 'codex' | 'claude', sessionsDir: string) =>
    ({ resolved: { agent: { id: agent }, envDir: '/w/.codex/.environment', sessionsDir } }) as unknown as PreparedRun;

  test("the agent's home, or --sessions-path mounted over the home's sessions; nothing without a ResumeSpec", () => {
    expect(locateSessionsDir(prepared('codex', '/w/.codex/.environment/sessions'))).toBe('/w/.codex/.environment/sessions');
    expect(locateSessionsDir(prepared('codex', '/elsewhere/sessions'))).toBe('/elsewhere/sessions');
    expect(locateSessionsDir(prepared('claude', '/elsewhere/sessions'))).toBeUndefined();
  });
});
