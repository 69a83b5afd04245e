#!/bin/bash
# codex-sandbox entrypoint (runs as root under tini). See image/CONTRACT.md.
# Order: validate -> DNS (dnsmasq) -> firewall (IPv4 + IPv6) -> self-check ->
# user mapping -> init hook -> privilege drop + exec.
# Any failure before the agent starts: one line "codex-sandbox: <what>: <why>"
# on stderr and exit 71. The agent never runs on a half-applied firewall.
set -Eeuo pipefail
umask 022

readonly EXIT_SETUP=71
readonly LIB_DIR=/usr/local/lib/codex-sandbox
readonly CONF_DIR=/etc/codex-sandbox
readonly RUN_DIR=/run/codex-sandbox
readonly AGENT_USER=codex
STEP="start"

fail() { # fail <why>: report the current step and stop, agent never started
  trap - ERR
  printf 'codex-sandbox: %s: %s\n' "$STEP" "$1" >&2
  exit "$EXIT_SETUP"
}

on_err() { # ERR trap: any unexpected failing command stops the start-up
  local rc=$1 cmd=$2
  fail "command failed (exit ${rc}): ${cmd}"
}
trap 'on_err "$?" "$BASH_COMMAND"' ERR

warn() { printf 'codex-sandbox: warning: %s\n' "$1" >&2; }

# shellcheck source=lib-dns.sh
. "${LIB_DIR}/lib-dns.sh"
# shellcheck source=lib-firewall.sh
. "${LIB_DIR}/lib-firewall.sh"
# shellcheck source=lib-user.sh
. "${LIB_DIR}/lib-user.sh"

require_root() {
  STEP="start"
  [[ "$(id -u)" == 0 ]] || fail "entrypoint must start as root (got uid $(id -u))"
}

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
  export SANDBOX_ENV_DIR="${SANDBOX_ENV_DIR:-/codex_home}"
  trap - ERR
  (cd "$WORKDIR" && drop_privileges_exec "$hook") || rc=$?
  trap 'on_err "$?" "$BASH_COMMAND"' ERR
  if [[ "$rc" -ne 0 ]]; then
    printf 'codex-sandbox: init hook failed (exit %s)\n' "$rc" >&2
    exit "$rc"
  fi
}

main() {
  require_root
  case "${SANDBOX_COMMAND:-codex}" in
    codex | shell) ;;
    *) fail "unknown SANDBOX_COMMAND '${SANDBOX_COMMAND}' (expected codex or shell)" ;;
  esac
  STEP="validate allowed domains"
  validate_domains "${SANDBOX_ALLOWED_DOMAINS:-}"
  STEP="user mapping"
  resolve_target_ids
  separate_dnsmasq_uid
  STEP="firewall"
  create_ipsets
  STEP="dns"
  start_dnsmasq
  STEP="firewall"
  apply_firewall
  STEP="self-check"
  self_check
  STEP="dns"
  prewarm_allowed_domains
  STEP="user mapping"
  map_agent_user
  WORKDIR="${SANDBOX_WORKDIR:-$PWD}"
  [[ -d "$WORKDIR" ]] || fail "workdir ${WORKDIR} does not exist"
  agent_env
  run_init_hook
  STEP="exec"
  cd "$WORKDIR"
  if [[ "${SANDBOX_COMMAND:-codex}" == "shell" ]]; then
    if [[ $# -eq 0 ]]; then set -- bash -l; fi
  else
    set -- codex -c 'sandbox_mode="danger-full-access"' "$@"
  fi
  trap - ERR
  drop_privileges_exec "$@"
}

main "$@"
