import { buildHeadlessArgs } from '../../scripts/core/agents/agents.js';
import { UsageError } from '../../scripts/core/errors.js';
import {
  formatDuration,
  formatLogLine,
  lastMessagePaths,
  renderExitJson,
  renderSummary,
  reportDirName,
  validatePrompt,
  type ExecOutcome,
} from '../../scripts/core/run/exec-report.js';

const OUTCOME: ExecOutcome = {
  prompt: 'fix the bug',
  finalMessage: 'fixed it\n',
  changes: [
    { path: 'src/a.ts', kind: 'modified', added: 3, removed: 1 },
    { path: 'new.txt', kind: 'added' },
  ],
  changesSource: 'snapshot',
  exitCode: 0,
  startedAt: '2026-11-22T19:00:00.000Z',
  endedAt: '2026-11-22T19:01:05.400Z',
  image: 'codex-sandbox:latest',
  agent: 'codex' as const,
  agentVersion: '0.169.0',
  workdir: '/w/proj',
  runId: 'abcd1234',
  blockedEgress: null,
};

describe('exec argv and names', () => {
  it('codex exec: fixed flags, the user flags, then the prompt after --', () => {
    expect(buildHeadlessArgs('codex', '-rm everything', ['--model', 'o4'], '/codex_home/runs/r/last-message.md').args).toEqual([
      'exec',
      '--skip-git-repo-check',
      '--output-last-message',
      '/codex_home/runs/r/last-message.md',
      '--model',
      'o4',
      '--',
      '-rm everything',
    ]);
  });

  it('the last message lives in the Codex home under the run id', () => {
    expect(lastMessagePaths('abcd1234')).toEqual({
      container: '/codex_home/runs/abcd1234/last-message.md',
      relative: 'runs/abcd1234/last-message.md',
    });
    // A Codex home inside the workdir: its real path (codex does not open it through the /codex_home link).
    expect(lastMessagePaths('abcd1234', '/app/w/.codex/.environment').container).toBe(
      '/app/w/.codex/.environment/runs/abcd1234/last-message.md',
    );
  });

  it.each([
    ['2026-11-22T19:38:40.123Z', 'abcd1234', '20261122T193840Z-abcd1234'],
    ['2026-01-02T03:04:05.000Z', '00000000', '20260102T030405Z-00000000'],
  ])('reportDirName(%s, %s) = %s', (at, id, expected) => {
    expect(reportDirName(at, id)).toBe(expected);
  });

  it.each([[''], ['   '], ['-'], [undefined], [42]])('prompt %j is refused', (prompt) => {
    expect(() => validatePrompt(prompt)).toThrow(UsageError);
    expect(() => validatePrompt(prompt)).toThrow('exec needs a PROMPT');
  });

  it('run.log lines: timestamp, stream, text', () => {
    expect(formatLogLine('2026-11-22T19:00:00.000Z', 'stderr', 'hello')).toBe('2026-11-22T19:00:00.000Z stderr hello\n');
  });

  it.each([
    [0, '0 s'],
    [1499, '1 s'],
    [65400, '1 min 5 s'],
    [-5, '0 s'],
  ])('formatDuration(%d)', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('renderSummary', () => {
  it('whole document', () => {
    expect(renderSummary(OUTCOME)).toBe(
      [
        '# codex exec abcd1234',
        '',
        '- exit code: 0',
        '- duration: 1 min 5 s (2026-11-22T19:00:00.000Z to 2026-11-22T19:01:05.400Z)',
        '- workdir: /w/proj',
        '- image: codex-sandbox:latest (codex 0.169.0)',
        '',
        '## Prompt',
        '',
        '```text',
        'fix the bug',
        '```',
        '',
        '## Final message',
        '',
        '```text',
        'fixed it',
        '```',
        '',
        '## Files changed in the workdir (compared by size, modification and change time and inode)',
        '',
        '```text',
        ' src/a.ts | +3 -1',
        ' new.txt  | added',
        ' 2 files changed, 3 insertions(+), 1 deletions(-)',
        '```',
        '',
      ].join('\n'),
    );
  });

  it('repository line, no final message, a message that tries to close the fence', () => {
    const text = renderSummary({
      ...OUTCOME,
      finalMessage: 'look: ```\n# injected heading',
      repo: { url: 'https://github.com/o/r.git', ref: 'main', commit: 'abc' },
      changesSource: 'track',
      changes: [],
    });
    expect(text).toContain('- repository: https://github.com/o/r.git main at abc');
    expect(text).toContain('````text\nlook: ```\n# injected heading\n````');
    expect(text).toContain('## Files changed in the workdir (tracked with --track)');
    expect(text).toContain('(no files changed)');
    expect(renderSummary({ ...OUTCOME, finalMessage: undefined })).toContain('(the agent wrote no final message; see run.log)');
  });

  it('names the agent that ran and its version (R126)', () => {
    const text = renderSummary({ ...OUTCOME, agent: 'claude', agentVersion: '2.1.332' });
    expect(text.split('\n')[0]).toBe('# claude exec abcd1234');
    expect(text).toContain('- image: codex-sandbox:latest (claude 2.1.332)\n');
  });
});

describe('renderExitJson', () => {
  it('all fields; null for unknowns', () => {
    expect(JSON.parse(renderExitJson({ ...OUTCOME, agentVersion: undefined, exitCode: 3 }))).toEqual({
      exitCode: 3,
      startedAt: '2026-11-22T19:00:00.000Z',
      endedAt: '2026-11-22T19:01:05.400Z',
      runId: 'abcd1234',
      image: 'codex-sandbox:latest',
      agent: 'codex',
      agentVersion: null,
      codexVersion: null,
      workdir: '/w/proj',
      repo: null,
      changedFiles: 2,
      blockedEgress: null,
      credentialLeaks: [],
    });
    expect(JSON.parse(renderExitJson({ ...OUTCOME, repo: { url: 'u', ref: undefined, commit: 'c' }, blockedEgress: 4 }))).toEqual(
      expect.objectContaining({ repo: { url: 'u', ref: null, commit: 'c' }, blockedEgress: 4 }),
    );
  });
  it("codexVersion: Codex's version when Codex ran, null for another agent (R126)", () => {
    expect(JSON.parse(renderExitJson(OUTCOME))).toEqual(expect.objectContaining({ agentVersion: '0.169.0', codexVersion: '0.169.0' }));
    expect(JSON.parse(renderExitJson({ ...OUTCOME, agent: 'claude', agentVersion: '2.1.332' }))).toEqual(
      expect.objectContaining({ agent: 'claude', agentVersion: '2.1.332', codexVersion: null }),
    );
  });
});
