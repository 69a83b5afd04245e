import { isNameAllowed, parseEgressLog, parseSquidLine } from '../../scripts/core/egress/egress-log-parser.js';
import {
  aggregateEgress,
  formatEgressJsonl,
  formatEgressSummary,
  parseEgressJsonl,
  suggestAllow,
  type EgressDestination,
} from '../../scripts/core/egress/egress-summary.js';

const NOW = new Date('2025-03-10T12:00:00Z');

const DNS_LOG = [
  'Mar 10 11:59:01 dnsmasq[12]: query[A] selfcheck.codex-sandbox.invalid from 127.0.0.1',
  'Mar 10 11:59:01 dnsmasq[12]: config selfcheck.codex-sandbox.invalid is NXDOMAIN',
  'Mar 10 11:59:02 dnsmasq[12]: query[A] registry.yarnpkg.com from 127.0.0.1',
  'Mar 10 11:59:02 dnsmasq[12]: config registry.yarnpkg.com is NXDOMAIN',
  'Mar 10 11:59:03 dnsmasq[12]: config registry.yarnpkg.com is NXDOMAIN',
  'Mar 10 11:59:04 dnsmasq[12]: config pypi.org is NXDOMAIN',
  'Mar 10 11:59:05 dnsmasq[12]: forwarded db.test to 10.0.0.2',
  'Mar 10 11:59:05 dnsmasq[12]: reply db.test is 10.0.0.7',
  'Mar 10 11:59:06 dnsmasq[12]: reply missing.test is NXDOMAIN',
  'Mar 10 11:59:07 dnsmasq[12]: config EVIL\u001b[2J.test is NXDOMAIN',
  '',
].join('\n');

const PACKETS = [
  '{"timestamp":"2025-03-10T11:59:10","dvc":"x","src_ip":"172.17.0.2","dest_ip":"10.0.0.5",' +
    '"ip.protocol":6,"src_port":40000,"dest_port":5432}',
  '{"timestamp":"2025-03-10T11:59:11","dest_ip":"10.0.0.7","ip.protocol":6,"dest_port":5432}',
  '{"timestamp":"2025-03-10T11:59:12","dest_ip":"10.0.0.7","ip.protocol":6,"dest_port":5432}',
  '{"timestamp":"2025-03-10T11:59:13","dest_ip":"fd00::1","ip.protocol":17,"dest_port":53}',
  '{"timestamp":"2025-03-10T11:59:14","ip.daddr.str":"10.0.0.9","ip.protocol":1}',
  'not json',
  '{"dest_ip":"not-an-ip","dest_port":1}',
  '{"timestamp":"2025-03-10T11:59:1',
].join('\n');

// `squid TIME CLIENT LPORT METHOD HOST PORT SNI BUMP HTTP SQUID-STATUS ERROR SERVER UP DOWN` (image/lib-egress.sh)
const T = '1741607950.250';
const SQUID = {
  allowedHttp: `squid ${T} 172.26.0.7 80 GET cdn-allowed.test 80 - - 200 TCP_MISS - 172.26.0.2 80 209`,
  peek: `squid ${T} 172.26.0.7 443 CONNECT 172.26.0.2 443 cdn-allowed.test splice 0 NONE_NONE - - 0 0`,
  explicitPeek: `squid ${T} 127.0.0.1 3128 CONNECT example.org 443 example.org splice 200 NONE_NONE - - 124 0`,
  allowedTls: `squid ${T} 172.26.0.7 443 CONNECT cdn-allowed.test 443 cdn-allowed.test splice 200 TCP_TUNNEL - 172.26.0.2 723 2173`,
  refusedSni: `squid ${T} 172.26.0.7 443 CONNECT 172.26.0.2 443 cdn-evil.test terminate 0 NONE_NONE - - 0 0`,
  noSni: `squid ${T} 172.26.0.7 443 CONNECT 172.26.0.2 443 - terminate 0 NONE_NONE - - 0 0`,
  explicitNoSni: `squid ${T} 127.0.0.1 3128 CONNECT cdn-allowed.test 443 - terminate 200 NONE_NONE - - 124 0`,
  deniedHost: `squid ${T} 172.26.0.7 80 GET cdn-evil.test 80 - - 403 TCP_DENIED ERR_ACCESS_DENIED - 77 415`,
  deniedAddress: `squid ${T} 172.26.0.7 80 GET 172.26.0.3 80 - - 403 TCP_DENIED ERR_ACCESS_DENIED - 74 415`,
  conflictAllowed: `squid ${T} 172.26.0.7 443 CONNECT cdn-allowed.test 443 cdn-allowed.test - 409 NONE_NONE ERR_CONFLICT_HOST - 0 3653`,
  conflictUnlisted: `squid ${T} 172.26.0.7 80 GET x.test 80 - - 409 NONE_NONE ERR_CONFLICT_HOST - 76 453`,
  selfCheck: `squid ${T} 172.26.0.7 80 GET selfcheck.codex-sandbox.invalid 80 - - 409 NONE_NONE ERR_CONFLICT_HOST - 76 453`,
  clientGone: `squid ${T} 172.26.0.7 443 - - - - - 0 NONE_NONE - - 0 0`,
  escaped: `squid ${T} 172.26.0.7 443 CONNECT 172.26.0.2 443 evil%0A%1B%5B2J.test terminate 0 NONE_NONE - - 0 0`,
};
const AT = new Date(1741607950250).toISOString();

describe('parseEgressLog: dnsmasq lines', () => {
  it('refused names with ISO times (container clock is UTC), the self-check ignored; replies map addresses to names', () => {
    const { events } = parseEgressLog(DNS_LOG, NOW);
    const dns = { verdict: 'refused', reason: 'DNS', kind: 'dns' };
    expect(events).toEqual([
      { time: '2025-03-10T11:59:02.000Z', ...dns, name: 'registry.yarnpkg.com' },
      { time: '2025-03-10T11:59:03.000Z', ...dns, name: 'registry.yarnpkg.com' },
      { time: '2025-03-10T11:59:04.000Z', ...dns, name: 'pypi.org' },
      { time: '2025-03-10T11:59:07.000Z', ...dns, name: 'evil??2j.test' },
    ]);
    // The reply named 10.0.0.7 (a refused connection to it is named); no other address is.
    const packet = (address: string) => `{"dest_ip":"${address}","ip.protocol":6,"dest_port":5432}`;
    const named = parseEgressLog(`${DNS_LOG}${packet('10.0.0.7')}\n${packet('10.0.0.8')}\n`, NOW).events.slice(4);
    expect(named.map((event) => [event.address, event.name])).toEqual([
      ['10.0.0.7', 'db.test'],
      ['10.0.0.8', undefined],
    ]);
  });

  it('a December line read in January belongs to the previous year', () => {
    expect(
      parseEgressLog('Dec 31 23:59:59 dnsmasq[1]: config a.test is NXDOMAIN\n', new Date('2026-01-01T00:00:10Z')).events[0]?.time,
    ).toBe('2025-12-31T23:59:59.000Z');
  });
});

describe('parseEgressLog: ulogd2 lines', () => {
  it('ulogd2 JSON lines: address, port, protocol, time; broken lines skipped', () => {
    const fw = { verdict: 'refused', reason: 'address without a name', kind: 'connect' };
    expect(parseEgressLog(PACKETS, NOW).events).toEqual([
      { time: '2025-03-10T11:59:10', ...fw, address: '10.0.0.5', port: 5432, protocol: 'tcp' },
      { time: '2025-03-10T11:59:11', ...fw, address: '10.0.0.7', port: 5432, protocol: 'tcp' },
      { time: '2025-03-10T11:59:12', ...fw, address: '10.0.0.7', port: 5432, protocol: 'tcp' },
      { time: '2025-03-10T11:59:13', ...fw, address: 'fd00::1', port: 53, protocol: 'udp' },
      { time: '2025-03-10T11:59:14', ...fw, address: '10.0.0.9', protocol: 'icmp' },
    ]);
  });
});

describe('parseSquidLine: the name check of 80/443 (R90, R92)', () => {
  it.each([
    [
      'admitted HTTP, with bytes',
      SQUID.allowedHttp,
      { verdict: 'allowed', kind: 'http', name: 'cdn-allowed.test', address: '172.26.0.2', port: 80, bytesUp: 80, bytesDown: 209 },
    ],
    [
      'admitted TLS (spliced), named by its SNI',
      SQUID.allowedTls,
      { verdict: 'allowed', kind: 'tls', name: 'cdn-allowed.test', address: '172.26.0.2', port: 443, bytesUp: 723, bytesDown: 2173 },
    ],
    [
      'TLS with a name that is not allowed',
      SQUID.refusedSni,
      { verdict: 'refused', reason: 'name not allowed', kind: 'tls', name: 'cdn-evil.test', port: 443 },
    ],
    [
      'TLS without a name (intercepted: the address)',
      SQUID.noSni,
      { verdict: 'refused', reason: 'TLS without a name', kind: 'tls', address: '172.26.0.2', port: 443 },
    ],
    [
      'TLS without a name (CONNECT: its host)',
      SQUID.explicitNoSni,
      { verdict: 'refused', reason: 'TLS without a name', kind: 'tls', name: 'cdn-allowed.test', port: 443 },
    ],
    [
      'HTTP Host not allowed',
      SQUID.deniedHost,
      { verdict: 'refused', reason: 'name not allowed', kind: 'http', name: 'cdn-evil.test', port: 80 },
    ],
    [
      'HTTP to a bare address',
      SQUID.deniedAddress,
      { verdict: 'refused', reason: 'address without a name', kind: 'http', address: '172.26.0.3', port: 80 },
    ],
    [
      '409: the name does not resolve to the address',
      SQUID.conflictAllowed,
      { verdict: 'refused', reason: 'name does not match', kind: 'tls', name: 'cdn-allowed.test', port: 443 },
    ],
    [
      'names from inside are escaped data',
      SQUID.escaped,
      { verdict: 'refused', reason: 'name not allowed', kind: 'tls', name: 'evil???2j.test', port: 443 },
    ],
  ])('%s', (_label, line, expected) => {
    expect(parseSquidLine(line)).toEqual({ time: AT, ...expected });
  });

  it('the TLS peek, a client that left before a request and the self-check are no decision', () => {
    for (const line of [SQUID.peek, SQUID.explicitPeek, SQUID.clientGone, SQUID.selfCheck, 'squid short line', 'other text'])
      expect(parseSquidLine(line)).toBeUndefined();
  });
});

describe('parseEgressLog: the capped log of a run', () => {
  const policy = '#allow api.openai.com cdn-allowed.test *.lab.test\n#deny bad.lab.test\n#upstream proxy.test\n';

  it('a 409 for a name the policy does not allow is "name not allowed", for an allowed one "name does not match"', () => {
    const { events } = parseEgressLog(`${policy}${SQUID.conflictAllowed}\n${SQUID.conflictUnlisted}\n`, NOW);
    expect(events.map((e) => [e.name, e.reason])).toEqual([
      ['cdn-allowed.test', 'name does not match'],
      ['x.test', 'name not allowed'],
    ]);
  });

  it('without a logged policy, a 409 for a name the DNS filter refused is "name not allowed"', () => {
    const dns = 'Mar 10 11:59:02 dnsmasq[12]: config x.test is NXDOMAIN\n';
    expect(parseEgressLog(`${dns}${SQUID.conflictUnlisted}\n${SQUID.conflictAllowed}\n`, NOW).events.map((e) => e.reason)).toEqual([
      'DNS',
      'name not allowed',
      'name does not match',
    ]);
  });

  it('firewall refusals are named from the DNS answers, except the upstream proxy (never to be allowed for the agent)', () => {
    const replies = 'Mar 10 11:59:05 dnsmasq[12]: reply db.test is 10.0.0.7\nMar 10 11:59:05 dnsmasq[12]: reply proxy.test is 10.0.0.8\n';
    const packets = '{"dest_ip":"10.0.0.7","ip.protocol":6,"dest_port":5432}\n{"dest_ip":"10.0.0.8","ip.protocol":6,"dest_port":3128}\n';
    const { events } = parseEgressLog(`${policy}${replies}${packets}`, NOW);
    expect(events).toEqual([
      {
        time: undefined,
        verdict: 'refused',
        reason: 'name not allowed',
        kind: 'connect',
        name: 'db.test',
        address: '10.0.0.7',
        port: 5432,
        protocol: 'tcp',
      },
      {
        time: undefined,
        verdict: 'refused',
        reason: 'address without a name',
        kind: 'connect',
        address: '10.0.0.8',
        port: 3128,
        protocol: 'tcp',
      },
    ]);
  });

  it('counts what the sandbox left out: "#dropped" lines and dnsmasq\'s lost entries add up', () => {
    const text = `${policy}#dropped 5\n${SQUID.allowedHttp}\n#dropped 7\nMar 10 11:59:02 dnsmasq[12]: 3 log entries lost\n`;
    expect(parseEgressLog(text, NOW)).toEqual({ events: [parseSquidLine(SQUID.allowedHttp)], dropped: 15 });
  });

  it.each([
    ['api.openai.com', true],
    ['sub.api.openai.com', false],
    ['a.lab.test', true],
    ['lab.test', false],
    ['bad.lab.test', false],
    ['x.bad.lab.test', false],
    ['lab.test.evil.test', false],
  ])("isNameAllowed(%s) = %s, the DNS filter's rules", (name, allowed) => {
    expect(isNameAllowed(name, ['api.openai.com', '*.lab.test'], ['bad.lab.test'])).toBe(allowed);
  });
});

describe('aggregate, summary, suggestions', () => {
  const dns = parseEgressLog(DNS_LOG, NOW);
  const parsed = parseEgressLog(`${DNS_LOG}\n${PACKETS}\n`, NOW);
  const destinations = aggregateEgress(parsed.events);
  const fw = { verdict: 'refused', kind: 'connect' } as const;

  it('one entry per destination and decision with count and first/last time, refusals first, most frequent first', () => {
    expect(dns.events).toHaveLength(4);
    expect(destinations).toEqual([
      {
        time: '2025-03-10T11:59:02.000Z',
        lastTime: '2025-03-10T11:59:03.000Z',
        verdict: 'refused',
        reason: 'DNS',
        kind: 'dns',
        name: 'registry.yarnpkg.com',
        count: 2,
      },
      {
        time: '2025-03-10T11:59:11',
        lastTime: '2025-03-10T11:59:12',
        ...fw,
        reason: 'name not allowed',
        name: 'db.test',
        address: '10.0.0.7',
        port: 5432,
        protocol: 'tcp',
        count: 2,
      },
      {
        time: '2025-03-10T11:59:04.000Z',
        lastTime: '2025-03-10T11:59:04.000Z',
        verdict: 'refused',
        reason: 'DNS',
        kind: 'dns',
        name: 'pypi.org',
        count: 1,
      },
      {
        time: '2025-03-10T11:59:07.000Z',
        lastTime: '2025-03-10T11:59:07.000Z',
        verdict: 'refused',
        reason: 'DNS',
        kind: 'dns',
        name: 'evil??2j.test',
        count: 1,
      },
      {
        time: '2025-03-10T11:59:10',
        lastTime: '2025-03-10T11:59:10',
        ...fw,
        reason: 'address without a name',
        address: '10.0.0.5',
        port: 5432,
        protocol: 'tcp',
        count: 1,
      },
      {
        time: '2025-03-10T11:59:13',
        lastTime: '2025-03-10T11:59:13',
        ...fw,
        reason: 'address without a name',
        address: 'fd00::1',
        port: 53,
        protocol: 'udp',
        count: 1,
      },
      {
        time: '2025-03-10T11:59:14',
        lastTime: '2025-03-10T11:59:14',
        ...fw,
        reason: 'address without a name',
        address: '10.0.0.9',
        protocol: 'icmp',
        count: 1,
      },
    ]);
  });

  it('allowed connections add up their bytes and stay after the refusals', () => {
    const again = `squid 1741607951.000 172.26.0.7 80 GET cdn-allowed.test 80 - - 200 TCP_MISS - 172.26.0.2 20 1000`;
    const events = parseEgressLog(`${SQUID.allowedHttp}\n${SQUID.deniedHost}\n${again}\n`, NOW).events;
    expect(aggregateEgress(events)).toEqual([
      { time: AT, lastTime: AT, verdict: 'refused', reason: 'name not allowed', kind: 'http', name: 'cdn-evil.test', port: 80, count: 1 },
      {
        time: AT,
        lastTime: '2025-03-10T11:59:11.000Z',
        verdict: 'allowed',
        kind: 'http',
        name: 'cdn-allowed.test',
        address: '172.26.0.2',
        port: 80,
        bytesUp: 100,
        bytesDown: 1209,
        count: 2,
      },
    ]);
  });

  it('one-line summary: refusals, one per name with reasons; --allow name (name:port on another port), none for IPs/unsafe names', () => {
    expect(formatEgressSummary({ destinations, dropped: 0 })).toBe(
      'refused 7 destinations: registry.yarnpkg.com (2×, DNS) · db.test:5432 (2×, name not allowed) · pypi.org (1×, DNS)' +
        ' · evil??2j.test (1×, DNS) · 10.0.0.5:5432 (1×, address without a name)' +
        ' · [fd00::1]:53/udp (1×, address without a name) · 10.0.0.9/icmp (1×, address without a name)' +
        // R145: names the agent's tools looked up first, then in order of appearance.
        ' — allow with: --allow registry.yarnpkg.com --allow pypi.org --allow db.test:5432',
    );
  });

  it('R167 a name allowed live later in the run is marked so and never suggested; one allowed, then denied or expired, is', () => {
    const refused = (name: string) => ({ verdict: 'refused' as const, reason: 'DNS' as const, kind: 'dns' as const, name, count: 1 });
    const destinations = [refused('pypi.org'), refused('a.files.test'), refused('gone.test'), refused('other.test')];
    const changes = [
      { time: '2026-12-06T10:00:01.000Z', action: 'allow' as const, pattern: 'pypi.org', by: 'alice' },
      { time: '2026-12-06T10:00:02.000Z', action: 'allow' as const, pattern: '*.files.test' },
      { time: '2026-12-06T10:00:03.000Z', action: 'allow' as const, pattern: 'gone.test' },
      { time: '2026-12-06T10:00:09.000Z', action: 'expire' as const, pattern: 'gone.test' },
    ];
    expect(formatEgressSummary({ destinations, dropped: 0, changes })).toBe(
      'refused 4 destinations: pypi.org (1×, DNS, then allowed live) · a.files.test (1×, DNS, then allowed live) · ' +
        'gone.test (1×, DNS) · other.test (1×, DNS) — allow with: --allow gone.test --allow other.test',
    );
  });

  it('a name refused by DNS and by the name check is one entry; admitted connections are never listed as refused', () => {
    const events = parseEgressLog(
      `Mar 10 11:59:02 dnsmasq[12]: config cdn-evil.test is NXDOMAIN\n${SQUID.deniedHost}\n${SQUID.refusedSni}\n${SQUID.allowedTls}\n`,
      NOW,
    ).events;
    expect(formatEgressSummary({ destinations: aggregateEgress(events), dropped: 0 })).toBe(
      'refused 1 destination: cdn-evil.test (3×, DNS, name not allowed) — allow with: --allow cdn-evil.test',
    );
    expect(
      formatEgressSummary({ destinations: aggregateEgress(parseEgressLog(SQUID.allowedTls, NOW).events), dropped: 0 }),
    ).toBeUndefined();
  });

  it.each([
    [{ verdict: 'refused', reason: 'DNS', kind: 'dns', name: 'a.test', count: 1 }, 'a.test'],
    [{ verdict: 'refused', reason: 'name not allowed', kind: 'tls', name: 'a.test', port: 443, count: 1 }, 'a.test'],
    [{ verdict: 'refused', reason: 'name not allowed', kind: 'http', name: 'a.test', port: 80, count: 1 }, 'a.test'],
    [{ verdict: 'refused', reason: 'name does not match', kind: 'tls', name: 'a.test', port: 443, count: 1 }, undefined],
    [{ verdict: 'refused', reason: 'TLS without a name', kind: 'tls', name: 'a.test', port: 443, count: 1 }, undefined],
    [{ verdict: 'allowed', kind: 'tls', name: 'a.test', port: 443, count: 1 }, undefined],
    [
      {
        verdict: 'refused',
        reason: 'name not allowed',
        kind: 'connect',
        name: 'a.test',
        address: '10.0.0.1',
        port: 443,
        protocol: 'tcp',
        count: 1,
      },
      undefined,
    ],
    [
      {
        verdict: 'refused',
        reason: 'name not allowed',
        kind: 'connect',
        name: 'a.test',
        address: '10.0.0.1',
        port: 22,
        protocol: 'tcp',
        count: 1,
      },
      'a.test:22',
    ],
    [
      {
        verdict: 'refused',
        reason: 'name not allowed',
        kind: 'connect',
        name: 'a.test',
        address: '10.0.0.1',
        port: 53,
        protocol: 'udp',
        count: 1,
      },
      undefined,
    ],
    [
      { verdict: 'refused', reason: 'address without a name', kind: 'connect', address: '10.0.0.1', port: 22, protocol: 'tcp', count: 1 },
      undefined,
    ],
  ] as Array<[EgressDestination, string | undefined]>)('suggestAllow %#', (destination, expected) => {
    expect(suggestAllow(destination)).toBe(expected);
  });

  it('nothing refused: no summary (unless lines were left out); one destination: singular; more than 8: the rest counted', () => {
    expect(formatEgressSummary({ destinations: [], dropped: 0 })).toBeUndefined();
    expect(formatEgressSummary({ destinations: [], dropped: 4 })).toBe(
      'egress: no refusal logged, but 4 events were not recorded (see egress)',
    );
    const one: EgressDestination = {
      verdict: 'refused',
      reason: 'address without a name',
      kind: 'connect',
      address: '10.0.0.5',
      port: 5432,
      protocol: 'tcp',
      count: 1,
    };
    expect(formatEgressSummary({ destinations: [one], dropped: 0 })).toBe(
      'refused 1 destination: 10.0.0.5:5432 (1×, address without a name)',
    );
    expect(formatEgressSummary({ destinations: [one], dropped: 2 })).toBe(
      'refused 1 destination: 10.0.0.5:5432 (1×, address without a name) (+2 events not recorded)',
    );
    const many = Array.from({ length: 10 }, (_, i) => ({
      verdict: 'refused' as const,
      reason: 'DNS' as const,
      kind: 'dns' as const,
      name: `n${i}.test`,
      count: 1,
    }));
    const summary = formatEgressSummary({ destinations: many, dropped: 0 });
    expect(summary).toContain('n7.test (1×, DNS) · 2 more — allow with: --allow n0.test');
    expect(summary).toMatch(/--allow n2\.test …$/); // at most 3 (R145)
    expect(summary).not.toContain('n8.test');
  });

  it('the summary stays one short line however many names were refused', () => {
    const flood = Array.from({ length: 100_000 }, (_, i) => ({
      verdict: 'refused' as const,
      reason: 'DNS' as const,
      kind: 'dns' as const,
      name: `name-${i}.flood.test`,
      count: 1,
    }));
    const summary = formatEgressSummary({ destinations: flood, dropped: 0 }) ?? '';
    expect(summary.length).toBeLessThan(1000);
    expect(summary).toContain('99992 more — allow with: --allow name-0.flood.test');
    expect(summary).not.toContain('\n');
  });

  it('jsonl round trip (with the dropped count); forged or broken lines counted and never trusted', () => {
    const text = formatEgressJsonl({ destinations, dropped: 3 });
    expect(text.split('\n')).toHaveLength(destinations.length + 2);
    expect(parseEgressJsonl(text)).toEqual({ destinations, dropped: 3, badLines: 0 });
    const forged =
      `${text}{"kind":"dns","count":0,"name":"x"}\nnope\n` +
      '{"kind":"dns","verdict":"maybe","count":1,"name":"x"}\n{"kind":"dns","count":1,"name":"\\u001b[31mred"}\n';
    const parsed = parseEgressJsonl(forged);
    expect(parsed.badLines).toBe(3);
    expect(parsed.destinations[parsed.destinations.length - 1]).toEqual({
      verdict: 'refused',
      reason: 'DNS',
      kind: 'dns',
      count: 1,
      name: '??31mred',
      time: undefined,
      lastTime: undefined,
    });
  });
});
