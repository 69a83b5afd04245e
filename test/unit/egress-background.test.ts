import { formatEgressJsonl, parseEgressJsonl } from '../../scripts/core/egress/egress-jsonl.js';
import { formatEgressSummary, type EgressDestination } from '../../scripts/core/egress/egress-summary.js';
import { describeBackgroundNote } from '../../scripts/core/egress/egress-text.js';

const refused = (name: string, count: number, time: string): EgressDestination => ({
  verdict: 'refused',
  reason: 'name not allowed',
  kind: 'tls',
  name,
  port: 443,
  count,
  time,
});

const BACKGROUND = { 'api.github.com': "Codex's update check", 'ab.chatgpt.com': "Codex's usage metrics" };
const record = {
  destinations: [
    refused('api.github.com', 6, '2026-12-06T10:00:01Z'),
    refused('ab.chatgpt.com', 4, '2026-12-06T10:00:02Z'),
    refused('pypi.org', 2, '2026-12-06T10:00:03Z'),
  ],
  dropped: 0,
};

describe("the agent's background hosts: why, not needed, never suggested", () => {
  test('the end-of-run line', () => {
    expect(formatEgressSummary(record, BACKGROUND)).toBe(
      "refused 3 destinations: api.github.com (Codex's update check — not needed) · " +
        "ab.chatgpt.com (Codex's usage metrics — not needed) · pypi.org (2×, name not allowed) — allow with: --allow pypi.org",
    );
    expect(formatEgressSummary(record)).toBe(
      'refused 3 destinations: api.github.com (6×, name not allowed) · ab.chatgpt.com (4×, name not allowed) · ' +
        'pypi.org (2×, name not allowed) — allow with: --allow api.github.com --allow ab.chatgpt.com --allow pypi.org',
    );
  });

  test('only background hosts refused: no --allow at all', () => {
    expect(formatEgressSummary({ destinations: [refused('api.github.com', 1, '2026-12-06T10:00:01Z')], dropped: 0 }, BACKGROUND)).toBe(
      "refused 1 destination: api.github.com (Codex's update check — not needed)",
    );
  });

  test('a name is matched as an own key only (never Object.prototype)', () => {
    expect(formatEgressSummary({ destinations: [refused('constructor', 1, '2026-12-06T10:00:01Z')], dropped: 0 }, BACKGROUND)).toBe(
      'refused 1 destination: constructor (1×, name not allowed) — allow with: --allow constructor',
    );
  });

  test("egress's detail lines: the note after a refused background host only", () => {
    expect(describeBackgroundNote(refused('api.github.com', 1, ''), BACKGROUND)).toBe(" (Codex's update check — not needed)");
    expect(describeBackgroundNote({ ...refused('api.github.com', 1, ''), verdict: 'allowed' }, BACKGROUND)).toBe('');
    expect(describeBackgroundNote(refused('pypi.org', 1, ''), BACKGROUND)).toBe('');
  });

  test("a record keeps its run's agent; a forged or unknown one is ignored (R199)", () => {
    const record = { destinations: [refused('api.github.com', 2, '')], dropped: 0, agent: 'codex' as const };
    const text = formatEgressJsonl(record);
    expect(text.split('\n')[0]).toBe('{"agent":"codex"}');
    expect(parseEgressJsonl(text).agent).toBe('codex');
    expect(parseEgressJsonl('{"agent":"nosuch"}\n').agent).toBeUndefined();
    expect(parseEgressJsonl('{"agent":"nosuch"}\n').badLines).toBe(1);
  });
});
