import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseEgressLog } from '../../scripts/core/egress/egress-log-parser.js';
import { listCredentialLeaks, parseRequestLine } from '../../scripts/core/egress/egress-requests.js';
import { aggregateEgress, formatEgressJsonl, formatEgressSummary, parseEgressJsonl } from '../../scripts/core/egress/egress-summary.js';

/** Requests inside inspected traffic in the record (R162, R166): parsed, aggregated, kept, summarised. */
const NOW = new Date('2026-12-06T12:00:00Z');
const req = (fields: string) => `req 1796558400.250 ${fields}`;

describe('a request line of the TLS inspection', () => {
  it('reads every field, %XX-unescaped, the path sanitized', () => {
    expect(parseRequestLine(req('POST api.test /v1/responses%0A%1B 200 512 2048 OPENAI_API_KEY -'))).toEqual({
      time: '2026-12-06T12:00:00.250Z',
      verdict: 'allowed',
      kind: 'request',
      name: 'api.test',
      method: 'POST',
      path: '/v1/responses??',
      status: 200,
      credential: 'OPENAI_API_KEY',
      bytesUp: 512,
      bytesDown: 2048,
    });
  });

  it('the inspection refusals are refusals with their reason; an upstream failure is not', () => {
    const reason = (r: string) => parseRequestLine(req(`GET cdn.test /x 403 0 0 - ${r}`));
    expect(reason('credential%20sent%20to%20cdn.test')).toMatchObject({ verdict: 'refused', reason: 'credential sent' });
    expect(reason('name%20does%20not%20match')).toMatchObject({ verdict: 'refused', reason: 'name does not match' });
    expect(reason('rule')).toMatchObject({ verdict: 'refused', reason: 'rule' });
    expect(reason('read-only%20web')).toMatchObject({ verdict: 'refused', reason: 'read-only web' });
    expect(reason('upstream%20certificate%20not%20trusted')).toMatchObject({
      verdict: 'refused',
      reason: 'upstream certificate not trusted',
    });
    expect(reason('upstream:%20connection%20refused')).toMatchObject({ verdict: 'allowed' });
  });

  it('anything else is not a request', () => {
    for (const line of ['req 1 GET', 'req 1 GET a /b 200 1 2 - - extra', 'squid 1 GET a /b 200 1 2 - -', req('GET - /x 200 0 0 - -')]) {
      expect(parseRequestLine(line)).toBeUndefined();
    }
  });
});

describe('requests in the record', () => {
  const log = [
    req('GET api.test /a 200 10 100 - -'),
    `#repeat 4\t${req('GET api.test /a 200 20 200 - -')}`,
    req('POST cdn.test /leak 403 33 0 TEST_TOKEN credential%20sent%20to%20cdn.test'),
    req('GET cdn.test / 421 0 0 - name%20does%20not%20match'),
    '',
  ].join('\n');
  const destinations = aggregateEgress(parseEgressLog(log, NOW).events);

  it('aggregates the same request, bytes summed', () => {
    expect(destinations.find((d) => d.path === '/a')).toMatchObject({ count: 5, bytesUp: 30, bytesDown: 300, status: 200 });
  });

  it('names a leak in the end-of-run line, with the credential and the host', () => {
    const line = formatEgressSummary({ destinations, dropped: 0 }) ?? '';
    expect(line).toContain('credential TEST_TOKEN sent to cdn.test (1×, credential sent)');
    expect(line).toContain('cdn.test (1×, name does not match)');
    expect(line).not.toContain('--allow');
  });

  it('lists the leaks for exit.json', () => {
    expect(listCredentialLeaks(destinations)).toEqual([{ credential: 'TEST_TOKEN', host: 'cdn.test', count: 1 }]);
  });

  it('survives the JSONL store, every field checked', () => {
    const back = parseEgressJsonl(formatEgressJsonl({ destinations, dropped: 0 }));
    expect(back).toEqual({ destinations, dropped: 0, badLines: 0 });
    const forged =
      '{"verdict":"allowed","kind":"request","name":"x.test","count":1,"method":"G\\u001bET","path":"/\\u001b[2J","status":99999}';
    expect(parseEgressJsonl(forged).destinations[0]).toMatchObject({ method: 'GET', path: '/?[2J' });
    expect(parseEgressJsonl(forged).destinations[0]?.status).toBeUndefined();
  });
});

describe('the capper keeps request lines in their own share (R141, R166)', () => {
  const awk = path.resolve('image/egress-capper.awk');
  const run = (input: string) => execFileSync('mawk', ['-W', 'interactive', '-v', 'cap=16000', '-f', awk], { input, encoding: 'utf8' });

  it('aggregates repeats of one request with summed bytes; refusals go to the denials', () => {
    const same = Array.from({ length: 5 }, () => req('GET api.test /a 200 10 100 - -')).join('\n');
    const out = run(`${same}\n${req('GET cdn.test /x 403 1 0 T credential%20sent%20to%20cdn.test')}\n`);
    expect(out).toContain(req('GET api.test /a 200 10 100 - -'));
    expect(out).toContain(`#repeat 4\treq 1796558400.250 GET api.test /a 200 40 400 - -`);
    expect(out).toContain('credential%20sent%20to%20cdn.test');
  });

  it('a flood of distinct requests stays within its share and is counted', () => {
    const flood = Array.from({ length: 3000 }, (_, i) => req(`GET api.test /p${i} 200 1 1 - -`)).join('\n');
    const out = run(`${flood}\n`);
    expect(out.length).toBeLessThan(16000 * (3 / 16) + 200);
    expect(out).toMatch(/#dropped \d+/);
  });
});
