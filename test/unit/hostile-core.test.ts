import { renderDiffForTerminal } from '../../scripts/core/track/diff-view.js';
import { LineCutter } from '../../scripts/core/run/exec-report.js';
import { encodeMountPath, formatMountIds } from '../../scripts/core/run/mount-ids.js';
import { parseGitFile, planProtectedGit } from '../../scripts/core/track/protect-git-plan.js';
import { escapeTerminalLines, escapeTerminalText } from '../../scripts/core/terminal-text.js';
import { EMPTY_TRUST_STORE, parseTrustStore, recordTrust, trustStateOf } from '../../scripts/core/trust.js';

/** The pure parts of the defences against hostile project trees (REQUIREMENTS.md R100–R111). */

describe('R100 escapeTerminalText / escapeTerminalLines', () => {
  it.each([
    ['plain name.txt', 'plain name.txt'],
    ['a\nb', 'a\\x0ab'],
    ['tab\there', 'tab\\x09here'],
    ['\u001b]0;pwned\u0007', '\\x1b]0;pwned\\x07'],
    ['\u001b]52;c;ZXZpbA==\u0007', '\\x1b]52;c;ZXZpbA==\\x07'],
    ['del\u007f c1\u009b', 'del\\x7f c1\\x9b'],
    ['bidi \u202etxt.exe\u2066', 'bidi \\u{202e}txt.exe\\u{2066}'],
    ['ünïcödé 名前', 'ünïcödé 名前'],
    ['back\\slash "quote"', 'back\\slash "quote"'],
  ])('%j -> %j', (input, expected) => {
    expect(escapeTerminalText(input)).toBe(expected);
  });

  it('multi-line text keeps newlines and tabs, escapes the rest', () => {
    expect(escapeTerminalLines('line 1\n\tline 2\r\n\u001b[2Jgone')).toBe('line 1\n\tline 2\\x0d\n\\x1b[2Jgone');
  });

  it('no output of either ever holds a control character', () => {
    const every = Array.from({ length: 0xa0 }, (_, code) => String.fromCharCode(code)).join('');
    expect(escapeTerminalText(every)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(escapeTerminalLines(every)).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });
});

describe('R103 mount identities for the entrypoint', () => {
  it('targets are escaped exactly like /proc/self/mountinfo (space, tab, newline, backslash)', () => {
    expect(encodeMountPath('/app/a b\tc\nd\\e,f"g')).toBe('/app/a\\040b\\011c\\012d\\134e,f"g');
  });

  it('one line per mount in mount order; a source not created yet is 0:0 (never matches)', () => {
    const mounts = [
      { source: '/w', target: '/app/w', readonly: false },
      { source: '/h/auth.json', target: '/app/w/.codex/.environment/auth.json', readonly: true },
      { source: '/state/e', target: '/var/lib/codex-sandbox/private/egress', readonly: false },
    ];
    const ids = new Map([
      ['/app/w', { dev: '2049', ino: '12', kind: 'dir' as const }],
      ['/app/w/.codex/.environment/auth.json', { dev: '2049', ino: '18446744073709551615', kind: 'file' as const }],
    ]);
    expect(formatMountIds(mounts, ids)).toBe(
      [
        '2049:12 d /app/w',
        '2049:18446744073709551615 f /app/w/.codex/.environment/auth.json',
        '0:0 d /var/lib/codex-sandbox/private/egress',
      ].join('\n'),
    );
  });
});

describe('R105 --protect-git plan', () => {
  it('parseGitFile: the gitdir of a worktree/submodule .git file, nothing else', () => {
    expect(parseGitFile('gitdir: ../.git/modules/sub\n')).toBe('../.git/modules/sub');
    expect(parseGitFile('gitdir: /abs/x\r\n')).toBe('/abs/x');
    expect(parseGitFile('not a git file')).toBeUndefined();
    expect(parseGitFile('gitdir: \n')).toBeUndefined();
  });

  it('every .git read-only, gitdirs inside a workdir too (not when a protected .git covers them), parents pinned', () => {
    const plan = planProtectedGit(
      ['/w', '/lib'],
      ['/w/.git', '/w/vendor/lib/.git', '/w/sub/.git', '/lib/.git'],
      ['/w/.git/modules/sub', '/w/gitdirs/feature', '/elsewhere/.git/worktrees/x'],
    );
    expect(plan).toEqual({
      readOnly: ['/lib/.git', '/w/.git', '/w/gitdirs/feature', '/w/sub/.git', '/w/vendor/lib/.git'],
      pinned: ['/w/gitdirs', '/w/sub', '/w/vendor', '/w/vendor/lib'],
    });
  });

  it('a workdir with only its own .git needs no pins', () => {
    expect(planProtectedGit(['/w'], ['/w/.git'], [])).toEqual({ readOnly: ['/w/.git'], pinned: [] });
  });
});

describe('R104 trust covers what the paths resolve to', () => {
  const file = '/w/.codex/sandbox.ini';
  const sha = 'a'.repeat(64);
  const store = recordTrust(EMPTY_TRUST_STORE, file, {
    sha256: sha,
    approvedAt: 't',
    policy: ['mounts read_only: data'],
    resolved: ['mounts read_only data -> /w/data'],
  });

  it('same bytes and same resolution: trusted; another resolution: changed', () => {
    expect(trustStateOf(store, file, sha, ['mounts read_only data -> /w/data'])).toBe('trusted');
    expect(trustStateOf(store, file, sha, ['mounts read_only data -> /w/elsewhere'])).toBe('changed');
    expect(trustStateOf(store, file, sha, [])).toBe('changed');
  });

  it('an approval from before (no resolution recorded) still trusts a file without paths, not one with paths', () => {
    const old = recordTrust(EMPTY_TRUST_STORE, file, { sha256: sha, approvedAt: 't', policy: [] });
    expect(trustStateOf(old, file, sha)).toBe('trusted');
    expect(trustStateOf(old, file, sha, ['run init_script x -> /w/x'])).toBe('changed');
  });

  it('the store round-trips the resolution and refuses a malformed one', () => {
    expect(parseTrustStore(JSON.stringify(store), 'f')).toEqual(store);
    const bad = { version: 1, files: { [file]: { sha256: sha, approvedAt: 't', policy: [], resolved: [1] } } };
    expect(() => parseTrustStore(JSON.stringify(bad), 'f')).toThrow('is damaged');
  });
});

describe('R106 diff for a terminal', () => {
  const patch = 'diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new \u001b]0;pwned\u0007\n';

  it('escapes what the agent wrote; colours come from us', () => {
    const shown = renderDiffForTerminal(patch, true);
    expect(shown).not.toContain('\u0007');
    expect(shown).toContain('+new \\x1b]0;pwned\\x07');
    expect(shown).toContain('\u001b[32m+new');
    expect(renderDiffForTerminal(patch, false)).toBe(patch.replace('\u001b]0;pwned\u0007', '\\x1b]0;pwned\\x07'));
  });
});

describe('R108 LineCutter: exec output lines are bounded', () => {
  it('splits across chunks and keeps short lines whole', () => {
    const cutter = new LineCutter(10);
    expect(cutter.push('ab')).toEqual([]);
    expect(cutter.push('c\nde\n')).toEqual(['abc', 'de']);
    expect(cutter.end()).toBeUndefined();
  });

  it('a huge line without a newline is kept to max characters (the rest only counted)', () => {
    const cutter = new LineCutter(8);
    for (let chunk = 0; chunk < 1000; chunk += 1) expect(cutter.push('x'.repeat(1000))).toEqual([]);
    expect(cutter.push('\nnext')).toEqual(['xxxxxxxx [codex-sandbox: line cut, 999992 more characters left out]']);
    expect(cutter.end()).toBe('next');
  });
});

describe('R100 list output', () => {
  it('labels and paths from docker are shown escaped in the table and the names list', async () => {
    const { renderRecords } = await import('../../scripts/core/session/session-list.js');
    const record = {
      name: 'dev\u001b]0;x\u0007',
      container: 'codex-session-dev',
      status: 'running',
      workdir: '/w/a\nb',
      workdirs: ['/w/a\nb'],
      image: 'codex-sandbox:latest',
      created: '2026-01-01',
      runId: 'r1',
      mounts: '',
      agent: 'claude',
      agentVersion: '2.1\u001b[2J',
    };
    const table = renderRecords([record] as never, 'table');
    expect(table.split('\n')).toHaveLength(3);
    expect(table).toContain('/w/a\\x0ab');
    expect(table).toContain('claude 2.1\\x1b[2J');
    expect(table).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(renderRecords([record] as never, 'names')).toBe('dev\\x1b]0;x\\x07\n');
  });
});

describe('R103 R97 R132 R34 R150 R160 R167 the image must speak entrypoint contract 8', () => {
  it('an image older than the live policy (or earlier contracts) is outdated; unlabelled: foreign', async () => {
    const { classifyImageContract, IMAGE_CONTRACT } = await import('../../scripts/core/run/container-identity.js');
    expect(IMAGE_CONTRACT).toBe(8);
    expect(classifyImageContract({ 'codex-sandbox.entrypoint': '8' })).toBe('current');
    // An image of contract 7 has no sandbox-policy: `allow` on a running sandbox could not work.
    expect(classifyImageContract({ 'codex-sandbox.entrypoint': '7' })).toBe('outdated');
    // An image of contract 6 would send the agent's placeholders out unreplaced.
    expect(classifyImageContract({ 'codex-sandbox.entrypoint': '6' })).toBe('outdated');
    expect(classifyImageContract({ 'codex-sandbox.entrypoint': '5' })).toBe('outdated');
    expect(classifyImageContract({ 'codex-sandbox.entrypoint': '4' })).toBe('outdated');
    expect(classifyImageContract({ 'codex-sandbox.entrypoint': '3' })).toBe('outdated');
    expect(classifyImageContract({ 'codex-sandbox.entrypoint': '2' })).toBe('outdated');
    expect(classifyImageContract({ 'codex-sandbox.entrypoint': '1' })).toBe('outdated');
    expect(classifyImageContract({})).toBe('foreign');
  });
});
