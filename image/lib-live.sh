# shellcheck shell=bash
# The live policy's state and how it is applied (sandbox-policy, R167). Sourced by
# sandbox-policy (and by the entrypoint, which clears it at every start).
# State: POLICY_DIR (root 0700), one line per pattern "ACTION PATTERN UNTIL BY"; the latest
# change of a pattern replaces the earlier one. Nothing in it comes from the agent.

readonly POLICY_DIR="${RUN_DIR}/policy"
readonly LIVE_FILE="${POLICY_DIR}/live"
declare -A LIVE=()  # pattern -> "action until by"
LIVE_ORDER=()       # patterns, oldest change first
EXPIRED=()          # patterns whose time was up when the state was loaded

clear_live() { rm -rf "$POLICY_DIR"; } # a new start: the live changes of the last one are gone

lock_live() { # one change at a time (fd 8; the expiry timers do not inherit it)
  install -d -m 0700 -o root -g root "$POLICY_DIR"
  exec 8> "${POLICY_DIR}/lock"
  flock -w 10 8 || fail "another policy change is still running"
}

now_seconds() { printf '%s' "${EPOCHREALTIME%.*}"; }

load_live() { # LIVE_FILE -> LIVE, LIVE_ORDER; changes whose time is up -> EXPIRED
  local action pattern until by now
  now="$(now_seconds)"
  LIVE=() LIVE_ORDER=() EXPIRED=()
  [[ -f "$LIVE_FILE" ]] || return 0
  while read -r action pattern until by; do
    [[ "$action" == allow || "$action" == deny ]] || continue
    if [[ "$until" != - ]] && ((until <= now)); then EXPIRED+=("$pattern"); continue; fi
    [[ -n "${LIVE[$pattern]:-}" ]] || LIVE_ORDER+=("$pattern")
    LIVE[$pattern]="$action $until $by"
  done < "$LIVE_FILE"
}

set_live() { # set_live ACTION PATTERN UNTIL BY
  local -a kept=()
  local p
  for p in "${LIVE_ORDER[@]}"; do [[ "$p" == "$2" ]] || kept+=("$p"); done
  LIVE_ORDER=("${kept[@]}" "$2")
  LIVE[$2]="$1 $3 $4"
}

save_live() {
  local p
  for p in "${LIVE_ORDER[@]}"; do printf '%s %s\n' "${LIVE[$p]%% *}" "$p ${LIVE[$p]#* }"; done > "${LIVE_FILE}.tmp"
  mv -f "${LIVE_FILE}.tmp" "$LIVE_FILE"
}

show_live() {
  load_live
  local p
  for p in "${LIVE_ORDER[@]}"; do printf '%s %s\n' "${LIVE[$p]%% *}" "$p ${LIVE[$p]#* }"; done
}

live_list() { # live_list allow|deny: the live patterns of that action, blank-separated
  local p out=""
  for p in "${LIVE_ORDER[@]}"; do [[ "${LIVE[$p]%% *}" == "$1" ]] && out+=" $p"; done
  printf '%s' "$out"
}

# In a subshell: the deny tables of the applied policy stay as they are.
# shellcheck disable=SC2030,SC2034
denied_besides() { # denied_besides PATTERN: refused by the run's deny list or another live deny?
  (
    local p deny="${SANDBOX_DENIED_DOMAINS:-}"
    for p in "${LIVE_ORDER[@]}"; do [[ "$p" != "$1" && "${LIVE[$p]%% *}" == deny ]] && deny+=" $p"; done
    SANDBOX_DENIED_DOMAINS="$deny"
    DENIED=() DENY_EXACT=() DENY_WILD=()
    parse_denied
    is_denied "$1"
  )
}

# shellcheck disable=SC2030,SC2034
base_denies() { ( DENIED=() DENY_EXACT=() DENY_WILD=(); parse_denied; is_denied "$1" ); }

record_change() { # record_change ACTION PATTERN BY UNTIL: a `#policy` line in the egress record
  [[ -p "$EGRESS_FIFO" ]] || return 0
  local stamp="${EPOCHREALTIME%???}"
  printf '#policy %s %s %s %s %s\n' "${stamp/,/.}" "$1" "$2" "$3" "$4" > "$EGRESS_FIFO"
}

schedule_expiry() { # schedule_expiry UNTIL: a timer that runs `sandbox-policy expire` then
  [[ "$1" != - ]] || return 0
  local delay=$(($1 - $(now_seconds)))
  ((delay > 0)) || delay=1
  # Detached (reparented to tini); it holds no lock and no descriptor of this call.
  (trap - ERR; sleep "$delay"; exec /usr/local/bin/sandbox-policy expire) </dev/null >/dev/null 2>&1 8>&- &
  disown
}

expire_live() { # drop the changes whose time is up, apply, record each
  lock_live
  load_live
  ((${#EXPIRED[@]} > 0)) || return 0
  save_live
  apply_live
  local p
  for p in "${EXPIRED[@]}"; do record_change expire "$p" - -; done
}

stop_pidfile() { # stop_pidfile FILE COMM: TERM the process and wait (<= 3 s) until it is gone
  local pid="" i
  process_is "$1" "$2" || return 0
  read -r pid < "$1"
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 300; i++)); do
    [[ -d "/proc/${pid}" ]] || return 0
    sleep 0.01
  done
  kill -KILL "$pid" 2>/dev/null || true
}

same_file_text() { [[ -f "$1" && "$(cat "$1")" == "$2" ]]; } # same_file_text FILE TEXT

apply_dns_live() { # dnsmasq (one or two) and dnsdist from the policy now in DOMAINS/DENIED/...
  local conf_a conf_b text
  read_upstreams 2>/dev/null
  conf_a="$(dnsmasq_config a)"
  DNS_SPLIT=0
  if [[ "$conf_a" == *$'\n#split' ]]; then DNS_SPLIT=1 conf_a="${conf_a%$'\n#split'}"; fi
  if ! same_file_text "${CONF_DIR}/dnsmasq-a.conf" "$conf_a" || ! process_is "${RUN_DIR}/dnsmasq-a.pid" dnsmasq; then
    stop_pidfile "${RUN_DIR}/dnsmasq-a.pid" dnsmasq
    start_one_dnsmasq a "$conf_a" 8>&- # the daemons must not hold the lock
  fi
  if [[ "$DNS_SPLIT" == 1 ]]; then
    conf_b="$(dnsmasq_config b)"
    if ! same_file_text "${CONF_DIR}/dnsmasq-b.conf" "$conf_b" || ! process_is "${RUN_DIR}/dnsmasq-b.pid" dnsmasq; then
      stop_pidfile "${RUN_DIR}/dnsmasq-b.pid" dnsmasq
      start_one_dnsmasq b "$conf_b" 8>&-
    fi
  else
    stop_pidfile "${RUN_DIR}/dnsmasq-b.pid" dnsmasq
  fi
  if [[ "$ASK" == 1 && "$(ask_resolver_args)" != "$(cat "${RUN_DIR}/ask.args" 2>/dev/null)" ]]; then
    stop_pidfile "${RUN_DIR}/ask.pid" python3
    start_ask_resolver 8>&-
    wait_for_ask_resolver
  fi
  text="$(dnsdist_config)"
  same_file_text "$DNSDIST_CONF" "$text" && return 0
  # Only when the routing to dnsmasq "b" changes: a query in that moment is retried by the client.
  stop_pidfile "${RUN_DIR}/dnsdist.pid" dnsdist
  start_dnsdist 8>&-
  wait_for_dnsdist
}

accepting_lines() { # accepting_lines OFFSET: Squid's "Accepting" lines in cache.log after OFFSET
  tail -c "+$(($1 + 1))" "${SQUID_RUN_DIR}/cache.log" | grep -c '| Accepting ' || true
}

apply_name_check_live() { # squid.conf from the same functions as the start, then reconfigure
  local text offset ports=3 i why
  ipv6_loopback_works && PROXY_V6=1
  text="$(squid_config)"
  same_file_text "$SQUID_CONF" "$text" && return 0
  install -m 0640 -o root -g "$PROXY_USER" /dev/null "${SQUID_CONF}.new"
  printf '%s\n' "$text" > "${SQUID_CONF}.new"
  mv -f "${SQUID_CONF}.new" "$SQUID_CONF"
  [[ "$PROXY_V6" == 1 ]] && ports=6
  offset="$(stat -c %s "${SQUID_RUN_DIR}/cache.log")"
  squid_as_proxy -k reconfigure -f "$SQUID_CONF" 2>/dev/null 8>&- || fail "the name check (squid) refused its new configuration"
  for ((i = 0; i < 500; i++)); do # until it listens again on every port (~0.1 s), at most ~5 s
    if why="$(tail -c "+$((offset + 1))" "${SQUID_RUN_DIR}/cache.log" | grep -m 1 -E 'FATAL|ERROR:')"; then
      fail "the name check (squid) did not take the change: ${why#*| }"
    fi
    (($(accepting_lines "$offset") >= ports)) && return 0
    sleep 0.01
  done
  fail "the name check (squid) did not listen again within 5 s"
}

# shellcheck disable=SC2031,SC2034 # the subshells above change nothing here; DNS_LOG_FILE: lib-dns.sh
apply_live() { # the run's policy plus the live changes, through the entrypoint's own functions
  local allow deny
  allow="${SANDBOX_ALLOWED_DOMAINS:-}$(live_list allow)"
  deny="${SANDBOX_DENIED_DOMAINS:-}$(live_list deny)"
  SANDBOX_DENIED_DOMAINS="$deny"
  validate_domains "$allow"
  parse_policy
  parse_ask
  parse_no_inspect
  if [[ -p "$EGRESS_FIFO" ]]; then EGRESS_LOG=1 DNS_LOG_FILE="$EGRESS_FIFO"; fi
  apply_dns_live
  apply_name_check_live
  # Last: a held answer is released only once the resolver and the name check both know (R172).
  write_ask_decisions
  if [[ "$EGRESS_LOG" == 1 ]]; then # the next capper's file starts with the policy as it is now
    printf '#allow %s\n#deny %s\n#upstream %s\n' "${DOMAINS[*]}" "${DENIED[*]}" "$UPSTREAM_HOST" > "${EGRESS_RUN}/policy.new"
    mv -f "${EGRESS_RUN}/policy.new" "${EGRESS_RUN}/policy"
  fi
}

write_ask_decisions() { # the live decisions for --ask's resolver (root's, readable by its user)
  [[ "$ASK" == 1 && -d "$ASK_DIR" ]] || return 0
  local p
  install -m 0640 -o root -g "$DNSDIST_USER" /dev/null "${ASK_DECIDED}.new"
  for p in "${LIVE_ORDER[@]}"; do printf '%s %s\n' "${LIVE[$p]%% *}" "$p"; done > "${ASK_DECIDED}.new"
  mv -f "${ASK_DECIDED}.new" "$ASK_DECIDED"
}

show_pending() { # the names --ask holds now (the resolver's files: names only, checked again here)
  local f name since timeout _rest
  [[ -d "${ASK_DIR}/pending" ]] || return 0
  for f in "${ASK_DIR}/pending"/*; do
    [[ -f "$f" && ! -L "$f" ]] || continue
    name="${f##*/}"
    valid_hostname "$name" || continue
    read -r since timeout _rest < <(head -c 64 -- "$f") || true
    [[ "$since" =~ ^[0-9]{1,12}$ && "$timeout" =~ ^[0-9]{1,3}$ ]] || continue
    printf '%s %s %s\n' "$name" "$since" "$timeout"
  done | head -n 1000
}
