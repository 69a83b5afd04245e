#!/bin/bash
# sandbox-policy — the live policy of a running sandbox (R167). Only the launcher runs it, with
# `docker exec -u 0` (the control channel is the engine: the agent's uid cannot reach it, and
# the state below is root's alone, R168):
#   sandbox-policy allow BY UNTIL PATTERN...   allow host or *.host (HTTP/HTTPS) from now on
#   sandbox-policy deny BY UNTIL PATTERN...    refuse them from now on (deny wins, as at start)
#   sandbox-policy expire                      drop changes whose time is up (its own timers)
#   sandbox-policy show                        the live changes: ACTION PATTERN UNTIL BY
#   sandbox-policy pending                     names --ask holds now: NAME SINCE TIMEOUT (R172)
# BY: who asked (the host user, [A-Za-z0-9._-]{1,32}); UNTIL: epoch seconds or "-" (the run).
# The run's own policy (SANDBOX_ALLOWED_DOMAINS, SANDBOX_DENIED_DOMAINS) plus the live changes
# go through the entrypoint's own functions: dnsmasq (the resolver and the address sets) is
# restarted, dnsdist only when its routing changes, Squid (the name check) reconfigured; each
# change is a `#policy` line in the egress record. Exit 0 done, 2 bad input (nothing changed),
# 3 not ready, 71 a step failed. The changes last until the container stops (the entrypoint
# clears them at every start).
set -Eeuo pipefail
umask 077

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
# shellcheck source=lib-session.sh
. "${LIB_DIR}/lib-session.sh"
# shellcheck source=lib-live.sh
. "${LIB_DIR}/lib-live.sh"
# shellcheck source=lib-ask.sh
. "${LIB_DIR}/lib-ask.sh"

refuse() { # refuse WHY: bad input, nothing changed (exit 2)
  trap - ERR
  printf 'codex-sandbox: %s\n' "$1" >&2
  exit 2
}

check_pattern() { # check_pattern ENTRY: host or *.host, lowercase, as validate_pattern (but exit 2)
  local entry=$1 host=${1#\*.}
  valid_hostname "$host" || refuse "'${entry}' is not a host name or *.host pattern"
  [[ "$entry" != \*.* || "$host" == *.* ]] || refuse "'${entry}' would cover a whole top-level domain"
}

check_request() { # check_request BY UNTIL PATTERN...
  [[ "$1" =~ ^[A-Za-z0-9._-]{1,32}$ || "$1" == - ]] || refuse "bad requester '${1}'"
  [[ "$2" == - || "$2" =~ ^[1-9][0-9]{0,11}$ ]] || refuse "bad expiry '${2}' (epoch seconds or -)"
  (($# > 2)) || refuse "no host given"
  local p
  for p in "${@:3}"; do check_pattern "$p"; done
}

change() { # change allow|deny BY UNTIL PATTERN...
  local action=$1 by=$2 until=$3 p
  shift 3
  check_request "$by" "$until" "$@"
  is_ready || { printf 'codex-sandbox: the sandbox is still starting: try again in a moment\n' >&2; exit 3; }
  lock_live
  load_live
  for p in "$@"; do
    if [[ "$action" != allow ]] || ! denied_besides "$p"; then continue; fi
    base_denies "$p" && refuse "${p} is denied by this run's policy (--deny or a settings file): a live allow cannot lift that"
    refuse "${p} is under a live deny of a wider pattern: allow that pattern to lift it"
  done
  for p in "$@"; do set_live "$action" "$p" "$until" "$by"; done
  save_live
  apply_live
  for p in "${EXPIRED[@]}"; do record_change expire "$p" - -; done
  for p in "$@"; do record_change "$action" "$p" "$by" "$until"; done
  schedule_expiry "$until"
  for p in "$@"; do printf '%s %s\n' "$action" "$p"; done
}

case "${1:-}" in
  allow | deny) STEP="live policy"; require_root; change "$@" ;;
  expire) STEP="live policy"; require_root; expire_live ;;
  show) STEP="live policy"; require_root; show_live ;;
  pending) STEP="live policy"; require_root; show_pending ;;
  *) printf 'usage: sandbox-policy allow|deny BY UNTIL PATTERN... | expire | show | pending\n' >&2; exit 2 ;;
esac
