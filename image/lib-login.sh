# shellcheck shell=bash
# Login mode (SANDBOX_COMMAND=login, R133): the given argv runs as the agent, like `shell`.
# With SANDBOX_LOGIN_PORT=N the host's browser can reach a login callback server the agent
# binds to the container's 127.0.0.1:N (Codex: 1455), through the launcher's
# `-p 127.0.0.1:N:N`. Two things make that work, and nothing else is opened:
#   - one INPUT rule per family: new TCP to the container's own address on port N, arriving
#     on the default route's interface from its gateway (where Docker's port publishing
#     connects from; other containers on the network stay refused);
#   - a socat relay from that address :N to 127.0.0.1:N, as the service user sandbox-relay
#     (neither root nor the agent's uid; no capabilities).
# Sourced by sandbox-entrypoint; login_input_rules is called by lib-firewall.sh.

readonly RELAY_USER=sandbox-relay
LOGIN_PORT=""
LOGIN_ROUTES=() # "FAMILY DEVICE GATEWAY ADDRESS" per family with a default route

default_route() { # default_route 4|6: "DEVICE GATEWAY ADDRESS" of the default route, or nothing
  local fam=$1 line dev="" gw="" addr="" word prev="" words=()
  # `|| return 0`: a family the kernel lacks is no route, not a failed start (ERR is inherited).
  line="$(ip "-${fam}" route show default 2>/dev/null | head -n 1)" || return 0
  read -r -a words <<< "$line"
  for word in "${words[@]}"; do
    case "$prev" in
      via) gw=$word ;;
      dev) dev=$word ;;
    esac
    prev=$word
  done
  [[ -n "$dev" && -n "$gw" ]] || return 0
  addr="$(ip "-${fam}" -o addr show dev "$dev" scope global 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }')" || return 0
  [[ -n "$addr" ]] || return 0
  printf '%s %s %s\n' "$dev" "$gw" "$addr"
}

check_login_port() { # check_login_port MODE: validate SANDBOX_LOGIN_PORT, find where it arrives
  local port="${SANDBOX_LOGIN_PORT:-}" fam route
  [[ -n "$port" ]] || return 0
  [[ "$1" == login ]] || fail "SANDBOX_LOGIN_PORT is only for SANDBOX_COMMAND=login"
  if ! valid_port "$port" || ((port < 1024)); then
    fail "SANDBOX_LOGIN_PORT must be a port from 1024 to 65535"
  fi
  # The sandbox's own listeners (Squid, lib-proxy.sh) are never forwarded.
  if ((port >= PROXY_EXPLICIT_PORT && port <= PROXY_TLS_PORT)); then
    fail "SANDBOX_LOGIN_PORT ${port} is used by the sandbox itself"
  fi
  for fam in 4 6; do
    route="$(default_route "$fam")"
    if [[ -n "$route" ]]; then LOGIN_ROUTES+=("${fam} ${route}"); fi
  done
  ((${#LOGIN_ROUTES[@]} > 0)) || fail "SANDBOX_LOGIN_PORT needs a network with a default route (not --network none)"
  LOGIN_PORT=$port
}

login_input_rules() { # login_input_rules 4|6: the one INPUT rule of the forward (R133)
  local fam=$1 entry f dev gw addr
  [[ -n "$LOGIN_PORT" ]] || return 0
  for entry in "${LOGIN_ROUTES[@]}"; do
    read -r f dev gw addr <<< "$entry"
    [[ "$f" == "$fam" ]] || continue
    rule -A INPUT -i "$dev" -s "$gw" -d "$addr" -p tcp --dport "$LOGIN_PORT" \
      -m conntrack --ctstate NEW -j ACCEPT
  done
}

relay_listening() { # relay_listening ADDRESS: is a socket listening on ADDRESS:LOGIN_PORT?
  local want=$1
  [[ "$want" != *:* ]] || want="[${want}]"
  ss -Hltn "sport = :${LOGIN_PORT}" 2>/dev/null | awk -v want="${want}:${LOGIN_PORT}" '$4 == want { found = 1 } END { exit !found }'
}

start_login_relay() { # one socat per family's address, as sandbox-relay; waits until it listens
  local entry fam dev gw addr listen tries
  [[ -n "$LOGIN_PORT" ]] || return 0
  for entry in "${LOGIN_ROUTES[@]}"; do
    read -r fam dev gw addr <<< "$entry"
    if [[ "$fam" == 4 ]]; then
      listen="TCP4-LISTEN:${LOGIN_PORT},bind=${addr},reuseaddr,fork,max-children=16"
    else
      listen="TCP6-LISTEN:${LOGIN_PORT},bind=[${addr}],ipv6only=1,reuseaddr,fork,max-children=16"
    fi
    # Started from a subshell: reparented to tini, never a child the agent could reap.
    (setpriv --reuid "$RELAY_USER" --regid nogroup --clear-groups --bounding-set=-all \
      --inh-caps=-all --ambient-caps=-all --no-new-privs -- \
      socat "$listen" "TCP4:127.0.0.1:${LOGIN_PORT}" </dev/null >/dev/null 2>&1 &)
    tries=0
    until relay_listening "$addr"; do
      ((tries++ < 50)) || fail "the relay of port ${LOGIN_PORT} did not start"
      sleep 0.1
    done
  done
}
