import { parseEgressLog, parseSquidLine } from '../../scripts/core/egress/egress-log-parser.js';
import { aggregateEgress, shortenLabel } from '../../scripts/core/egress/egress-summary.js';
import { escapeMalformedName } from '../../scripts/core/egress/egress-names.js';

/**
 * What the record makes of connections admitted on extra ports (R151) and of names no rule
 * may see (R150): the firewall's `codex-allowed` packets, the entrypoint's `#conn` byte
 * counts, Squid's unparsable URIs and dnsdist's own probe.
 */
const NOW = new Date('2026-12-06T08:00:00Z');
const ADMITTED =
  '{"timestamp": "2026-12-06T07:53:24.241065", "oob.prefix": "codex-allowed", "ip.protocol": 6, ' +
  '"src_ip": "172.18.0.6", "dest_ip": "172.18.0.2", "src_port": 40702, "dest_port": 8443}';
const REPLY = 'Dec  6 07:53:24 dnsmasq[97]: reply a.x.net is 172.18.0.2';

describe('connections on extra ports (R151)', () => {
  test('an admitted connection is allowed, named from the DNS answers, never a refusal', () => {
    expect(parseEgressLog(`${REPLY}\n${ADMITTED}\n`, NOW).events).toEqual([
      {
        time: '2026-12-06T07:53:24.241065',
        verdict: 'allowed',
        kind: 'connect',
        name: 'a.x.net',
        address: '172.18.0.2',
        port: 8443,
        protocol: 'tcp',
      },
    ]);
  });

  test('#conn lines add bytes to that destination, not to its count', () => {
    const text = `${REPLY}\n${ADMITTED}\n${ADMITTED}\n#conn 172.18.0.2 8443 340 5400\n#conn 172.18.0.2 8443 60 600\n`;
    expect(aggregateEgress(parseEgressLog(text, NOW).events)).toEqual([
      expect.objectContaining({ verdict: 'allowed', name: 'a.x.net', port: 8443, count: 2, bytesUp: 400, bytesDown: 6000 }),
    ]);
  });

  test('bytes alone still make one connection; a #conn line that is not one is ignored', () => {
    const text = '#conn 172.18.0.2 8443 1 2\n#conn not-an-ip 22 1 2\n#conn 172.18.0.2 8443 x 2\n#conn 172.18.0.2 8443 1 2 3\n';
    expect(aggregateEgress(parseEgressLog(text, NOW).events)).toEqual([
      expect.objectContaining({ verdict: 'allowed', kind: 'connect', address: '172.18.0.2', count: 1, bytesUp: 1, bytesDown: 2 }),
    ]);
  });
});

describe('names no rule may see (R150)', () => {
  const T = '1796543645.966';
  test('a URI Squid cannot parse is a refusal for a malformed name, escaped', () => {
    expect(parseSquidLine(`squid ${T} 172.18.0.6 80 GET - - - - 400 NONE_NONE ERR_INVALID_URL - 0 3000 -`)).toEqual(
      expect.objectContaining({ verdict: 'refused', reason: 'malformed name', kind: 'http', name: '?' }),
    );
    expect(parseSquidLine(`squid ${T} 172.18.0.6 80 GET a%25b%0D.test 80 - - 400 NONE_NONE ERR_INVALID_DOMAIN - 0 3000 -`)).toEqual(
      expect.objectContaining({ reason: 'malformed name', name: 'a\\x25b\\x0d.test' }),
    );
  });

  test('a CONNECT to a malformed target names that target, not the valid server name sent after it', () => {
    const line = `squid ${T} 127.0.0.1 3128 CONNECT a%20b.test 443 ok.example.net terminate 200 NONE_NONE - - 0 0 malformed`;
    expect(parseSquidLine(line)).toEqual(expect.objectContaining({ reason: 'malformed name', name: 'a\\x20b.test' }));
  });

  test('a tunnel refused although its server name is allowed is no name to allow: "name does not match"', () => {
    const text = [
      '#allow *.example.net',
      `squid ${T} 127.0.0.1 3128 CONNECT blocked.test 443 ok.example.net terminate 200 NONE_NONE - - 0 0 -`,
      `squid ${T} 127.0.0.1 3128 CONNECT other.test 443 other.test terminate 200 NONE_NONE - - 0 0 -`,
    ].join('\n');
    expect(parseEgressLog(text, NOW).events.map((e) => [e.name, e.reason])).toEqual([
      ['ok.example.net', 'name does not match'],
      ['other.test', 'name not allowed'],
    ]);
  });

  test("dnsdist's line for the entrypoint's own malformed probe is not the agent's", () => {
    const probe = 'Packet from 127.0.0.1:40000 for bad\\032name.codex-sandbox.invalid. A with id 17235';
    const agent = 'Packet from 127.0.0.1:40001 for a\\032b.example.net. A with id 1';
    expect(parseEgressLog(`${probe}\n${agent}\n`, NOW).events).toEqual([
      expect.objectContaining({ verdict: 'refused', reason: 'malformed name', kind: 'dns', name: 'a\\x20b.example.net' }),
    ]);
  });
});

describe('shortened labels keep escapes whole (R145, R147)', () => {
  test('no cut falls inside a \\xHH escape, wherever it lands', () => {
    const name = escapeMalformedName([...Buffer.from('blocked.lab.test:22 HTTP/1.1\r\nX: s.example.net', 'latin1')]);
    for (let max = 30; max < name.length; max += 1) {
      const short = shortenLabel(name, max);
      expect(short.replace(/\\x[0-9a-f]{2}/g, '')).not.toMatch(/\\/);
      expect(short.length).toBeLessThanOrEqual(max);
    }
  });
});
