# shellcheck shell=bash
# Name-checked HTTP(S): every new TCP connection of the agent to port 80 or 443 is redirected
# (nat OUTPUT, lib-firewall.sh) to Squid, which admits it only when the name it asks for is
# allowed by the same rules as the DNS filter (exact host, "*.wildcard", deny wins):
#   - TLS: the ClientHello's server name (SNI), peeked, then spliced or the connection is
#     reset; no SNI: reset. Spliced TLS to 443 and plain HTTP go on to the TLS inspection
#     (mitmproxy, lib-inspect.sh) unless the name is --no-inspect.
#   - plain HTTP: the Host header (or the absolute URI); refused with a one-line 403.
#   - host_verify_strict: the client's destination address must be one the sandbox's resolver
#     gives for that name (else 409 "name does not match"); Squid then connects by name.
# Proxy-aware clients may use 127.0.0.1:3128 (same checks, CONNECT tunnels peeked the same way).
# With an upstream proxy (SANDBOX_PROXY), Squid forwards everything it admits there
# (cache_peer parent + never_direct; CONNECT name:port for tunnels) with the credentials in
# SANDBOX_PROXY_AUTH; only Squid's uid may reach the upstream (lib-firewall.sh).
# Squid runs as its own user `proxy`, reads only root-owned files, and never as the agent.

readonly PROXY_USER=proxy
readonly PROXY_EXPLICIT_PORT=3128 PROXY_HTTP_PORT=3129 PROXY_TLS_PORT=3130
readonly SQUID_CONF="${CONF_DIR}/squid.conf"
readonly SQUID_RUN_DIR="${RUN_DIR}/squid"
# A certificate Squid requires on ssl-bump ports; it is never used: Squid bumps nothing (it
# peeks, then splices or resets; mitmproxy inspects), and no client trusts it. Image build.
readonly SQUID_TLS_CERT="${CONF_DIR}/squid-unused-tls.pem"
readonly SQUID_ERRORS="${CONF_DIR}/squid-errors"
readonly SQUID_SNI_HELPER="${LIB_DIR}/squid-sni-present"
PROXY_V6=0          # Squid also listens on [::1] (IPv6 loopback works here)

ipv6_loopback_works() { # ::1 configured on lo (Docker disables IPv6 unless the network has it)
  local addr _idx _len _scope _flags dev
  while read -r addr _idx _len _scope _flags dev; do
    [[ "$dev" == lo && "$addr" == 00000000000000000000000000000001 ]] && return 0
  done < /proc/net/if_inet6 2>/dev/null
  return 1
}

squid_regex() { # squid_regex "*.a.b" -> ^[a-z0-9-]+(\.[a-z0-9-]+)*\.a\.b$ (whole labels, subdomains only)
  local host=${1#\*.}
  printf '^[a-z0-9-]+(\\.[a-z0-9-]+)*\\.%s$' "${host//./\\.}"
}

# A syntactically valid host name (R150): letters, digits, hyphens, dots; labels 1-63 not
# starting or ending with a hyphen; an optional single trailing dot; at most 253 characters
# (checked by *_too_long). Squid's regexes are POSIX ERE without REG_NEWLINE: a CR, LF,
# blank, ':', '@' or '%' never matches, and a name is cut at its first NUL everywhere alike.
readonly VALID_NAME_RE="^(${NAME_LABEL_RE}\\.)*${NAME_LABEL_RE}\\.?\$"
# An IPv4 literal is all digits and dots (a valid name by the regex above); an IPv6 literal
# has a colon and nothing but hex digits, colons and dots (refused later: no name).
readonly IP_LITERAL_RE='^\[?[0-9a-f.]*:[0-9a-f:.]*\]?$' LONG_NAME_RE='^.{254,}$'

squid_validity_acls() { # every name (Host, absolute URI, CONNECT target, SNI) before any rule
  printf '%s\n' \
    "acl name_valid dstdom_regex -n -i ${VALID_NAME_RE}" \
    "acl name_ip dstdom_regex -n -i ${IP_LITERAL_RE}" \
    "acl name_too_long dstdom_regex -n ${LONG_NAME_RE}" \
    "acl sni_valid ssl::server_name_regex -i ${VALID_NAME_RE}" \
    "acl sni_ip ssl::server_name_regex -i ${IP_LITERAL_RE}" \
    "acl sni_too_long ssl::server_name_regex ${LONG_NAME_RE}" \
    "acl mark_malformed annotate_transaction reason=malformed"
}

squid_name_acls() { # squid_name_acls PREFIX PATTERN... -> <prefix>_exact/_wild (dstdomain) + sni
  local prefix=$1 p
  shift
  # A placeholder keeps every ACL defined (Squid refuses an ACL without values).
  printf 'acl %s_exact dstdomain -n never.codex-sandbox.invalid\n' "$prefix"
  printf 'acl %s_wild dstdom_regex -n -i ^never\\.codex-sandbox\\.invalid$\n' "$prefix"
  printf 'acl %s_sni_exact ssl::server_name never.codex-sandbox.invalid\n' "$prefix"
  printf 'acl %s_sni_wild ssl::server_name_regex -i ^never\\.codex-sandbox\\.invalid$\n' "$prefix"
  for p in "$@"; do
    if [[ "$p" == \*.* ]]; then
      printf 'acl %s_wild dstdom_regex -n -i %s\n' "$prefix" "$(squid_regex "$p")"
      printf 'acl %s_sni_wild ssl::server_name_regex -i %s\n' "$prefix" "$(squid_regex "$p")"
    elif [[ "$prefix" == denied ]]; then
      # A denied exact name covers its subdomains too (as address=/name/ in dnsmasq).
      printf 'acl %s_exact dstdomain -n .%s\nacl %s_sni_exact ssl::server_name .%s\n' "$prefix" "$p" "$prefix" "$p"
    else
      printf 'acl %s_exact dstdomain -n %s\nacl %s_sni_exact ssl::server_name %s\n' "$prefix" "$p" "$prefix" "$p"
    fi
  done
  printf 'acl %s_name any-of %s_exact %s_wild\n' "$prefix" "$prefix" "$prefix"
  printf 'acl %s_sni any-of %s_sni_exact %s_sni_wild\n' "$prefix" "$prefix" "$prefix"
}

squid_port_acls() { # host:port allowances, for proxy-aware clients (CONNECT name:port, GET)
  local port rule
  local -a names
  for port in "${PORTS[@]}"; do
    names=()
    for rule in "${PORT_RULES[@]}"; do [[ "${rule#* }" == "$port" ]] && names+=("${rule% *}"); done
    squid_name_acls "port${port}" "${names[@]}"
    printf 'acl port%s_port port %s\n' "$port" "$port"
  done
}

squid_listen_lines() {
  local tls="tls-cert=${SQUID_TLS_CERT} generate-host-certificates=off" addr
  local -a addrs=(127.0.0.1)
  if [[ "$PROXY_V6" == 1 ]]; then addrs+=("[::1]"); fi
  for addr in "${addrs[@]}"; do
    printf 'http_port %s:%s ssl-bump %s name=explicit%s\n' "$addr" "$PROXY_EXPLICIT_PORT" "$tls" "${addr//[^0-9]/}"
    printf 'http_port %s:%s intercept name=http%s\n' "$addr" "$PROXY_HTTP_PORT" "${addr//[^0-9]/}"
    printf 'https_port %s:%s intercept ssl-bump %s name=tls%s\n' "$addr" "$PROXY_TLS_PORT" "$tls" "${addr//[^0-9]/}"
  done
  printf 'acl explicit myportname explicit127001 explicit1\n'
}

squid_access_rules() {
  local port
  printf '%s\n' \
    "acl step1 at_step SslBump1" \
    "acl tls_port port 443" \
    "acl http_port_80 port 80" \
    "acl https_scheme proto HTTPS" \
    "external_acl_type has_sni ttl=300 negative_ttl=300 children-max=1 children-startup=1 %ssl::>sni ${SQUID_SNI_HELPER}" \
    "acl sni_present external has_sni" \
    "http_access deny manager" \
    "http_access deny !name_valid !name_ip mark_malformed" \
    "http_access deny name_too_long mark_malformed" \
    "http_access deny denied_name" \
    "http_access deny https_scheme !CONNECT"
  for port in "${PORTS[@]}"; do
    printf 'http_access allow port%s_port port%s_name\n' "$port" "$port"
  done
  # TLS on 443: the names (CONNECT host, SNI) are checked by ssl_bump below.
  printf '%s\n' "http_access allow CONNECT tls_port" "http_access deny CONNECT" \
    "http_access allow http_port_80 allowed_name" "http_access deny all"
  for port in "${PORTS[@]}"; do # not TLS necessarily (ssh, databases): a blind tunnel
    printf 'ssl_bump splice port%s_port port%s_name\n' "$port" "$port"
  done
  printf '%s\n' \
    "ssl_bump peek step1" \
    "ssl_bump terminate !sni_valid !sni_ip mark_malformed" \
    "ssl_bump terminate sni_too_long mark_malformed" \
    "ssl_bump terminate denied_sni" \
    "ssl_bump terminate explicit denied_name" \
    "ssl_bump terminate explicit !allowed_name" \
    "ssl_bump terminate explicit !sni_present" \
    "ssl_bump splice allowed_sni" \
    "ssl_bump terminate all"
}

squid_upstream_lines() { # forward everything admitted through the upstream proxy
  [[ -n "$UPSTREAM_HOST" ]] || return 0
  local login=""
  if [[ -n "${SANDBOX_PROXY_AUTH:-}" ]]; then login=" login=${SANDBOX_PROXY_AUTH}"; fi
  # shellcheck disable=SC2153 # UPSTREAM_* are set by lib-policy.sh
  printf 'cache_peer %s parent %s 0 no-query no-digest no-netdb-exchange default name=upstream%s\n' \
    "$UPSTREAM_HOST" "$UPSTREAM_PORT" "$login"
  printf 'never_direct allow all\n'
}

squid_config() { # print squid.conf (root-owned 0640 root:proxy: it may hold proxy credentials)
  printf '%s\n' "# Generated by sandbox-entrypoint. Root-owned; the agent cannot read or change it."
  squid_listen_lines
  squid_validity_acls
  squid_name_acls allowed "${DOMAINS[@]}"
  squid_name_acls denied "${DENIED[@]}"
  squid_port_acls
  squid_access_rules
  squid_upstream_lines
  squid_inspect_lines
  printf '%s\n' \
    "visible_hostname codex-sandbox" "host_verify_strict on" "client_dst_passthru off" \
    "check_hostnames on" "allow_underscore off" \
    "dns_nameservers ${DNS_LOCAL}" "cache deny all" "cache_mem 0" "pinger_enable off" \
    "icp_port 0" "htcp_port 0" "digest_generation off" "via off" "forwarded_for delete" \
    "httpd_suppress_version_string on" "read_ahead_gap 1 MB" "shutdown_lifetime 0 seconds" \
    "error_directory ${SQUID_ERRORS}" "coredump_dir none" \
    "pid_filename ${SQUID_RUN_DIR}/squid.pid" "cache_log stdio:${SQUID_RUN_DIR}/cache.log" \
    "logfile_rotate 0" "max_filedescriptors 4096"
  proxy_log_lines
}

prepare_proxy() { # write the configuration (before the firewall: Squid starts in parallel)
  ipv6_loopback_works && PROXY_V6=1
  # Fresh at every start: root never writes through what a Squid of an earlier start left.
  rm -rf "$SQUID_RUN_DIR"
  install -d -m 0750 -o "$PROXY_USER" -g "$PROXY_USER" "$SQUID_RUN_DIR"
  : > "${SQUID_RUN_DIR}/cache.log"
  chown "$PROXY_USER:$PROXY_USER" "${SQUID_RUN_DIR}/cache.log"
  install -m 0640 -o root -g "$PROXY_USER" /dev/null "$SQUID_CONF"
  squid_config > "$SQUID_CONF"
}

squid_as_proxy() { # squid ARGS... as the proxy user (+ codex-egress: the log FIFO), no capabilities
  setpriv --reuid "$PROXY_USER" --regid "$PROXY_USER" --groups "$EGRESS_GROUP" \
    --bounding-set=-all --inh-caps=-all --ambient-caps=-all --no-new-privs -- squid "$@"
}

start_proxy() { # start Squid in the background (reparented to tini); readiness in the self-check
  rm -f "${SQUID_RUN_DIR}/squid.pid"
  (squid_as_proxy -N -f "$SQUID_CONF" </dev/null >/dev/null 2>>"${SQUID_RUN_DIR}/cache.log" &)
}

proxy_has_clients() { # a connection to one of Squid's ports not yet closed on Squid's side
  local _sl local_addr _rem state _rest file squid_ports
  squid_ports=" $(printf '%04X ' "$PROXY_EXPLICIT_PORT" "$PROXY_HTTP_PORT" "$PROXY_TLS_PORT")"
  for file in /proc/net/tcp /proc/net/tcp6; do
    [[ -r "$file" ]] || continue
    while read -r _sl local_addr _rem state _rest; do
      if [[ "$squid_ports" == *" ${local_addr##*:} "* && "$state" != 0A && "$state" != 06 ]]; then return 0; fi
    done < "$file"
  done
  return 1
}

port_listening() { # port_listening HEXPORT FILE: a TCP socket in state LISTEN on that port
  local _sl local_addr _rem state _rest
  while read -r _sl local_addr _rem state _rest; do
    [[ "$state" == 0A && "${local_addr##*:}" == "$1" ]] && return 0
  done < "$2"
  return 1
}

squid_failed() { # the first FATAL/ERROR line of Squid's log, if any (read in bash, no process)
  local line
  while IFS= read -r line; do
    [[ "$line" == *FATAL* || "$line" == *ERROR:* ]] && { printf '%s' "${line#*| }"; return 0; }
  done < "${SQUID_RUN_DIR}/cache.log"
  return 1
}

wait_for_proxy() { # poll tightly (10 ms, at most ~5 s) until every Squid port listens
  local i port hex ok why
  for ((i = 0; i < 500; i++)); do
    if why="$(squid_failed)"; then fail "the name-checking proxy (squid) did not start: ${why}"; fi
    ok=1
    for port in "$PROXY_EXPLICIT_PORT" "$PROXY_HTTP_PORT" "$PROXY_TLS_PORT"; do
      printf -v hex '%04X' "$port"
      port_listening "$hex" /proc/net/tcp || ok=0
      if [[ "$PROXY_V6" == 1 ]]; then port_listening "$hex" /proc/net/tcp6 || ok=0; fi
    done
    [[ "$ok" == 1 ]] && return 0
    sleep 0.01
  done
  fail "the name-checking proxy (squid) did not start within 5 s: $(squid_failed || true)"
}

# Documentation addresses (RFC 5737 / RFC 3849): the probe never leaves the container — it is
# redirected to Squid, which refuses the name without looking it up.
readonly PROBE_V4=192.0.2.1 PROBE_V6=2001:db8::1

has_route() { # has_route 4|6: a non-loopback default or global route exists
  local fam=$1
  [[ -n "$(ip -"$fam" route show default 2>/dev/null)" ]]
}

probe_interception() { # probe_interception ADDR: port 80 there must be Squid refusing the name
  local addr=$1 fd="" line="" _try
  for _try in 1 2 3; do
    # A failed redirection on `exec` would end the shell: open it in a group that can fail.
    { exec {fd}<>"/dev/tcp/${addr}/80"; } 2>/dev/null && break
    fd=""
    sleep 0.05
  done
  [[ -n "$fd" ]] || fail "port 80 is not intercepted (${addr}: connection refused)"
  printf 'GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$SELFCHECK_NAME" >&"$fd"
  IFS= read -r -t 2 -u "$fd" line || true
  exec {fd}>&-
  # 403 (not allowed) or 409 (Squid checks that the name resolves to the address first).
  [[ "$line" == "HTTP/1.1 40"[39]" "* ]] || fail "port 80 is not intercepted by the name check (${addr}: '${line%$'\r'}')"
}

PROBES=() # the addresses check_proxy probes: one per family with a route (check_redirects)

check_proxy() { # self-check: Squid answers, and what reaches 80 of every family is Squid refusing the name
  wait_for_proxy
  local addr
  for addr in "${PROBES[@]}"; do probe_interception "$addr"; done
}

check_redirects() { # self-check, before Squid starts: 80/443 of every family are redirected to it
  local fam saved
  PROBES=()
  for fam in 4 6; do
    [[ "$fam" == 4 || "$NAT6" == 1 ]] || continue
    # The dump self_check took (lib-firewall.sh); a family it did not save is saved now.
    saved=$SAVED4
    [[ "$fam" == 4 ]] || saved=$SAVED6
    [[ -n "$saved" ]] || save_rules "$fam"
    saved_table "$fam" nat
    [[ "$TABLE_LINES" == *"--dport 80 "*"-j REDIRECT --to-ports ${PROXY_HTTP_PORT}"* \
      && "$TABLE_LINES" == *"--dport 443 "*"-j REDIRECT --to-ports ${PROXY_TLS_PORT}"* ]] \
      || fail "IPv${fam}: ports 80/443 are not redirected to the name check"
    if has_route "$fam"; then
      if [[ "$fam" == 4 ]]; then PROBES+=("$PROBE_V4"); else PROBES+=("$PROBE_V6"); fi
    fi
  done
}
