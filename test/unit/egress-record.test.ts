import { EGRESS_REASONS, parseEgressLog } from '../../scripts/core/egress/egress-log-parser.js';
import { dnsdistNameBytes, escapeMalformedName, sanitizeMalformedName, urlEscapedBytes } from '../../scripts/core/egress/egress-names.js';
import {
  aggregateEgress,
  formatEgressJsonl,
  formatEgressSummary,
  parseEgressJsonl,
  shortenLabel,
  type EgressDestination,
} from '../../scripts/core/egress/egress-summary.js';

/** The egress record against a hostile agent: aggregation, counts, malformed names, the short line (R140-R147). */
const NOW = new Date('2025-03-10T12:00:00Z');
const T = '1741607950.250';
const denied = (host: string, time = T) => `squid ${time} 172.26.0.7 80 GET ${host} 80 - - 403 TCP_DENIED ERR_ACCESS_DENIED - 77 415 -`;
const allowed = (up: number, down: number) => `squid ${T} 172.26.0.7 80 GET web.test 80 - - 200 TCP_MISS - 172.26.0.2 ${up} ${down} -`;

describe("the capper's aggregated lines (R140, R143)", () => {
  it('"#repeat N<TAB>line" stands for N more events of that line\'s key; bytes of allowed connections add up', () => {
    const log = [
      denied('flood.test'),
      `#repeat 318824\t${denied('flood.test', '1741607970.000')}`,
      allowed(10, 20),
      `#repeat 2\t${allowed(5, 7)}`,
      'Mar 10 11:59:02 dnsmasq[12]: config refused.test is NXDOMAIN',
      '#repeat 4\tMar 10 11:59:09 dnsmasq[12]: config refused.test is NXDOMAIN',
      '{"timestamp":"2025-03-10T11:59:10","dest_ip":"10.0.0.5","ip.protocol":6,"dest_port":2222}',
      '#repeat 299\t{"timestamp":"2025-03-10T11:59:11","dest_ip":"10.0.0.5","ip.protocol":6,"dest_port":2222}',
      '#repeat 0\tMar 10 11:59:09 dnsmasq[12]: config zero.test is NXDOMAIN',
      '',
    ].join('\n');
    const destinations = aggregateEgress(parseEgressLog(log, NOW).events);
    const find = (name: string | undefined, verdict = 'refused') =>
      destinations.find((d) => (d.name ?? d.address) === name && d.verdict === verdict);
    expect(find('flood.test')).toMatchObject({ count: 318825, reason: 'name not allowed', lastTime: '2025-03-10T11:59:30.000Z' });
    expect(find('web.test', 'allowed')).toMatchObject({ count: 3, bytesUp: 15, bytesDown: 27 });
    expect(find('refused.test')).toMatchObject({
      count: 5,
      reason: 'DNS',
      time: '2025-03-10T11:59:02.000Z',
      lastTime: '2025-03-10T11:59:09.000Z',
    });
    expect(find('10.0.0.5')).toMatchObject({ count: 300, port: 2222 });
    expect(find('zero.test')).toBeUndefined();
  });

  it("every count of what was not recorded adds up: budgets (#dropped), the kernel's log limit (#unlogged), dnsmasq's buffer", () => {
    const log = ['#dropped 94971', '#unlogged 180', 'Mar 10 11:59:02 dnsmasq[12]: 17 log entries lost', '#unlogged x', '#dropped 1'].join(
      '\n',
    );
    expect(parseEgressLog(log, NOW).dropped).toBe(94971 + 180 + 17 + 1);
  });
});

describe('malformed names (R147)', () => {
  it('is a reason of its own', () => {
    expect(EGRESS_REASONS).toContain('malformed name');
  });

  it('dnsdist\'s "Packet from" lines: kind dns, the name escaped (dnsdist \\DDD, \\., \\\\ decoded, then as \\xHH)', () => {
    const log = [
      'Packet from 127.0.0.1:39636 for a\\032b.example.net. A with id 13330',
      '#repeat 3\tPacket from 127.0.0.1:1 for a\\032b.example.net. A with id 7',
    ];
    const [d] = aggregateEgress(parseEgressLog(log.join('\n'), NOW).events);
    expect(d).toMatchObject({ verdict: 'refused', reason: 'malformed name', kind: 'dns', name: 'a\\x20b.example.net', count: 4 });
    expect(dnsdistNameBytes('x\\.y\\\\z.')).toEqual([...Buffer.from('x.y\\z')]);
  });

  it('Squid\'s 16th field "malformed": the SNI (else the Host) raw, escaped; never an --allow suggestion', () => {
    const http = `squid ${T} 172.26.0.7 80 GET a%20b%1B[x.test 80 - - 403 TCP_DENIED ERR_ACCESS_DENIED - 77 415 malformed`;
    const tls = `squid ${T} 172.26.0.7 443 CONNECT 172.26.0.2 443 bad_name%00.test terminate 0 NONE_NONE - - 0 0 malformed`;
    const destinations = aggregateEgress(parseEgressLog(`${http}\n${tls}\n`, NOW).events);
    expect(destinations.map((d) => [d.kind, d.reason, d.name])).toEqual([
      ['http', 'malformed name', 'a\\x20b\\x1b\\x5bx.test'],
      ['tls', 'malformed name', 'bad\\x5fname\\x00.test'],
    ]);
    const summary = formatEgressSummary({ destinations, dropped: 0 }) ?? '';
    expect(summary).not.toContain('--allow');
    expect(summary).not.toContain('\u001b');
  });

  it('bounded: at most 120 characters and an ellipsis; read back from a record only in that alphabet', () => {
    const long = escapeMalformedName([...Buffer.from('\u0001'.repeat(500))]);
    expect(long).toHaveLength(121);
    expect(long.endsWith('…')).toBe(true);
    expect(urlEscapedBytes('%zz%41')).toEqual([...Buffer.from('%zzA')]);
    expect(sanitizeMalformedName('a\u001b[31m\\x20')).toBe('a??31m\\x20');
    const record: EgressDestination = { verdict: 'refused', reason: 'malformed name', kind: 'dns', name: long, count: 1 };
    expect(parseEgressJsonl(formatEgressJsonl({ destinations: [record], dropped: 0 })).destinations[0]?.name).toBe(long);
  });
});

describe('the end-of-run line stays short (R145)', () => {
  const refusedName = (name: string, kind: 'dns' | 'http', time: string, count = 1): EgressDestination => ({
    verdict: 'refused',
    reason: kind === 'dns' ? 'DNS' : 'name not allowed',
    kind,
    name,
    ...(kind === 'http' ? { port: 80 } : {}),
    count,
    time,
  });

  it('253-character names are shortened with an ellipsis; under 1,000 characters with every reason and a huge drop count', () => {
    const label = (i: number) => `${String(i).padStart(3, '0')}${'x'.repeat(240)}.flood.test`.slice(0, 253);
    const destinations = Array.from({ length: 5000 }, (_, i) => ({
      ...refusedName(label(i), 'http', `2025-03-10T11:00:${String(i % 60).padStart(2, '0')}Z`, 1_000_000),
      reason: 'name does not match' as const,
    }));
    const summary = formatEgressSummary({ destinations, dropped: 123_456_789_012 }) ?? '';
    expect(summary.length).toBeLessThan(1000);
    expect(summary).toContain('…');
    expect(summary).toMatch(/ · \d+ more/);
    expect(summary).toMatch(/\(\+123456789012 events not recorded\)$/);
    expect(shortenLabel('a'.repeat(253))).toHaveLength(48);
  });

  it("at most 3 suggestions: names the agent's tools looked up (a DNS refusal) first, in order of first appearance, not count", () => {
    const destinations = [
      ...Array.from({ length: 8 }, (_, i) => refusedName(`host-flood-${i}.test`, 'http', `2025-03-10T11:00:0${i}Z`, 100_000)),
      refusedName('late-tool.test', 'dns', '2025-03-10T11:30:00Z'),
      refusedName('early-tool.test', 'dns', '2025-03-10T11:20:00Z'),
      // Squid looks up the Host names it refuses: a flood name has a DNS refusal too.
      refusedName('host-flood-0.test', 'dns', '2025-03-10T11:00:00Z'),
    ];
    const summary = formatEgressSummary({ destinations: aggregateEgress(destinations), dropped: 0 }) ?? '';
    expect(summary).toMatch(/ — allow with: --allow early-tool\.test --allow late-tool\.test --allow host-flood-0\.test …$/);
    expect(summary.match(/--allow /g)).toHaveLength(3);
  });

  it('a name too long for the line is listed, not suggested (egress shows it)', () => {
    const long = `${'a'.repeat(70)}.test`;
    const summary = formatEgressSummary({ destinations: [refusedName(long, 'dns', '2025-03-10T11:00:00Z')], dropped: 0 }) ?? '';
    expect(summary).toBe(`refused 1 destination: ${shortenLabel(long)} (1×, DNS) — allow with: …`.replace(' — allow with: …', ''));
  });
});
