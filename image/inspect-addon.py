# inspect-addon.py: the mitmproxy addon of the sandbox's TLS inspection (lib-inspect.sh).
# Squid has already checked every name (SNI, Host, CONNECT target) against the allowlist and
# sends here only what it admitted: inspected TLS as "CONNECT name:443" and plain HTTP.
# This addon then checks what is sent, request by request (R160-R166):
#   - inside TLS, the Host (HTTP/2 :authority) must be the server name: else 421 (fronting);
#   - method and path rules (--allow 'GET,HEAD host', 'host/path/*', --read-only-web): 403;
#   - credentials: the agent holds per-run placeholders; in a request to one of a
#     credential's hosts the placeholder becomes the real value (headers, URL, body, Basic
#     credentials); sent to any other host it is refused (403) and recorded as
#     "credential sent to HOST"; real values coming back in a response become placeholders;
#   - a login's token endpoint answering with new tokens: placeholders for the agent, the
#     real ones kept here and handed back to the launcher (R164);
#   - one record line per request to the egress FIFO ("req ..."), fields escaped.
# Runs as Squid's user `proxy`; the secrets file is readable by that user only.
import json
import os
import time

from mitmproxy import http

from inspect_support import (FIFO, HANDBACK, MAX_PATH, MAX_SECRETS_BYTES, MAX_TOKEN_RESPONSE, OWN_HOSTS,
                             READ_ONLY_WEB, RULES, SAFE_METHODS, SECRETS_FILE, TOKEN_FIELDS, TOKEN_HOSTS,
                             basic_swap, escape, guarded, host_matches, load_secrets, make_placeholder,
                             normal_host, parse_rules)


class Inspect:
    def __init__(self):
        self.secrets = load_secrets(SECRETS_FILE)
        self.rules = parse_rules(RULES)
        self.fifo = None
        self.tls_failed = set()
        if FIFO:
            self.fifo = os.open(FIFO, os.O_WRONLY)

    # -- records ---------------------------------------------------------------------------
    def record(self, method, host, path, status, up, down, cred="", reason=""):
        if self.fifo is None:
            return
        path = (path or "").split("?", 1)[0][:MAX_PATH]
        fields = ["req", "%.3f" % time.time(), escape(method, 32), escape(host, 260), escape(path),
                  str(status or "-"), str(up), str(down), escape(cred, 100), escape(reason, 300)]
        line = (" ".join(fields) + "\n").encode()
        try:
            os.write(self.fifo, line[:4000])
        except OSError:
            pass

    def refuse(self, flow, status, reason, message, cred=""):
        flow.metadata["codex_reason"] = reason
        flow.metadata["codex_cred"] = cred
        flow.response = http.Response.make(status, ("codex-sandbox: " + message + "\n").encode(),
                                           {"content-type": "text/plain; charset=utf-8", "connection": "close"})

    # -- checks ----------------------------------------------------------------------------
    def check_name(self, flow):
        """Inside TLS the request's name must be the server name it was admitted by (R160)."""
        if flow.request.scheme != "https":
            return True
        sni = normal_host(flow.client_conn.sni)
        host = normal_host(flow.request.host_header or flow.request.host)
        if sni and host == sni and normal_host(flow.request.host) == sni:
            return True
        self.refuse(flow, 421, "name does not match",
                    "refused: Host %s does not match the TLS server name %s (domain fronting is not allowed)"
                    % (host or "-", sni or "-"))
        return False

    def check_rules(self, flow):
        """Method and path rules (R165): only when a rule names this host, or read-only-web."""
        req = flow.request
        host = normal_host(req.host)
        mine = [r for r in self.rules if host_matches(host, [r["host"]])]
        path = req.path.split("?", 1)[0]
        if mine:
            for rule in mine:
                if rule["methods"] is not None and req.method.upper() not in rule["methods"]:
                    continue
                if rule["prefix"] is not None and not path.startswith(rule["prefix"]):
                    continue
                return True
            allowed = ", ".join(r["spec"].replace("|", " ") for r in mine)
            self.refuse(flow, 403, "rule",
                        "refused: %s %s%s is outside this sandbox's rules for %s (%s); allow it with --allow '%s%s'"
                        % (req.method, host, path[:MAX_PATH], host, allowed, host, path[:MAX_PATH]))
            return False
        if READ_ONLY_WEB and req.method.upper() not in SAFE_METHODS and not host_matches(host, OWN_HOSTS):
            self.refuse(flow, 403, "read-only web",
                        "refused: %s to %s: this sandbox allows only GET, HEAD and OPTIONS (--read-only-web); "
                        "allow it with --allow '%s %s'" % (req.method, host, req.method.upper(), host))
            return False
        return True

    def swap_credentials(self, flow):
        """Placeholders -> real values toward their hosts; refused toward any other (R162)."""
        req = flow.request
        host = normal_host(req.host)
        body = req.raw_content if req.raw_content is not None else b""
        injected = []
        for secret in self.secrets:
            ph = secret["placeholder"]
            heads = [v for _, v in req.headers.fields if ph in v or basic_swap(v, ph, ph) is not None]
            in_url = ph in req.path.encode("utf-8", "surrogateescape")
            in_body = ph in body
            if not (heads or in_url or in_body):
                continue
            if not host_matches(host, secret["hosts"]):
                self.refuse(flow, 403, "credential sent to " + host,
                            "refused: the credential %s may only be sent to %s, not to %s (it was a placeholder: "
                            "nothing leaked; this attempt is recorded)" % (secret["name"], ", ".join(secret["hosts"]), host),
                            secret["name"])
                return False
            injected.append(secret)
        for secret in injected:
            ph, real = secret["placeholder"], secret["value"]
            req.headers.fields = tuple((k, basic_swap(v, ph, real) or v.replace(ph, real)) for k, v in req.headers.fields)
            raw_path = req.path.encode("utf-8", "surrogateescape")
            if ph in raw_path:
                req.path = raw_path.replace(ph, real).decode("utf-8", "surrogateescape")
            if req.raw_content is not None and ph in req.raw_content:
                req.raw_content = req.raw_content.replace(ph, real)
                if "content-length" in req.headers:
                    req.headers["content-length"] = str(len(req.raw_content))
        if injected:
            flow.metadata["codex_cred"] = ",".join(s["name"] for s in injected)
            flow.metadata["codex_injected"] = injected
        return True

    # -- mitmproxy events ------------------------------------------------------------------
    @guarded("request")
    def requestheaders(self, flow):
        self.check_name(flow) and self.check_rules(flow)

    @guarded("request")
    def request(self, flow):
        if flow.response is None:
            self.swap_credentials(flow)

    def rotate_tokens(self, flow):
        """A login's token endpoint answered with new tokens (R164): the agent gets placeholders,
        the proxy keeps the real ones (for the next requests) and hands them back to the host."""
        stores = [s for s in flow.metadata.get("codex_injected", []) if s["store"]]
        res = flow.response
        endpoint = normal_host(flow.request.host) in TOKEN_HOSTS and flow.request.path.split("?")[0].endswith("/token")
        if not stores or not endpoint or res.raw_content is None or "json" not in res.headers.get("content-type", ""):
            return
        try:
            doc = json.loads(res.get_content(strict=False)[:MAX_TOKEN_RESPONSE])
        except (ValueError, UnicodeDecodeError):
            return
        if not isinstance(doc, dict):
            return
        login = stores[0]
        rotated = {}
        for field in TOKEN_FIELDS:
            real = doc.get(field)
            if not isinstance(real, str) or len(real) < 8:
                continue
            known = next((s for s in self.secrets if s["value"] == real.encode()), None)
            if known is None:
                known = {"name": login["name"], "value": real.encode(), "placeholder": make_placeholder(real).encode(),
                         "hosts": login["hosts"], "store": login["store"]}
                self.secrets.append(known)
                rotated[field] = real
            doc[field] = known["placeholder"].decode()
        if rotated:
            res.set_content(json.dumps(doc).encode())
            self.hand_back(login["store"], rotated)

    def hand_back(self, store, rotated):
        """handback.json beside the secrets (proxy-only): root copies it to the launcher when the
        run ends, which writes the new tokens to the host's credential store."""
        try:
            with open(HANDBACK, "rb") as handle:
                doc = json.loads(handle.read(MAX_SECRETS_BYTES))
        except (OSError, ValueError):
            doc = {"version": 1, "stores": {}}
        doc.setdefault("stores", {}).setdefault(store, {}).update(rotated)
        doc["stores"][store]["refreshed_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        temp = HANDBACK + ".tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(json.dumps(doc).encode())
        os.replace(temp, HANDBACK)

    @guarded("response")
    def response(self, flow):
        self.rotate_tokens(flow)
        for secret in flow.metadata.get("codex_injected", []):
            real, ph = secret["value"], secret["placeholder"]
            flow.response.headers.fields = tuple((k, v.replace(real, ph)) for k, v in flow.response.headers.fields)
            if flow.response.raw_content is not None and real in flow.response.raw_content:
                flow.response.raw_content = flow.response.raw_content.replace(real, ph)
                if "content-length" in flow.response.headers:
                    flow.response.headers["content-length"] = str(len(flow.response.raw_content))
        self.record_flow(flow, flow.response.status_code)

    @guarded("none")
    def error(self, flow):
        if flow.server_conn is not None and flow.server_conn.id in self.tls_failed:
            return  # recorded by tls_failed_server, with its reason
        if flow.response is None:
            self.record_flow(flow, 502, "upstream: " + str(flow.error or "error")[:200])

    def record_flow(self, flow, status, reason=""):
        req = flow.request
        up = len(req.raw_content) if req.raw_content is not None else req.headers.get("content-length", "0")
        down = 0
        if flow.response is not None:
            res = flow.response
            down = len(res.raw_content) if res.raw_content is not None else res.headers.get("content-length", "0")
        self.record(req.method, normal_host(req.host), req.path, status, up, down,
                    flow.metadata.get("codex_cred", ""), flow.metadata.get("codex_reason", reason))

    @guarded("none")
    def tls_failed_server(self, data):
        host = normal_host(data.conn.sni or (data.conn.address[0] if data.conn.address else ""))
        error = str(data.conn.error or "")
        reason = "upstream certificate not trusted" if "certificate" in error.lower() else "upstream TLS failed"
        self.tls_failed.add(data.conn.id)
        self.record("-", host, "", 502, 0, 0, "", reason)


addons = [Inspect()]
