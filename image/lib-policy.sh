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
DIRECT_ALLOWS=()    # "ip port": TCP allowed straight to an address (proxy given as an IP)

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

parse_proxy() { # SANDBOX_PROXY=host:port | ipv4:port | [ipv6]:port
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
  port="$((10#$port))"
  if [[ "$host" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ || "$host" == *:* ]]; then
    DIRECT_ALLOWS+=("$host $port")
    return 0
  fi
  valid_hostname "$host" || fail "invalid SANDBOX_PROXY host '${host}'"
  # A name from /etc/hosts (--add-host) never passes the DNS filter: allow its address.
  ip="$(getent -s files hosts "$host" | awk '{ print $1; exit }')" || true
  if [[ -n "$ip" ]]; then
    DIRECT_ALLOWS+=("$ip $port")
  else
    is_denied "$host" && fail "SANDBOX_PROXY host ${host} is also denied"
    add_port_rule "$host" "$port"
  fi
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
}

install_extra_ca() { # trust CA files the launcher mounted (root); the agent gets the env vars
  local f
  [[ -d "$CA_DIR" ]] || return 0
  for f in "$CA_DIR"/*; do
    if [[ -e "$f" && "$f" != *.crt ]]; then warn "ignoring ${f}: CA files must end in .crt"; fi
  done
  has_extra_ca || return 0
  update-ca-certificates >/dev/null 2>&1 || fail "update-ca-certificates failed"
}
