# shellcheck shell=bash
# --ask (R172): a DNS query for a name the policy has not decided is held, not refused, while
# the user answers in `run-in-container approve` (or until SANDBOX_ASK_TIMEOUT seconds pass).
# The holding resolver (ask-resolver.py, as dnsdist's user) sits between dnsdist and dnsmasq;
# sandbox-policy tells it the decisions (ASK_DIR/decided.list, root's). Sourced by the
# entrypoint and sandbox-policy, after lib-dns.sh.

readonly ASK_DIR="${RUN_DIR}/ask"
# shellcheck disable=SC2034 # used by lib-live.sh
readonly ASK_DECIDED="${ASK_DIR}/decided.list"
readonly ASK_PORT_A=5355 ASK_PORT_B=5356
readonly ASK_RESOLVER="${LIB_DIR}/ask-resolver.py"
ASK=0           # 1: undecided names are held
ASK_TIMEOUT=0   # seconds a name is held at most

parse_ask() { # SANDBOX_ASK_TIMEOUT=N (1-120 seconds): ask mode
  local t="${SANDBOX_ASK_TIMEOUT:-}"
  [[ -n "$t" ]] || return 0
  if [[ ! "$t" =~ ^[1-9][0-9]{0,2}$ ]] || ((t > 120)); then fail "invalid SANDBOX_ASK_TIMEOUT '${t}' (1-120 seconds)"; fi
  ASK=1 ASK_TIMEOUT=$t
}

ask_resolver_args() { # the ports it listens on and asks (dnsmasq "b" only when it runs)
  local args="${ASK_PORT_A} ${DNSMASQ_PORT_A}"
  if [[ "$DNS_SPLIT" == 1 ]]; then args+=" ${ASK_PORT_B} ${DNSMASQ_PORT_B}"; fi
  printf '%s' "$args"
}

start_ask_resolver() { # before dnsdist; ~0.2 s to listen (wait_for_ask_resolver)
  [[ "$ASK" == 1 ]] || return 0
  local -a args
  read -r -a args <<< "$(ask_resolver_args)"
  if [[ ! -d "${ASK_DIR}/pending" ]]; then
    install -d -m 0750 -o root -g "$DNSDIST_USER" "$ASK_DIR"
    install -d -m 0700 -o "$DNSDIST_USER" -g "$DNSDIST_USER" "${ASK_DIR}/pending"
  fi
  printf '%s\n' "${args[*]}" > "${RUN_DIR}/ask.args"
  (
    setpriv --reuid "$DNSDIST_USER" --regid "$DNSDIST_USER" --clear-groups --bounding-set=-all --inh-caps=-all \
      --no-new-privs -- python3 -I "$ASK_RESOLVER" "${args[@]}" </dev/null >/dev/null 2>>"${RUN_DIR}/ask.log" &
    printf '%s\n' "$!" > "${RUN_DIR}/ask.pid"
  )
}

clear_ask() { rm -rf "$ASK_DIR"; } # a new start: nothing is pending, nothing decided live

wait_for_ask_resolver() { # poll (10 ms, at most ~5 s) until it listens on its first port
  [[ "$ASK" == 1 ]] || return 0
  local i hex
  printf -v hex '0100007F:%04X' "$ASK_PORT_A"
  for ((i = 0; i < 500; i++)); do
    udp_listening "$hex" && return 0
    sleep 0.01
  done
  fail "the holding resolver of --ask did not start: $(tail -n 1 "${RUN_DIR}/ask.log" 2>/dev/null)"
}

resolver_options() { # resolv.conf's options: a held answer must not time the client out first
  local timeout=2 attempts=2
  if [[ "$ASK" == 1 ]]; then timeout=$((ASK_TIMEOUT + 1 > 30 ? 30 : ASK_TIMEOUT + 1)); fi
  printf 'options ndots:0 timeout:%s attempts:%s' "$timeout" "$attempts"
}
