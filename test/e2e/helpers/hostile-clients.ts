/**
 * Clients that send any bytes an agent could put in a name, for the name-validation tests
 * (R150): node scripts written into a workdir and run inside the sandbox as the agent.
 * Each prints one line: what came back.
 */

/**
 * A function `hello(sni: Buffer): Buffer`, a minimal TLS 1.2 ClientHello naming exactly those bytes (ECDSA and RSA
 * suites: the inspection's certificates are ECDSA).
 */
const HELLO_FUNCTION = String.raw`function hello(sni) {
const u16 = (n) => Buffer.from([n >> 8, n & 255]);
const ext = (type, body) => Buffer.concat([u16(type), u16(body.length), body]);
const exts = Buffer.concat([
  ext(0, Buffer.concat([u16(sni.length + 3), Buffer.from([0]), u16(sni.length), sni])),
  ext(10, Buffer.concat([u16(4), u16(0x001d), u16(0x0017)])),
  ext(13, Buffer.concat([u16(4), u16(0x0403), u16(0x0804)])),
]);
const body = Buffer.concat([u16(0x0303), Buffer.alloc(32, 7), Buffer.from([0]), u16(6), u16(0xc02b), u16(0xc02f), u16(0x1301),
  Buffer.from([1, 0]), u16(exts.length), exts]);
const hs = Buffer.concat([Buffer.from([1, 0, body.length >> 8, body.length & 255]), body]);
return Buffer.concat([Buffer.from([22, 3, 1]), u16(hs.length), hs]);
}
`;

/** `node hello.js ADDR PORT JSON-STRING`: a raw TLS ClientHello whose server name is exactly those bytes (latin1). */
export const HELLO_JS = String.raw`const net = require('net');
${HELLO_FUNCTION}
const [host, port, json] = process.argv.slice(2);
const s = net.connect(Number(port), host, () => s.write(hello(Buffer.from(JSON.parse(json), 'latin1'))));
let got = 0;
s.on('data', (d) => { got += d.length; });
const done = (how) => { console.log(how + ' ' + got); process.exit(0); };
s.on('error', () => done('reset'));
s.on('close', () => done('closed'));
setTimeout(() => done('open'), 3000);
`;

/** `node raw.js ADDR PORT JSON-STRING`: sends those bytes (latin1) and prints the first line of the answer. */
export const RAW_JS = String.raw`const net = require('net');
const [host, port, json] = process.argv.slice(2);
const s = net.connect(Number(port), host, () => s.write(Buffer.from(JSON.parse(json), 'latin1')));
let text = '';
s.on('data', (d) => { text += d.toString('latin1'); });
const done = () => { console.log(JSON.stringify(text.split('\r\n')[0] || '')); process.exit(0); };
s.on('error', done);
s.on('close', done);
setTimeout(done, 3000);
`;

/**
 * `node connect.js JSON-STRING`: `CONNECT <name>:443` to the sandbox's proxy port, then (whatever
 * the answer) a ClientHello for the allowed `ok.example.net`; prints the answer's first line and
 * how many bytes came after it (a spliced tunnel would bring the server's hello).
 */
export const CONNECT_JS = String.raw`const net = require('net');
${HELLO_FUNCTION}
const name = JSON.parse(process.argv[2]);
const request = 'CONNECT ' + name + ':443 HTTP/1.1\r\nHost: ' + name + ':443\r\n\r\n';
const s = net.connect(3128, '127.0.0.1', () => s.write(Buffer.from(request, 'latin1')));
let head = Buffer.alloc(0), after = 0, sent = false;
s.on('data', (d) => {
  if (sent) { after += d.length; return; }
  head = Buffer.concat([head, d]);
  const end = head.indexOf('\r\n\r\n');
  if (end < 0) return;
  after += head.length - end - 4; sent = true;
  s.write(hello(Buffer.from('ok.example.net')));
});
const done = () => { console.log(JSON.stringify(head.toString('latin1').split('\r\n')[0]) + ' ' + after); process.exit(0); };
s.on('error', done);
s.on('close', done);
setTimeout(done, 3000);
`;

/**
 * `node dns.js JSON-STRING [PORT]`: one A query for that name (labels split on '.', bytes latin1)
 * to 127.0.0.1:PORT (default 53); prints the rcode, or `timeout`.
 */
export const DNS_JS = String.raw`const dgram = require('dgram');
const name = Buffer.from(JSON.parse(process.argv[2]), 'latin1');
const labels = [];
let start = 0;
for (let i = 0; i <= name.length; i += 1) {
  if (i === name.length || name[i] === 0x2e) { labels.push(name.subarray(start, i)); start = i + 1; }
}
const q = Buffer.concat([Buffer.from([0x43, 0x53, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
  ...labels.flatMap((l) => [Buffer.from([l.length]), l]), Buffer.from([0, 0, 1, 0, 1])]);
const s = dgram.createSocket('udp4');
s.on('message', (m) => { console.log('rcode ' + (m[3] & 15)); process.exit(0); });
s.on('error', (e) => { console.log('error ' + e.code); process.exit(0); });
s.send(q, Number(process.argv[3] || 53), '127.0.0.1');
setTimeout(() => { console.log('timeout'); process.exit(0); }, 3000);
`;

/**
 * Name forms no rule may see (R150): CR, LF, blanks, ':', '@', NUL, '%'-escapes and an
 * over-long label, each ending in a name the allowlist covers (`*.example.net`) and naming
 * a host it does not (`blocked.lab.test`).
 */
export const MALFORMED_NAMES: readonly string[] = [
  'blocked.lab.test:443 HTTP/1.1\r\nX: s.example.net',
  'blocked.lab.test:22 HTTP/1.1\r\nX: s.example.net',
  'blocked.lab.test\n.example.net',
  'blocked.lab.test\r.example.net',
  'blocked.lab.test s.example.net',
  'blocked.lab.test\t.example.net',
  'blocked.lab.test:22.example.net',
  'blocked.lab.test@s.example.net',
  'blocked.lab.test%3a22.example.net',
  'blocked.lab.test%0d%0a.example.net',
  'blocked.lab.test\u0000.example.net',
  `${'a'.repeat(64)}.example.net`,
  `${'a.'.repeat(127)}example.net`,
];
