import { formatPolicyChange, parsePolicyLine, readPolicyChange } from '../../scripts/core/egress/egress-changes.js';
import { parseEgressLog } from '../../scripts/core/egress/egress-log-parser.js';
import { EGRESS_SCHEMA_VERSION, eventToSchemaLine, formatSchemaLines, toSchemaLines } from '../../scripts/core/egress/egress-schema.js';
import { aggregateEgress, formatEgressJsonl, parseEgressJsonl, type EgressRecord } from '../../scripts/core/egress/egress-summary.js';
import { formatLiveEvent } from '../../scripts/core/egress/egress-text.js';

/** The record's stable form, schema v1 (R170), and the live policy's `#policy` lines in it. */
const NOW = new Date('2025-03-10T12:00:00Z');
const T = '1741607950.250';
const DENIED = `squid ${T} 172.26.0.7 80 GET denied.test 80 - - 403 TCP_DENIED ERR_ACCESS_DENIED - 77 415 -`;
const ALLOWED = `squid ${T} 172.26.0.7 80 GET web.test 80 - - 200 TCP_MISS - 172.26.0.2 10 20 -`;
const NXDOMAIN = 'Mar 10 11:59:02 dnsmasq[12]: config refused.test is NXDOMAIN';
const REQUEST = 'req 1741607955.5 POST api.test /v1/x 200 100 2000 OPENAI_API_KEY -';

describe('#policy lines (R170)', () => {
  it('a well-formed line is a change: times as ISO UTC, `-` left out', () => {
    expect(parsePolicyLine('#policy 1741607951.123 allow pypi.org alice 1741608551')).toEqual({
      time: '2025-03-10T11:59:11.123Z',
      action: 'allow',
      pattern: 'pypi.org',
      by: 'alice',
      until: '2025-03-10T12:09:11.000Z',
    });
    expect(parsePolicyLine('#policy 1741607952.000 deny *.evil.test - -')).toEqual({
      time: '2025-03-10T11:59:12.000Z',
      action: 'deny',
      pattern: '*.evil.test',
    });
    expect(parsePolicyLine('#policy 1741607953.001 expire a.test root -')).toEqual({
      time: '2025-03-10T11:59:13.001Z',
      action: 'expire',
      pattern: 'a.test',
      by: 'root',
    });
  });

  it.each([
    '#policy 1741607951 allow pypi.org alice -', // no millis
    '#policy 1741607951.12 allow pypi.org alice -',
    '#policy 1741607951.123 grant pypi.org alice -',
    '#policy 1741607951.123 allow PyPI.org alice -',
    '#policy 1741607951.123 allow pypi.org\u001b[2J alice -',
    '#policy 1741607951.123 allow a..b alice -',
    '#policy 1741607951.123 allow a.*.b alice -',
    '#policy 1741607951.123 allow *. alice -',
    '#policy 1741607951.123 allow pypi.org al/ice -',
    `#policy 1741607951.123 allow pypi.org ${'a'.repeat(33)} -`,
    '#policy 1741607951.123 allow pypi.org alice soon',
    '#policy 1741607951.123 allow pypi.org alice - extra',
    '#policy 1741607951.123  allow pypi.org alice -',
    '#policy 999999999999.000 allow pypi.org alice -', // past year 9999
    ' #policy 1741607951.123 allow pypi.org alice -',
    '#policy 1741607951.123 allow pypi.org alice -\r',
  ])('%j is ignored', (line) => {
    expect(parsePolicyLine(line)).toBeUndefined();
    // …and counted nowhere: no event, nothing dropped, no change.
    expect(parseEgressLog(line, NOW)).toEqual({ events: [], dropped: 0 });
  });

  it('in a log: kept in order next to the events, never an event; a repeated one is not a change', () => {
    const log = [
      '#policy 1741607951.123 allow pypi.org alice 1741608551',
      DENIED,
      '#policy 1741607952.000 deny *.evil.test - -',
      '#repeat 3\t#policy 1741607953.000 allow forged.test agent -',
    ].join('\n');
    const parsed = parseEgressLog(log, NOW);
    expect(parsed.events.map((e) => e.name)).toEqual(['denied.test']);
    expect(parsed.changes).toEqual([
      { time: '2025-03-10T11:59:11.123Z', action: 'allow', pattern: 'pypi.org', by: 'alice', until: '2025-03-10T12:09:11.000Z' },
      { time: '2025-03-10T11:59:12.000Z', action: 'deny', pattern: '*.evil.test' },
    ]);
  });

  it('human form: `policy  HH:MM:SS  action pattern by user (until HH:MM:SS)` in UTC', () => {
    expect(
      formatPolicyChange({
        time: '2025-03-10T14:02:11.000Z',
        action: 'allow',
        pattern: 'pypi.org',
        by: 'alice',
        until: '2025-03-10T14:12:11Z',
      }),
    ).toBe('policy  14:02:11  allow pypi.org by alice (until 14:12:11)');
    expect(formatPolicyChange({ time: '2025-03-10T14:02:11.000Z', action: 'expire', pattern: '*.a.test' })).toBe(
      'policy  14:02:11  expire *.a.test',
    );
  });
});

describe('schema v1 lines (R170)', () => {
  const record = (): EgressRecord => {
    const parsed = parseEgressLog([DENIED, ALLOWED, NXDOMAIN, REQUEST, '#policy 1741607951.123 allow pypi.org alice -'].join('\n'), NOW);
    return { destinations: aggregateEgress(parsed.events), dropped: 7, ...(parsed.changes ? { changes: parsed.changes } : {}) };
  };

  it('one object per destination, policy change and the dropped count; fixed names, nothing null', () => {
    expect(EGRESS_SCHEMA_VERSION).toBe(1);
    const lines = toSchemaLines(record(), 'abcd1234');
    expect(lines).toEqual([
      {
        v: 1,
        runId: 'abcd1234',
        kind: 'dns',
        verdict: 'refused',
        time: '2025-03-10T11:59:02.000Z',
        lastTime: '2025-03-10T11:59:02.000Z',
        count: 1,
        name: 'refused.test',
        reason: 'DNS',
      },
      {
        v: 1,
        runId: 'abcd1234',
        kind: 'http',
        verdict: 'refused',
        time: '2025-03-10T11:59:10.250Z',
        lastTime: '2025-03-10T11:59:10.250Z',
        count: 1,
        name: 'denied.test',
        port: 80,
        reason: 'name not allowed',
      },
      {
        v: 1,
        runId: 'abcd1234',
        kind: 'http',
        verdict: 'allowed',
        time: '2025-03-10T11:59:10.250Z',
        lastTime: '2025-03-10T11:59:10.250Z',
        count: 1,
        name: 'web.test',
        address: '172.26.0.2',
        port: 80,
        bytesUp: 10,
        bytesDown: 20,
      },
      {
        v: 1,
        runId: 'abcd1234',
        kind: 'request',
        verdict: 'allowed',
        time: '2025-03-10T11:59:15.500Z',
        lastTime: '2025-03-10T11:59:15.500Z',
        count: 1,
        name: 'api.test',
        bytesUp: 100,
        bytesDown: 2000,
        method: 'POST',
        path: '/v1/x',
        status: 200,
        credential: 'OPENAI_API_KEY',
      },
      { v: 1, runId: 'abcd1234', kind: 'policy', time: '2025-03-10T11:59:11.123Z', action: 'allow', pattern: 'pypi.org', by: 'alice' },
      { v: 1, runId: 'abcd1234', kind: 'dropped', count: 7 },
    ]);
    // The field order is the schema's too: v, runId, kind, verdict first.
    expect(formatSchemaLines(lines).split('\n')[0]).toMatch(/^\{"v":1,"runId":"abcd1234","kind":"dns","verdict":"refused","time":/);
    expect(formatSchemaLines(lines)).not.toContain('null');
  });

  it('no dropped line when nothing was dropped; an event carries its repeat count (1 when single)', () => {
    expect(toSchemaLines({ destinations: [], dropped: 0 }, 'abcd1234')).toEqual([]);
    const [event] = parseEgressLog(`#repeat 5\t${NXDOMAIN}`, NOW).events;
    expect(eventToSchemaLine(event!, 'r1')).toEqual({
      v: 1,
      runId: 'r1',
      kind: 'dns',
      verdict: 'refused',
      time: '2025-03-10T11:59:02.000Z',
      count: 5,
      name: 'refused.test',
      reason: 'DNS',
    });
    expect(formatLiveEvent(event!)).toBe('11:59:02  refused  dns      refused.test — DNS (5×)');
    const [allowed] = parseEgressLog(ALLOWED, NOW).events;
    expect(eventToSchemaLine(allowed!, 'r1').count).toBe(1);
    expect(formatLiveEvent(allowed!)).toBe('11:59:10  allowed  http     web.test:80 (172.26.0.2) — up 10 B, down 20 B');
  });
});

describe('the stored record keeps the changes (R146, R170)', () => {
  it('round trip: destinations, changes and the dropped count come back equal', () => {
    const parsed = parseEgressLog(
      [DENIED, ALLOWED, '#policy 1741607951.123 allow pypi.org alice 1741608551', '#policy 1741607952.000 deny *.evil.test - -'].join('\n'),
      NOW,
    );
    const record: EgressRecord = { destinations: aggregateEgress(parsed.events), dropped: 3, changes: parsed.changes! };
    expect(parseEgressJsonl(formatEgressJsonl(record))).toEqual({ ...record, badLines: 0 });
    // A record without changes reads back without the key (as before).
    expect(parseEgressJsonl(formatEgressJsonl({ destinations: record.destinations, dropped: 0 }))).toEqual({
      destinations: record.destinations,
      dropped: 0,
      badLines: 0,
    });
  });

  it.each([
    { kind: 'policy', time: 'yesterday', action: 'allow', pattern: 'a.test' },
    { kind: 'policy', time: '2025-03-10T11:59:11.123Z', action: 'grant', pattern: 'a.test' },
    { kind: 'policy', time: '2025-03-10T11:59:11.123Z', action: 'allow', pattern: 'a.test\u001b[2J' },
    { kind: 'policy', time: '2025-03-10T11:59:11.123Z', action: 'allow', pattern: 'A.test' },
    { kind: 'policy', time: '2025-03-10T11:59:11.123Z', action: 'allow', pattern: 'a.test', by: 'bad user' },
    { kind: 'policy', time: '2025-03-10T11:59:11.123Z', action: 'allow', pattern: 'a.test', by: '-' },
    { kind: 'policy', time: '2025-03-10T11:59:11.123Z', action: 'allow', pattern: 'a.test', by: null },
    { kind: 'policy', time: '2025-03-10T11:59:11.123Z', action: 'allow', pattern: 'a.test', until: 1741608551 },
    { kind: 'policy', time: '2025-13-40T11:59:11.123Z', action: 'allow', pattern: 'a.test' },
    { kind: 'policy', action: 'allow', pattern: 'a.test' },
  ])('a forged change %j is a bad line, not a change', (line) => {
    expect(parseEgressJsonl(`${JSON.stringify(line)}\n`)).toEqual({ destinations: [], dropped: 0, badLines: 1 });
    expect(() => readPolicyChange(line as Record<string, unknown>)).toThrow();
  });

  it('a budget too small for everything counts what was left out as dropped', () => {
    const changes = [{ time: '2025-03-10T11:59:11.123Z', action: 'allow' as const, pattern: 'a.test' }];
    expect(parseEgressJsonl(formatEgressJsonl({ destinations: [], dropped: 0, changes }, 60))).toEqual({
      destinations: [],
      dropped: 1,
      badLines: 0,
    });
  });
});
