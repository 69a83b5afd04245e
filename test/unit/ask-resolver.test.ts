import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * image/ask-resolver.py (--ask, R172), run with the host's python3 against a fake dnsmasq on
 * a loopback port: which NXDOMAIN answers are held, how long, and what comes back.
 */
const SCRIPT = String.raw`
import asyncio, importlib.util, json, os, sys, tempfile, time
spec = importlib.util.spec_from_file_location("ask", sys.argv[1])
ask = importlib.util.module_from_spec(spec); spec.loader.exec_module(ask)
tmp = tempfile.mkdtemp()
ask.PENDING = tmp + "/pending"; os.mkdir(ask.PENDING)
ask.DECIDED = tmp + "/decided.list"
os.environ["SANDBOX_ALLOWED_DOMAINS"] = "real.test *.wild.test"
os.environ["SANDBOX_DENIED_DOMAINS"] = "bad.test"
os.environ["SANDBOX_ALLOWED_PORTS"] = "db.test:5432"

def query(name):
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    return b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + q + b"\x00\x01\x00\x01"

class Fake(asyncio.DatagramProtocol):  # dnsmasq: NXDOMAIN, except names in ALLOWED (NOERROR)
    allowed = set()
    def connection_made(self, t): self.t = t
    def datagram_received(self, data, addr):
        rcode = 0 if ask.qname(data) in Fake.allowed else 3
        self.t.sendto(data[:2] + bytes([0x81, 0x80 | rcode]) + data[4:], addr)

def decide(lines):
    with open(ask.DECIDED + ".tmp", "w") as f: f.write(lines)
    os.replace(ask.DECIDED + ".tmp", ask.DECIDED)

async def main():
    loop = asyncio.get_running_loop()
    t, _ = await loop.create_datagram_endpoint(Fake, local_addr=("127.0.0.1", 0))
    port = t.get_extra_info("sockname")[1]
    policy, holds = ask.Policy(), ask.Holds(1)
    async def timed(name):
        start = time.monotonic()
        reply = await ask.answer(query(name), port, policy, holds)
        took = time.monotonic() - start
        return [name, reply[3] & 15, "at once" if took < 0.2 else "timeout" if took >= 0.9 else "released"]
    out = []
    for name in ["bad.test", "sub.bad.test", "real.test", "x.wild.test", "db.test", "selfcheck.codex-sandbox.invalid"]:
        out.append(await timed(name))
    out.append(await timed("held.test"))  # undecided, nobody answers: the NXDOMAIN after 1 s
    pending_seen = []
    async def allow_later():
        await asyncio.sleep(0.3)
        pending_seen.append(sorted(os.listdir(ask.PENDING)))
        Fake.allowed.add("ok.test"); decide("allow ok.test\n")
    asyncio.ensure_future(allow_later())
    out.append(await timed("ok.test"))
    async def deny_later():
        await asyncio.sleep(0.3)
        decide("allow ok.test\ndeny no.test\n")
    asyncio.ensure_future(deny_later())
    out.append(await timed("no.test"))
    out.append(await timed("no.test"))  # decided now: at once
    out.append(await timed("sub.ok.test"))  # an exact allowance is not its subdomains'
    print(json.dumps({"answers": out, "pending": pending_seen, "left": os.listdir(ask.PENDING)}))
asyncio.run(main())
`;

describe('R172 the holding resolver of --ask (python)', () => {
  it('holds only undecided names; releases on allow (the real answer), on deny or at the timeout (NXDOMAIN)', () => {
    const out = execFileSync('python3', ['-c', SCRIPT, path.resolve('image/ask-resolver.py')], { encoding: 'utf8', timeout: 30000 });
    const result = JSON.parse(out) as { answers: Array<[string, number, string]>; pending: string[][]; left: string[] };
    expect(result.answers).toEqual([
      // Denied (a deny of a name covers its subdomains), allowed (a real NXDOMAIN), the self-check: never held.
      ['bad.test', 3, 'at once'],
      ['sub.bad.test', 3, 'at once'],
      ['real.test', 3, 'at once'],
      ['x.wild.test', 3, 'at once'],
      ['db.test', 3, 'at once'],
      ['selfcheck.codex-sandbox.invalid', 3, 'at once'],
      ['held.test', 3, 'timeout'],
      // Allowed after 0.3 s: asked again, the real answer.
      ['ok.test', 0, 'released'],
      ['no.test', 3, 'released'],
      ['no.test', 3, 'at once'],
      ['sub.ok.test', 3, 'timeout'],
    ]);
    // While held, the name was in the queue; after, nothing is left there.
    expect(result.pending).toEqual([['ok.test']]);
    expect(result.left).toEqual([]);
  });
});
