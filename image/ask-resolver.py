"""The held answers of `--ask` (R172): between dnsdist (which already refused every query whose
name is no host name, R150) and dnsmasq. A query dnsmasq answers NXDOMAIN for a name the policy
has not decided (not allowed, not denied, not answered in `approve`) is held — not refused —
until the user decides (`sandbox-policy` rewrites DECIDED) or ASK_TIMEOUT seconds have passed
since the name was first held; then it is asked again of dnsmasq (allowed: the real answer,
the address sets filled) or the NXDOMAIN goes back.
Runs as dnsdist's user: only it and root may reach these ports and dnsmasq's (lib-firewall.sh).
The held names are files in PENDING (this user's, 0700): root reads them for `approve`; the
agent can read neither. Bounded: at most MAX_HELD queries held and MAX_PENDING names.
Usage: ask-resolver.py LISTEN_A UPSTREAM_A [LISTEN_B UPSTREAM_B] (ports on 127.0.0.1).
"""

import asyncio
import os
import struct
import sys
import time

ASK_DIR = "/run/codex-sandbox/ask"
PENDING = ASK_DIR + "/pending"
DECIDED = ASK_DIR + "/decided.list"
MAX_HELD = 256
MAX_PENDING = 1000
POLL_SECONDS = 0.1
UPSTREAM_SECONDS = 5.0
LOCAL = "127.0.0.1"
NXDOMAIN = 3


def patterns(text):
    return [w.lower() for w in text.split() if w]


def covers(pattern, name, exact_covers_subdomains):
    if pattern.startswith("*."):
        return name.endswith(pattern[1:])
    return name == pattern or (exact_covers_subdomains and name.endswith("." + pattern))


class Policy:
    """The run's own allow and deny lists (environment) plus the live decisions (DECIDED)."""

    def __init__(self):
        ports = [p.rsplit(":", 1)[0] for p in patterns(os.environ.get("SANDBOX_ALLOWED_PORTS", ""))]
        self.allow = patterns(os.environ.get("SANDBOX_ALLOWED_DOMAINS", "")) + ports
        self.deny = patterns(os.environ.get("SANDBOX_DENIED_DOMAINS", ""))
        self.live = []
        self.stamp = None

    def reload(self):
        try:
            stamp = os.stat(DECIDED).st_mtime_ns
        except OSError:
            stamp = None
        if stamp == self.stamp:
            return
        self.stamp = stamp
        live = []
        try:
            with open(DECIDED, encoding="ascii", errors="replace") as f:
                for line in f.read(1 << 20).splitlines():
                    words = line.split()
                    if len(words) == 2 and words[0] in ("allow", "deny"):
                        live.append((words[0], words[1]))
        except OSError:
            pass
        self.live = live

    def decision(self, name):
        """'deny', 'allow' or None (undecided): deny wins, as everywhere in the sandbox."""
        self.reload()
        if any(covers(p, name, True) for p in self.deny):
            return "deny"
        if any(a == "deny" and covers(p, name, True) for a, p in self.live):
            return "deny"
        if any(covers(p, name, False) for p in self.allow):
            return "allow"
        if any(a == "allow" and covers(p, name, False) for a, p in self.live):
            return "allow"
        return None


def qname(packet):
    """The question's name, lowercase, or None (dnsdist let only valid host names through)."""
    labels, at = [], 12
    while at < len(packet):
        n = packet[at]
        if n == 0:
            return ".".join(labels).lower() if labels else None
        if n > 63 or at + 1 + n > len(packet):
            return None
        labels.append(packet[at + 1 : at + 1 + n].decode("ascii", "replace"))
        at += 1 + n
    return None


class _Once(asyncio.DatagramProtocol):
    def __init__(self, done):
        self.done = done

    def datagram_received(self, data, addr):
        if not self.done.done():
            self.done.set_result(data)

    def error_received(self, exc):
        if not self.done.done():
            self.done.set_exception(exc)


async def ask_upstream(packet, port):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    transport, _ = await loop.create_datagram_endpoint(lambda: _Once(done), remote_addr=(LOCAL, port))
    try:
        transport.sendto(packet)
        return await asyncio.wait_for(done, UPSTREAM_SECONDS)
    finally:
        transport.close()


class Holds:
    """Names held now: one deadline per name (a client's retry joins it), a file each in PENDING."""

    def __init__(self, timeout):
        self.timeout = timeout
        self.deadline = {}
        self.waiting = {}
        self.count = 0

    def start(self, name):
        if name not in self.deadline:
            if len(self.deadline) >= MAX_PENDING:
                return None
            self.deadline[name] = time.monotonic() + self.timeout
            self.waiting[name] = 0
            write_pending(name, self.timeout)
        self.waiting[name] += 1
        self.count += 1
        return self.deadline[name]

    def end(self, name):
        self.count -= 1
        self.waiting[name] -= 1
        if self.waiting[name] == 0:
            del self.waiting[name], self.deadline[name]
            try:
                os.unlink(os.path.join(PENDING, name))
            except OSError:
                pass


def write_pending(name, timeout):
    # The name is a valid host name (dnsdist's check): letters, digits, '-' and '.'; never '/'.
    if "/" in name or name.startswith("."):
        return
    try:
        with open(os.path.join(PENDING, name), "w", encoding="ascii") as f:
            f.write("%d %d\n" % (int(time.time()), int(timeout)))
    except OSError:
        pass


async def answer(packet, port, policy, holds):
    reply = await ask_upstream(packet, port)
    if len(reply) < 4 or reply[3] & 0x0F != NXDOMAIN:
        return reply
    name = qname(packet)
    # .invalid never resolves anywhere (RFC 6761): the sandbox's own self-check asks for one.
    if name is None or name.endswith(".invalid") or policy.decision(name) is not None or holds.count >= MAX_HELD:
        return reply
    deadline = holds.start(name)
    if deadline is None:
        return reply
    try:
        while time.monotonic() < deadline:
            decided = policy.decision(name)
            if decided == "allow":
                return await ask_upstream(packet, port)
            if decided == "deny":
                return reply
            await asyncio.sleep(POLL_SECONDS)
        return reply
    finally:
        holds.end(name)


class Server(asyncio.DatagramProtocol):
    def __init__(self, upstream, policy, holds):
        self.upstream, self.policy, self.holds = upstream, policy, holds
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        asyncio.ensure_future(self.reply(data, addr))

    async def reply(self, data, addr):
        try:
            self.transport.sendto(await answer(data, self.upstream, self.policy, self.holds), addr)
        except Exception:  # one query's failure (no answer: the client retries) never ends the others
            pass


def tcp_handler(upstream, policy, holds):
    async def handle(reader, writer):
        try:
            while True:
                size = struct.unpack("!H", await reader.readexactly(2))[0]
                reply = await answer(await reader.readexactly(size), upstream, policy, holds)
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
        except Exception:
            pass
        finally:
            writer.close()

    return handle


async def main(argv):
    timeout = int(os.environ.get("SANDBOX_ASK_TIMEOUT", "30"))
    policy, holds = Policy(), Holds(timeout)
    loop = asyncio.get_running_loop()
    for at in range(0, len(argv), 2):
        listen, upstream = int(argv[at]), int(argv[at + 1])
        await loop.create_datagram_endpoint(lambda u=upstream: Server(u, policy, holds), local_addr=(LOCAL, listen))
        await asyncio.start_server(tcp_handler(upstream, policy, holds), LOCAL, listen)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
