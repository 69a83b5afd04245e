# shellcheck shell=bash
# Egress policy beyond the HTTP(S) allowlist: extra ports, denied names, host ports,
# upstream proxy, extra CA certificates. Sourced by sandbox-entrypoint.
# Everything here only adds explicit allowances; deny always wins over allow.

PORT_RULES=()       # "pattern port" (pattern: host or *.host), forwarded by the DNS filter
PORTS=()            # distinct ports of PORT_RULES (one ipset pair p<port>v4/v6 each)
DENIED=()           # validated deny patterns
declare -A DENY_EXACT=() DENY_WILD=()
HOST_PORTS=()       # TCP ports allowed on host.docker.internal
HOST_GATEWAY_IP=""
# shellcheck disable=SC2034 # the upstream proxy, used by lib-proxy.sh, lib-firewall.sh, lib-dns.sh
UPSTREAM_HOST="" UPSTREAM_PORT="" UPSTREAM_BY_NAME="" # by name: the DNS filter fills upstream4/6
UPSTREAM_DIRECT=()  # "ip port": the upstream proxy by address (Squid's uid only)
DOCKER_DNS=()       # SANDBOX_DOCKER_DNS: where Docker's embedded resolver forwards (when known)

valid_port() { [[ "$1" =~ ^[1-9][0-9]{0,4}$ ]] && (( $1 <= 65535 )); }

validate_pattern() { # validate_pattern ENTRY WHAT: host or *.host, like validate_domains
  local entry=$1 host=${1#\*.}
  valid_hostname "$host" || fail "invalid ${2} '${entry}'"
  if [[ "$entry" == \*.* && "$host" != *.* ]]; then
    fail "${2} '${entry}' would cover a whole top-level domain"
  fi
}

split_words() { # split_words "<list>" -> WORDS (blanks/newlines, no globbing)
  WORDS=()
  read -r -d '' -a WORDS <<< "$1" || true
}

parse_denied() { # SANDBOX_DENIED_DOMAINS -> DENIED, DENY_EXACT, DENY_WILD
  local entry
  local -a WORDS
  split_words "${SANDBOX_DENIED_DOMAINS:-}"
  for entry in "${WORDS[@]}"; do
    entry="${entry,,}"
    validate_pattern "$entry" "denied domain"
    if [[ "$entry" == \*.* ]]; then DENY_WILD[${entry#\*.}]=1; else DENY_EXACT[$entry]=1; fi
    DENIED+=("$entry")
  done
  return 0
}

is_denied() { # is every name of pattern $1 refused by the deny list? (deny wins)
  local pattern=$1 s=${1#\*.}
  [[ "$pattern" == \*.* && -n "${DENY_WILD[$s]:-}" ]] && return 0
  while :; do
    [[ -n "${DENY_EXACT[$s]:-}" ]] && return 0 # address=/d/ also covers d's subdomains
    [[ "$s" == *.* ]] || return 1
    s=${s#*.}
    [[ -n "${DENY_WILD[$s]:-}" ]] && return 0
  done
}

add_port_rule() { # add_port_rule PATTERN PORT (deduplicated, denied ones dropped)
  local rule="$1 $2" r p
  is_denied "$1" && return 0
  for r in "${PORT_RULES[@]}"; do [[ "$r" == "$rule" ]] && return 0; done
  PORT_RULES+=("$rule")
  for p in "${PORTS[@]}"; do [[ "$p" == "$2" ]] && return 0; done
  PORTS+=("$2")
}

parse_allowed_ports() { # SANDBOX_ALLOWED_PORTS="host:port *.host:port"
  local entry
  local -a WORDS
  split_words "${SANDBOX_ALLOWED_PORTS:-}"
  for entry in "${WORDS[@]}"; do
    entry="${entry,,}"
    [[ "$entry" == *:* ]] || fail "invalid allowed port '${entry}' (expected host:port)"
    validate_pattern "${entry%:*}" "allowed port host"
    valid_port "${entry##*:}" || fail "invalid port in '${entry}' (1-65535)"
    add_port_rule "${entry%:*}" "$((10#${entry##*:}))"
  done
  return 0
}

parse_host_ports() { # SANDBOX_HOST_PORTS="3000 8080" + host.docker.internal from /etc/hosts
  local port
  local -a WORDS
  split_words "${SANDBOX_HOST_PORTS:-}"
  (( ${#WORDS[@]} > 0 )) || return 0
  for port in "${WORDS[@]}"; do
    valid_port "$port" || fail "invalid host port '${port}' (1-65535)"
    HOST_PORTS+=("$((10#$port))")
  done
  HOST_GATEWAY_IP="$(getent -s files hosts host.docker.internal | awk '{ print $1; exit }')" || true
  [[ -n "$HOST_GATEWAY_IP" ]] \
    || fail "SANDBOX_HOST_PORTS needs --add-host host.docker.internal:host-gateway"
}

parse_proxy() { # SANDBOX_PROXY=host:port | ipv4:port | [ipv6]:port (+ SANDBOX_PROXY_AUTH)
  local spec="${SANDBOX_PROXY:-}" host port ip
  [[ -n "$spec" ]] || return 0
  if [[ "$spec" =~ ^\[([0-9a-fA-F:.]+)\]:([0-9]+)$ ]]; then
    host="${BASH_REMATCH[1]}" port="${BASH_REMATCH[2]}"
  elif [[ "$spec" =~ ^([^:]+):([0-9]+)$ ]]; then
    host="${BASH_REMATCH[1],,}" port="${BASH_REMATCH[2]}"
  else
    fail "invalid SANDBOX_PROXY '${spec}' (expected host:port)"
  fi
  valid_port "$port" || fail "invalid port in SANDBOX_PROXY '${spec}'"
  # shellcheck disable=SC2034 # read by lib-proxy.sh and lib-firewall.sh
  UPSTREAM_PORT="$((10#$port))" UPSTREAM_HOST="$host"
  parse_proxy_auth
  if [[ "$host" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ || "$host" == *:* ]]; then
    UPSTREAM_DIRECT+=("$host $UPSTREAM_PORT")
    return 0
  fi
  valid_hostname "$host" || fail "invalid SANDBOX_PROXY host '${host}'"
  # A name from /etc/hosts (--add-host) never passes the DNS filter: allow its address.
  ip="$(getent -s files hosts "$host" | awk '{ print $1; exit }')" || true
  if [[ -n "$ip" ]]; then
    UPSTREAM_DIRECT+=("$ip $UPSTREAM_PORT")
  else
    is_denied "$host" && fail "SANDBOX_PROXY host ${host} is also denied"
    # shellcheck disable=SC2034 # read by lib-dns.sh and lib-firewall.sh
    UPSTREAM_BY_NAME="$host"
  fi
}

parse_proxy_auth() { # SANDBOX_PROXY_AUTH=user:password goes into squid.conf as one token
  local auth="${SANDBOX_PROXY_AUTH:-}"
  [[ -n "$auth" ]] || return 0
  [[ "$auth" == *:* && "$auth" != *[[:space:][:cntrl:]\"\\#]* ]] \
    || fail "SANDBOX_PROXY_AUTH must be user:password without blanks, quotes, backslashes or '#'"
}

parse_docker_dns() { # SANDBOX_DOCKER_DNS="ip ..." (the launcher's --dns): plain addresses only
  local server
  local -a WORDS
  split_words "${SANDBOX_DOCKER_DNS:-}"
  for server in "${WORDS[@]}"; do
    [[ "$server" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ || "$server" =~ ^[0-9a-fA-F:]+$ ]] \
      || fail "invalid SANDBOX_DOCKER_DNS entry '${server}'"
    DOCKER_DNS+=("$server")
  done
  return 0
}

drop_denied_domains() { # deny wins: allowlist entries fully covered by a deny are removed
  local d
  local -a kept=()
  (( ${#DENIED[@]} > 0 )) || return 0
  for d in "${DOMAINS[@]}"; do
    is_denied "$d" || kept+=("$d")
  done
  DOMAINS=("${kept[@]}")
}

parse_policy() {
  parse_denied
  drop_denied_domains
  parse_allowed_ports
  parse_host_ports
  parse_proxy
  parse_docker_dns
}

# Extra CAs without update-ca-certificates (seconds with a big mounted bundle): the system
# bundle is rebuilt from its pristine copy plus the mounted certificates it lacks (one
# awk pass, compared on their base64 body), so a restart never appends twice. New ones
# also get a hash link in /etc/ssl/certs (OpenSSL's CApath), like update-ca-certificates.
readonly CA_ORIG=/var/lib/codex-sandbox/ca-certificates.orig.crt
readonly CA_LINK_PREFIX=codex-sandbox-extra-
# shellcheck disable=SC2016 # awk program
readonly CA_MERGE_AWK='
{ sub(/\r$/, "") }
/^-----BEGIN CERTIFICATE-----$/ { inb = 1; body = ""; block = "" }
inb { block = block $0 "\n"; if ($0 !~ /^-----/) { gsub(/[ \t]/, ""); body = body $0 } }
/^-----END CERTIFICATE-----$/ && inb {
  inb = 0; found[FILENAME] = 1
  if (FILENAME == ARGV[1]) known[body] = 1
  else if (!(body in known)) { known[body] = 1; printf "%s", block }
}
END {
  for (i = 2; i < ARGC; i++) if (!(ARGV[i] in found))
    printf "codex-sandbox: warning: ignoring %s: no PEM certificate in it\n", ARGV[i] > "/dev/stderr"
}'

link_extra_ca() { # link_extra_ca FILE: one new certificate -> <hash>.N link (CApath)
  local f=$1 hash n=0
  hash="$(openssl x509 -hash -noout -in "$f")" || return 0
  while [[ -e "/etc/ssl/certs/${hash}.${n}" ]]; do n=$((n + 1)); done
  ln -s "$(basename "$f")" "/etc/ssl/certs/${hash}.${n}"
}

keep_pristine_bundle() { # the system bundle as the image had it, copied once (a restart restores it)
  [[ -f "$CA_ORIG" ]] && return 0
  cp "$CA_BUNDLE" "${CA_ORIG}.tmp"
  mv -f "${CA_ORIG}.tmp" "$CA_ORIG"
}

install_extra_ca() { # trust CA files the launcher mounted (root); the agent gets the env vars
  local f tmp=/etc/ssl/certs/.codex-sandbox-bundle.tmp
  [[ -d "$CA_DIR" ]] || return 0
  for f in "$CA_DIR"/*; do
    if [[ -e "$f" && "$f" != *.crt ]]; then warn "ignoring ${f}: CA files must end in .crt"; fi
  done
  if [[ -f "$CA_ORIG" ]]; then # an earlier start changed the store: undo it first
    find /etc/ssl/certs -maxdepth 1 \( -name "${CA_LINK_PREFIX}*" -o -lname "${CA_LINK_PREFIX}*" \) -delete
    cmp -s "$CA_ORIG" "$CA_BUNDLE" || install -m 0644 "$CA_ORIG" "$CA_BUNDLE"
  fi
  has_extra_ca || return 0
  keep_pristine_bundle
  awk "$CA_MERGE_AWK" "$CA_ORIG" "$CA_DIR"/*.crt > "${tmp}.new" || fail "cannot read the CA files"
  cat "$CA_ORIG" "${tmp}.new" > "$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$CA_BUNDLE"
  if [[ -s "${tmp}.new" ]]; then
    # One file per new certificate (csplit-free: awk), then its hash link.
    awk -v dir=/etc/ssl/certs -v prefix="$CA_LINK_PREFIX" \
      '/^-----BEGIN/ { n++ } { print > (dir "/" prefix n ".pem") }' "${tmp}.new"
    for f in /etc/ssl/certs/"${CA_LINK_PREFIX}"*.pem; do link_extra_ca "$f"; done
  fi
  rm -f "${tmp}.new"
}
