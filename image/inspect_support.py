# inspect_support.py: what inspect-addon.py needs that is not a mitmproxy hook: the policy
# from the environment, host patterns, placeholders, record fields, Basic credentials.
# inspect-addon.py: the mitmproxy addon of the sandbox's TLS inspection (lib-inspect.sh).
# Squid has already checked every name (SNI, Host, CONNECT target) against the allowlist and
# sends here only what it admitted: inspected TLS as "CONNECT name:443" and plain HTTP.
# This addon then checks what is sent, request by request (R160-R166):
#   - inside TLS, the Host (HTTP/2 :authority) must be the server name: else 421 (fronting);
#   - method and path rules (--allow 'GET,HEAD host', 'host/path/*', --read-only-web): 403;
#   - credentials: the agent holds per-run placeholders; in a request to one of a
#     credential's hosts the placeholder becomes the real value (headers, URL, body); sent
#     to any other host it is refused (403) and recorded as "credential sent to HOST";
#     real values coming back in a response are replaced by their placeholders;
#   - one record line per request to the egress FIFO ("req ..."), fields escaped.
# Runs as Squid's user `proxy`; the secrets file is readable by that user only.
import base64
import binascii
import functools
import json
import os
import re
import secrets as rng
import string

SECRETS_FILE = os.environ.get("SANDBOX_INSPECT_SECRETS", "")
FIFO = os.environ.get("SANDBOX_INSPECT_FIFO", "")
RULES = os.environ.get("SANDBOX_HTTP_RULES", "")
READ_ONLY_WEB = os.environ.get("SANDBOX_READ_ONLY_WEB", "") == "1"
OWN_HOSTS = os.environ.get("SANDBOX_AGENT_HOSTS", "").split()
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
MAX_SECRETS_BYTES = 1024 * 1024
MAX_PATH = 200
MAX_TOKEN_RESPONSE = 256 * 1024
HANDBACK = os.path.join(os.path.dirname(SECRETS_FILE or "/nonexistent/x"), "handback.json")
TOKEN_FIELDS = ("access_token", "refresh_token", "id_token")
# The agents' token endpoints (R164): only their answers may rotate a login's tokens, never a
# model provider's or any other host's (it could plant its own tokens in the user's login).
TOKEN_HOSTS = ("auth.openai.com", "platform.claude.com", "console.anthropic.com", "oauth2.googleapis.com")
ALNUM = string.ascii_letters + string.digits
JWT = re.compile(r"^(eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.)([A-Za-z0-9_-]+)$")
PREFIX_SEGMENT = re.compile(r"^[A-Za-z0-9]{1,12}[-_]")


def host_matches(host, patterns):
    """Exact name, or "*.x" for strict subdomains of x (as the allowlist)."""
    for pattern in patterns:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


def normal_host(value):
    """A Host header or server name without port, lower case, no trailing dot."""
    value = (value or "").strip().lower()
    if value.startswith("["):
        value = value.split("]", 1)[0] + "]"
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value[:-1] if value.endswith(".") else value


def escape(value, limit=1000):
    """Record field: bytes outside printable ASCII, '%' and blanks as %XX; '-' if empty."""
    data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
    out = "".join(chr(b) if 0x21 <= b <= 0x7E and b != 0x25 else "%%%02X" % b for b in data[:limit])
    return out or "-"


def make_placeholder(value):
    """Same shape as the launcher's (scripts/core/placeholder.ts): a JWT keeps its header and
    claims (the agent reads them) with a random signature; else the type prefix is kept and
    every letter and digit after it is random."""
    match = JWT.match(value)
    if match:
        return match.group(1) + "".join(rng.choice(ALNUM + "-_") for _ in match.group(2))
    prefix = "AIza" if value.startswith("AIza") else ""
    while not prefix.startswith("AIza"):
        seg = PREFIX_SEGMENT.match(value[len(prefix):])
        if seg is None or len(prefix) + len(seg.group(0)) > 16:
            break
        prefix += seg.group(0)
    return prefix + "".join(rng.choice(ALNUM) if c in ALNUM else c for c in value[len(prefix):])


def load_secrets(path):
    if not path or not os.path.exists(path):
        return []
    if os.path.getsize(path) > MAX_SECRETS_BYTES:
        raise ValueError("secrets file too large")
    with open(path, "rb") as handle:
        doc = json.loads(handle.read().decode("utf-8"))
    secrets = []
    for item in doc.get("secrets", []):
        value, placeholder = item.get("value", ""), item.get("placeholder", "")
        if len(value) < 8 or len(placeholder) < 8 or value == placeholder:
            continue
        secrets.append({
            "name": str(item.get("name", "secret")),
            "value": value.encode(),
            "placeholder": placeholder.encode(),
            "hosts": [normal_host(h) if not h.startswith("*.") else h.lower() for h in item.get("hosts", [])],
            "store": str(item["store"]) if isinstance(item.get("store"), str) else "",
        })
    return secrets


def parse_rules(text):
    """'METHODS|HOST|PATHPREFIX' entries, space separated ('-' = any), from the launcher."""
    rules = []
    for entry in text.split():
        parts = entry.split("|")
        if len(parts) != 3:
            continue
        methods, host, prefix = parts
        rules.append({
            "methods": None if methods == "-" else methods.upper().split(","),
            "host": host.lower(),
            "prefix": None if prefix == "-" else prefix,
            "spec": entry,
        })
    return rules




def basic_swap(value, old, new):
    """An `Authorization: Basic` value with `old` replaced by `new` inside its base64 (git over
    HTTPS sends a token so); None when it is not one or does not hold `old`."""
    if not value[:6].lower() == b"basic ":
        return None
    try:
        decoded = base64.b64decode(value[6:].strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    if old not in decoded:
        return None
    return value[:6] + base64.b64encode(decoded.replace(old, new))


def guarded(kind):
    """A hook that never raises into mitmproxy (whose log would grow with every failure the
    agent provokes) and fails closed: a request that cannot be checked is refused, a response
    that cannot be checked (a token answer, a real value in it) never reaches the agent."""
    def wrap(hook):
        @functools.wraps(hook)
        def run(self, arg):
            try:
                return hook(self, arg)
            except Exception:  # noqa: BLE001 - any failure of a check is a refusal
                if kind == "request" and arg.response is None:
                    self.refuse(arg, 502, "inspection error", "refused: the request could not be checked")
                elif kind == "response":
                    self.refuse(arg, 502, "inspection error", "refused: the answer could not be checked")
                return None
        return run
    return wrap
