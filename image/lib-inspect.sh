# shellcheck shell=bash
# TLS inspection (R160-R166): Squid checks every name as before, then sends what it admitted
# to mitmproxy on 127.0.0.1:INSPECT_PORT (a cache_peer: inspected TLS as CONNECT name:443,
# plain HTTP as absolute-form requests); --no-inspect names are spliced by Squid as before.
# mitmproxy (as Squid's user `proxy`, with inspect-addon.py) terminates TLS with a per-run CA
# made here, checks Host against the server name, the method/path rules and the credential
# placeholders, verifies the upstream certificate against the system CAs plus --ca-cert
# (UPSTREAM_CA: the bundle before the run CA is added), and connects out by name itself.
#   - The CA's private key: made by root into INSPECT_DIR (/run/codex-sandbox/inspect, proxy
#     0700), never under the workdir or any path the agent can read; valid 2 days.
#   - The secrets file the launcher mounted (R161) is copied there (proxy 0400): the real
#     values live nowhere else in the container.
#   - Only `proxy` (Squid) may connect to INSPECT_PORT (lib-firewall.sh inspect_port_rules).

readonly INSPECT_PORT=3140
readonly INSPECT_DIR="${RUN_DIR}/inspect"
readonly INSPECT_ADDON="${LIB_DIR}/inspect-addon.py"
readonly SECRETS_IN=/var/lib/codex-sandbox/private/secrets.json
readonly SECRETS_MAX_BYTES=1048576
readonly RUN_CA_CERT="${CONF_DIR}/run-ca.crt" # public: the agent's tools trust it
readonly UPSTREAM_CA="${CONF_DIR}/upstream-ca.crt"
readonly RUN_CA_LINK=codex-sandbox-run-ca.pem
NO_INSPECT=()

parse_no_inspect() { # SANDBOX_NO_INSPECT: names spliced without inspection (validated like allowances)
  local name
  NO_INSPECT=()
  split_words "${SANDBOX_NO_INSPECT:-}"
  for name in "${WORDS[@]}"; do
    validate_pattern "${name,,}" "--no-inspect name"
    NO_INSPECT+=("${name,,}")
  done
}

make_run_ca() { # a fresh CA at every start (ECDSA P-256, 2 days); key readable by proxy only
  local key="${INSPECT_DIR}/mitmproxy-ca.pem" cert="${INSPECT_DIR}/ca.crt" err
  rm -rf "$INSPECT_DIR"
  install -d -m 0700 -o "$PROXY_USER" -g "$PROXY_USER" "$INSPECT_DIR"
  err="$(umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/O=codex-sandbox/CN=codex-sandbox run CA ${HOSTNAME:-sandbox}" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -keyout "$key" -out "$cert" 2>&1)" \
    || fail "cannot make the run's CA: ${err%%$'\n'*}"
  cat "$cert" >> "$key"
  chown "$PROXY_USER:$PROXY_USER" "$key" "$cert"
  chmod 0400 "$key"
  install -m 0644 "$cert" "$RUN_CA_CERT"
}

copy_secrets() { # the launcher's secrets file (root-only mount) -> proxy-only copy
  [[ -f "$SECRETS_IN" ]] || return 0
  local size
  size="$(stat -c %s "$SECRETS_IN")"
  ((size <= SECRETS_MAX_BYTES)) || fail "the secrets file is larger than ${SECRETS_MAX_BYTES} bytes"
  install -m 0400 -o "$PROXY_USER" -g "$PROXY_USER" "$SECRETS_IN" "${INSPECT_DIR}/secrets.json"
}

inspect_config() { # inspect_config CA PORT [HOST:PORT]: mitmproxy's config.yaml, options never on argv
  # Values are paths, numbers and the upstream's login, which parse_proxy_auth keeps free of
  # quotes and backslashes: each fits a YAML double-quoted string as it is.
  printf '%s\n' "listen_host: \"127.0.0.1\"" "listen_port: $2" "ssl_verify_upstream_trusted_ca: \"$1\"" \
    "stream_large_bodies: \"1m\"" "termlog_verbosity: \"error\"" "flow_detail: 0" "connection_strategy: \"lazy\""
  [[ -n "${3:-}" ]] || return 0
  printf 'mode: "upstream:http://%s"\n' "$3"
  if [[ -n "${SANDBOX_PROXY_AUTH:-}" ]]; then printf 'upstream_auth: "%s"\n' "$SANDBOX_PROXY_AUTH"; fi
}

inspect_port_rules() { # (lib-firewall.sh) mitmproxy takes Squid's connections only: no request skips the name check
  rule -A OUTPUT -o lo -p tcp --dport "$INSPECT_PORT" -m owner --uid-owner "$PROXY_USER" -j ACCEPT
  rule -A OUTPUT -o lo -p tcp --dport "$INSPECT_PORT" -j REJECT --reject-with tcp-reset
}

prepare_inspect() { # before Squid starts: CA, secrets, mitmproxy's options
  parse_no_inspect
  make_run_ca
  copy_secrets
  local upstream=""
  # shellcheck disable=SC2153 # UPSTREAM_* are set by lib-policy.sh
  if [[ -n "$UPSTREAM_HOST" ]]; then upstream="${UPSTREAM_HOST}:${UPSTREAM_PORT}"; fi
  # Every start rebuilds the agent's bundle from the image's (install_extra_ca, trust_run_ca).
  keep_pristine_bundle
  # The CAs the upstream is verified against: the system's plus --ca-cert (never the run CA).
  install -m 0644 "$CA_ORIG" "$UPSTREAM_CA"
  if has_extra_ca; then awk "$CA_MERGE_AWK" "$CA_ORIG" "$CA_DIR"/*.crt >> "$UPSTREAM_CA" 2>/dev/null || true; fi
  install -m 0400 -o "$PROXY_USER" -g "$PROXY_USER" /dev/null "${INSPECT_DIR}/config.yaml"
  inspect_config "$UPSTREAM_CA" "$INSPECT_PORT" "$upstream" > "${INSPECT_DIR}/config.yaml"
}

start_inspect() { # mitmdump as proxy (+ codex-egress for the FIFO), no capabilities, in the background
  local fifo=""
  if [[ "$EGRESS_LOG" == 1 ]]; then fifo="$EGRESS_FIFO"; fi
  (cd "$INSPECT_DIR" && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$INSPECT_DIR" LANG=C.UTF-8 \
    PYTHONDONTWRITEBYTECODE=1 SANDBOX_INSPECT_FIFO="$fifo" \
    SANDBOX_INSPECT_SECRETS="${INSPECT_DIR}/secrets.json" SANDBOX_HTTP_RULES="${SANDBOX_HTTP_RULES:-}" \
    SANDBOX_READ_ONLY_WEB="${SANDBOX_READ_ONLY_WEB:-}" SANDBOX_AGENT_HOSTS="${SANDBOX_AGENT_HOSTS:-}" \
    setpriv --reuid "$PROXY_USER" --regid "$PROXY_USER" --groups "$EGRESS_GROUP" \
    --bounding-set=-all --inh-caps=-all --ambient-caps=-all --no-new-privs -- \
    mitmdump --set "confdir=${INSPECT_DIR}" -s "$INSPECT_ADDON" \
    </dev/null >>"${INSPECT_DIR}/mitmdump.log" 2>&1 &)
}

wait_for_inspect() { # poll (10 ms, at most ~10 s: Python starts in ~1 s) until mitmproxy listens
  local i hex
  printf -v hex '%04X' "$INSPECT_PORT"
  for ((i = 0; i < 1000; i++)); do
    port_listening "$hex" /proc/net/tcp && return 0
    if ((i % 20 == 0)) && grep -qE 'Error|Traceback' "${INSPECT_DIR}/mitmdump.log" 2>/dev/null; then
      fail "the TLS inspection (mitmproxy) did not start: $(grep -m1 -E 'Error' "${INSPECT_DIR}/mitmdump.log")"
    fi
    sleep 0.01
  done
  fail "the TLS inspection (mitmproxy) did not start within 10 s: $(tail -n 1 "${INSPECT_DIR}/mitmdump.log" 2>/dev/null)"
}

trust_run_ca() { # after install_extra_ca: the agent's tools trust the run CA (R160)
  local hash
  cat "$RUN_CA_CERT" >> "$CA_BUNDLE"
  hash="$(openssl x509 -hash -noout -in "$RUN_CA_CERT")"
  install -m 0644 "$RUN_CA_CERT" "/etc/ssl/certs/${RUN_CA_LINK}"
  ln -sfn "$RUN_CA_LINK" "/etc/ssl/certs/${hash}.0"
  trust_run_ca_java
}

trust_run_ca_java() { # a JDK in the image (the user's own base image): its cacerts too
  command -v keytool >/dev/null 2>&1 || return 0
  keytool -importcert -noprompt -cacerts -storepass changeit -alias codex-sandbox-run-ca \
    -file "$RUN_CA_CERT" >/dev/null 2>&1 || warn "could not add the run CA to Java's cacerts"
}

untrust_run_ca() { # a restart: the previous run CA leaves the store before the new one
  rm -f "/etc/ssl/certs/${RUN_CA_LINK}"
  find /etc/ssl/certs -maxdepth 1 -lname "$RUN_CA_LINK" -delete
  if command -v keytool >/dev/null 2>&1; then
    keytool -delete -noprompt -cacerts -storepass changeit -alias codex-sandbox-run-ca >/dev/null 2>&1 || true
  fi
}

squid_inspect_lines() { # cache_peer for what is inspected; --no-inspect names go as before
  squid_name_acls noinspect "${NO_INSPECT[@]}"
  printf '%s\n' \
    "cache_peer 127.0.0.1 parent ${INSPECT_PORT} 0 no-query no-digest no-netdb-exchange name=inspect" \
    "acl inspected_tls all-of CONNECT tls_port" \
    "cache_peer_access inspect deny noinspect_name" "cache_peer_access inspect deny noinspect_sni" \
    "cache_peer_access inspect allow inspected_tls" "cache_peer_access inspect allow !CONNECT" \
    "cache_peer_access inspect deny all"
  if [[ -n "$UPSTREAM_HOST" ]]; then
    printf '%s\n' \
      "cache_peer_access upstream allow noinspect_name" "cache_peer_access upstream allow noinspect_sni" \
      "cache_peer_access upstream deny inspected_tls" "cache_peer_access upstream deny !CONNECT" \
      "cache_peer_access upstream allow all"
  else
    printf '%s\n' \
      "never_direct deny noinspect_name" "never_direct deny noinspect_sni" \
      "never_direct allow inspected_tls" "never_direct allow !CONNECT"
  fi
}

readonly HANDBACK_DIR=/var/lib/codex-sandbox/private/handback
hand_back_tokens() { # a login's refreshed tokens (inspect-addon.py) -> the launcher's directory (R164)
  local from="${INSPECT_DIR}/handback.json" size
  [[ -f "$from" && ! -L "$from" ]] && mountpoint -q "$HANDBACK_DIR" || return 0
  size="$(stat -c %s "$from")"
  ((size <= SECRETS_MAX_BYTES)) || { warn "refreshed tokens not handed back: ${size} bytes"; return 0; }
  # Owned like the directory (the launcher's user): it reads and removes it after the run.
  install -m 0600 -o "$(stat -c %u "$HANDBACK_DIR")" -g "$(stat -c %g "$HANDBACK_DIR")" "$from" "${HANDBACK_DIR}/.handback.tmp"
  mv -f "${HANDBACK_DIR}/.handback.tmp" "${HANDBACK_DIR}/handback.json"
}
