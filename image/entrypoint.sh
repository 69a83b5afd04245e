#!/bin/bash
# codex-sandbox entrypoint (runs as root under tini). See image/CONTRACT.md.
# Order: verify mounts -> validate -> service ids -> egress log (meanwhile the run CA) ->
# TLS inspection (mitmproxy, started first: ~1 s of Python) -> DNS (dnsmasq, then the dnsdist
# front) -> firewall (IPv4 + IPv6, default-deny, nat redirect of 80/443 to squid) -> self-check
# of the rules and the DNS filter -> name check (squid, once mitmproxy listens) and its probe ->
# clone -> init hook -> privilege drop + exec (or keep a session alive). The CA store and the
# user mapping run in the background from mitmproxy's start on and are waited for after the
# name check's probe: no process of the agent runs before every step ended well.
# SANDBOX_AGENT (codex, claude, gemini) picks the agent; login mode may relay one port.
# Any failure before the agent starts: one line "codex-sandbox: <what>: <why>"
# on stderr and exit 71. The agent never runs on a half-applied firewall.
# Runs again on `docker start` of a stopped session: every step is idempotent.
set -Eeuo pipefail
umask 022
# shellcheck source=lib-common.sh
. /usr/local/lib/codex-sandbox/lib-common.sh
enter_root_context
arm_err_trap
# shellcheck source=lib-dns.sh
. "${LIB_DIR}/lib-dns.sh"
# shellcheck source=lib-dnsdist.sh
. "${LIB_DIR}/lib-dnsdist.sh"
# shellcheck source=lib-policy.sh
. "${LIB_DIR}/lib-policy.sh"
# shellcheck source=lib-egress.sh
. "${LIB_DIR}/lib-egress.sh"
# shellcheck source=lib-proxy.sh
. "${LIB_DIR}/lib-proxy.sh"
# shellcheck source=lib-inspect.sh
. "${LIB_DIR}/lib-inspect.sh"
# shellcheck source=lib-firewall.sh
. "${LIB_DIR}/lib-firewall.sh"
# shellcheck source=lib-user.sh
. "${LIB_DIR}/lib-user.sh"
# shellcheck source=lib-clone.sh
. "${LIB_DIR}/lib-clone.sh"
# shellcheck source=lib-session.sh
. "${LIB_DIR}/lib-session.sh"
# shellcheck source=lib-mounts.sh
. "${LIB_DIR}/lib-mounts.sh"
# shellcheck source=lib-agent.sh
. "${LIB_DIR}/lib-agent.sh"
# shellcheck source=lib-login.sh
. "${LIB_DIR}/lib-login.sh"
# shellcheck source=lib-live.sh
. "${LIB_DIR}/lib-live.sh"
# shellcheck source=lib-ask.sh
. "${LIB_DIR}/lib-ask.sh"
# shellcheck source=lib-report.sh
. "${LIB_DIR}/lib-report.sh"

run_init_hook() { # run the project's init.sh as the agent user; stop on failure
  STEP="init hook"
  local hook="" rc=0
  if [[ -n "${SANDBOX_ENV_DIR:-}" && -f "${SANDBOX_ENV_DIR}/init.sh" ]]; then
    hook="${SANDBOX_ENV_DIR}/init.sh"
  elif [[ -f /codex_home/init.sh ]]; then
    hook=/codex_home/init.sh
  fi
  [[ -n "$hook" ]] || return 0
  if [[ ! -x "$hook" ]]; then
    warn "${hook} is not executable; skipped (chmod +x it to run it)"
    return 0
  fi
  trap - ERR
  (cd "$WORKDIR" && run_as_agent "$hook") || rc=$?
  arm_err_trap
  if [[ "$rc" -ne 0 ]]; then
    printf 'codex-sandbox: init hook failed (exit %s)\n' "$rc" >&2
    exit "$rc"
  fi
}

# shellcheck disable=SC2317 # called by the trap main sets
interrupted() { # interrupted SIGNAL: before the agent starts, end as bash's default would (tini passes 128+N on)
  trap - "$1"
  kill -s "$1" "$$"
}

in_background() { # in_background FUNCTION: FUNCTION in a background subshell, its pid in BG_PID
  # Its failure prints its one line there and ends the subshell (exit 71): await_background
  # then stops the start. The agent never starts before every such step ended well.
  ( "$1" ) &
  BG_PID=$!
}

await_background() { # await_background PID: wait; a failed background step stops the start
  local rc=0
  wait "$1" || rc=$?
  ((rc != 0)) || return 0
  if [[ "$rc" == "$EXIT_SETUP" ]]; then
    trap - ERR
    exit "$rc"
  fi
  fail "a step in the background ended with exit ${rc}"
}

# shellcheck disable=SC2317 # called through in_background
prepare_agent_side() { # (in the background) the agent's CA store and its uid/gid and trees
  STEP="ca certificates"
  untrust_run_ca
  install_extra_ca
  trust_run_ca
  STEP="user mapping"
  map_agent_user
  map_extra_workdirs
}

start_filters() { # DNS filter, firewall (default-deny in one transaction), egress log, their self-check
  STEP="firewall"
  create_ipsets
  # dnsmasq, then dnsdist (~0.1 s to listen: waited for after the firewall). Squid resolves
  # an upstream proxy's name once, at its start: then the resolver must answer already.
  STEP="dns"
  prepare_dns
  start_dnsmasq
  if [[ -n "$UPSTREAM_BY_NAME" ]]; then wait_for_dns; fi
  STEP="name check"
  prepare_proxy
  STEP="firewall"
  apply_firewall
  STEP="egress log"
  start_ulogd
  STEP="dns"
  wait_for_dns
  # Every check that needs neither mitmproxy nor Squid, while they start.
  STEP="self-check"
  self_check
  check_redirects
}

main() {
  # A Ctrl-C (SIGINT, to the whole group) stops the start at once: without a trap, bash goes on
  # when the child it waits for outlives it (usermod blocks it) or when it waits for a step in
  # the background. run_agent replaces it.
  trap 'interrupted INT' INT
  STEP="start"
  require_root
  # Before anything reads or writes below a mount: each is what the launcher checked.
  STEP="mounts"
  verify_mounts
  STEP="start"
  clear_ready
  clear_live
  clear_ask
  local mode="${SANDBOX_COMMAND:-codex}"
  case "$mode" in
    codex | shell | session | login) ;;
    *) fail "unknown SANDBOX_COMMAND '${SANDBOX_COMMAND}' (expected codex, shell, session or login)" ;;
  esac
  # Before anything runs: the agent must be one the image has (R132).
  STEP="agent"
  choose_agent "$mode"
  if [[ "$mode" != session ]]; then set_agent_command "$mode" "$@"; fi
  STEP="login"
  check_login_port "$mode"
  STEP="validate allowed domains"
  validate_domains "${SANDBOX_ALLOWED_DOMAINS:-}"
  STEP="egress policy"
  parse_policy
  parse_ask
  STEP="user mapping"
  read_workdirs
  link_codex_home
  resolve_target_ids
  separate_service_ids
  # mitmproxy first: Python needs ~1 s to listen, overlapped with everything up to Squid's
  # start (R160). Its CA (openssl) is made while the egress log is set up.
  STEP="tls inspection"
  parse_no_inspect
  in_background prepare_inspect
  local inspect_setup=$BG_PID
  STEP="egress log"
  init_egress_log
  STEP="tls inspection"
  await_background "$inspect_setup"
  start_inspect
  # The CA store and the user mapping in parallel with the filters: no network, no agent
  # process, nothing the services read; waited for before anything runs as the agent.
  in_background prepare_agent_side
  local agent_side=$BG_PID
  start_filters
  # Squid probes its cache_peer once at start: mitmproxy must listen by then, or the first
  # inspected connection fails (R160).
  STEP="tls inspection"
  wait_for_inspect
  STEP="name check"
  start_proxy
  STEP="self-check"
  check_proxy
  STEP="user mapping"
  await_background "$agent_side"
  STEP="dns"
  prewarm_allowed_domains
  WORKDIR="${SANDBOX_WORKDIR:-$AGENT_CWD}"
  [[ -d "$WORKDIR" ]] || fail "workdir ${WORKDIR} does not exist"
  agent_env
  clone_repository
  run_init_hook
  STEP="login"
  start_login_relay
  STEP="exec"
  mark_ready
  trap - ERR
  if [[ "$mode" == session ]]; then
    # tini stays PID 1 and signals this process group: `docker stop` is immediate.
    cd "$WORKDIR"
    drop_privileges_exec sleep infinity
  fi
  run_agent "${AGENT_ARGV[@]}"
}

run_agent() { # the agent as a child (not exec'd): once it ends, the egress log is drained
  local rc=0
  # Handlers, not "ignore": the agent gets the default dispositions back when it starts.
  # tini -g signals the whole group; root only waits, then passes the code on (128+N).
  trap ':' INT TERM HUP QUIT USR1 USR2
  # Only the agent works in the workdir; root, which drains the log after it, stays in / (R96).
  report_start
  (cd "$WORKDIR" && drop_privileges_exec "$@") || rc=$?
  flush_egress_log
  write_report "$rc"
  hand_back_tokens
  exit "$rc"
}

main "$@"
