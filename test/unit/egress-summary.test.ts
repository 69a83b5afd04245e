import {
  aggregateEgress,
  formatEgressJsonl,
  formatEgressSummary,
  parseDnsLog,
  parseEgressJsonl,
  parsePacketLog,
  suggestAllow,
  type EgressDestination,
} from '../../scripts/core/egress-summary.js';

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
  '{"timestamp":"2025-03-10T11:59:10","dvc":"x","src_ip":"172.17.0.2","dest_ip":"10.0.0.5","ip.protocol":6,"src_port":40000,"dest_port":5432}',
  '{"timestamp":"2025-03-10T11:59:11","dest_ip":"10.0.0.7","ip.protocol":6,"dest_port":5432}',
  '{"timestamp":"2025-03-10T11:59:12","dest_ip":"10.0.0.7","ip.protocol":6,"dest_port":5432}',
  '{"timestamp":"2025-03-10T11:59:13","dest_ip":"fd00::1","ip.protocol":17,"dest_port":53}',
  '{"timestamp":"2025-03-10T11:59:14","ip.daddr.str":"10.0.0.9","ip.protocol":1}',
  'not json',
  '{"dest_ip":"not-an-ip","dest_port":1}',
  '{"timestamp":"2025-03-10T11:59:1',
].join('\n');

describe('parseDnsLog', () => {
  it('refused names with ISO times (container clock is UTC), the self-check ignored; replies map addresses to names', () => {
    const { events, names } = parseDnsLog(DNS_LOG, NOW);
    expect(events).toEqual([
      { time: '2025-03-10T11:59:02.000Z', kind: 'dns', name: 'registry.yarnpkg.com' },
      { time: '2025-03-10T11:59:03.000Z', kind: 'dns', name: 'registry.yarnpkg.com' },
      { time: '2025-03-10T11:59:04.000Z', kind: 'dns', name: 'pypi.org' },
      { time: '2025-03-10T11:59:07.000Z', kind: 'dns', name: 'evil??2j.test' },
    ]);
    expect([...names]).toEqual([['10.0.0.7', 'db.test']]);
  });

  it('a December line read in January belongs to the previous year', () => {
    expect(parseDnsLog('Dec 31 23:59:59 dnsmasq[1]: config a.test is NXDOMAIN\n', new Date('2026-01-01T00:00:10Z')).events[0]?.time).toBe('2025-12-31T23:59:59.000Z');
  });
});

describe('parsePacketLog', () => {
  it('ulogd2 JSON lines: address, port, protocol, time; broken lines skipped', () => {
    expect(parsePacketLog(PACKETS)).toEqual([
      { time: '2025-03-10T11:59:10', kind: 'connect', address: '10.0.0.5', port: 5432, protocol: 'tcp' },
      { time: '2025-03-10T11:59:11', kind: 'connect', address: '10.0.0.7', port: 5432, protocol: 'tcp' },
      { time: '2025-03-10T11:59:12', kind: 'connect', address: '10.0.0.7', port: 5432, protocol: 'tcp' },
      { time: '2025-03-10T11:59:13', kind: 'connect', address: 'fd00::1', port: 53, protocol: 'udp' },
      { time: '2025-03-10T11:59:14', kind: 'connect', address: '10.0.0.9', port: undefined, protocol: 'icmp' },
    ]);
  });
});

describe('aggregate, summary, suggestions', () => {
  const dns = parseDnsLog(DNS_LOG, NOW);
  const destinations = aggregateEgress([...dns.events, ...parsePacketLog(PACKETS)], dns.names);

  it('one entry per destination with count and first/last time, most frequent first', () => {
    expect(destinations).toEqual([
      { time: '2025-03-10T11:59:02.000Z', lastTime: '2025-03-10T11:59:03.000Z', kind: 'dns', name: 'registry.yarnpkg.com', count: 2 },
      { time: '2025-03-10T11:59:11', lastTime: '2025-03-10T11:59:12', kind: 'connect', name: 'db.test', address: '10.0.0.7', port: 5432, protocol: 'tcp', count: 2 },
      { time: '2025-03-10T11:59:04.000Z', lastTime: '2025-03-10T11:59:04.000Z', kind: 'dns', name: 'pypi.org', count: 1 },
      { time: '2025-03-10T11:59:07.000Z', lastTime: '2025-03-10T11:59:07.000Z', kind: 'dns', name: 'evil??2j.test', count: 1 },
      { time: '2025-03-10T11:59:10', lastTime: '2025-03-10T11:59:10', kind: 'connect', address: '10.0.0.5', port: 5432, protocol: 'tcp', count: 1 },
      { time: '2025-03-10T11:59:13', lastTime: '2025-03-10T11:59:13', kind: 'connect', address: 'fd00::1', port: 53, protocol: 'udp', count: 1 },
      { time: '2025-03-10T11:59:14', lastTime: '2025-03-10T11:59:14', kind: 'connect', address: '10.0.0.9', protocol: 'icmp', count: 1 },
    ]);
  });

  it('the one-line summary: names get --allow, a known name on another port gets name:port, bare IPs and unsafe names nothing', () => {
    expect(formatEgressSummary(destinations)).toBe(
      'blocked 7 destinations: registry.yarnpkg.com (2×) · db.test:5432 (2×) · pypi.org (1×) · evil??2j.test (1×) · 10.0.0.5:5432 (1×) · [fd00::1]:53/udp (1×) · 10.0.0.9/icmp (1×)' +
        ' — allow with: --allow registry.yarnpkg.com --allow db.test:5432 --allow pypi.org',
    );
  });

  it.each([
    [{ kind: 'dns', name: 'a.test', count: 1 }, 'a.test'],
    [{ kind: 'connect', name: 'a.test', address: '10.0.0.1', port: 443, protocol: 'tcp', count: 1 }, undefined],
    [{ kind: 'connect', name: 'a.test', address: '10.0.0.1', port: 22, protocol: 'tcp', count: 1 }, 'a.test:22'],
    [{ kind: 'connect', name: 'a.test', address: '10.0.0.1', port: 53, protocol: 'udp', count: 1 }, undefined],
    [{ kind: 'connect', address: '10.0.0.1', port: 22, protocol: 'tcp', count: 1 }, undefined],
  ] as Array<[EgressDestination, string | undefined]>)('suggestAllow %#', (destination, expected) => {
    expect(suggestAllow(destination)).toBe(expected);
  });

  it('nothing blocked: no summary; one destination: singular; more than 8: the rest counted', () => {
    expect(formatEgressSummary([])).toBeUndefined();
    expect(formatEgressSummary([{ kind: 'connect', address: '10.0.0.5', port: 5432, protocol: 'tcp', count: 1 }])).toBe('blocked 1 destination: 10.0.0.5:5432 (1×)');
    const many = Array.from({ length: 10 }, (_, i) => ({ kind: 'dns' as const, name: `n${i}.test`, count: 1 }));
    expect(formatEgressSummary(many)).toContain('n7.test (1×) · 2 more — allow with: --allow n0.test');
  });

  it('jsonl round trip; forged or broken lines counted and never trusted', () => {
    const text = formatEgressJsonl(destinations);
    expect(text.split('\n')).toHaveLength(destinations.length + 1);
    expect(parseEgressJsonl(text)).toEqual({ destinations, badLines: 0 });
    const forged = `${text}{"kind":"dns","count":0,"name":"x"}\nnope\n{"kind":"dns","count":1,"name":"\\u001b[31mred"}\n`;
    const parsed = parseEgressJsonl(forged);
    expect(parsed.badLines).toBe(2);
    expect(parsed.destinations[parsed.destinations.length - 1]).toEqual({ kind: 'dns', count: 1, name: '??31mred', time: undefined, lastTime: undefined });
  });
});
