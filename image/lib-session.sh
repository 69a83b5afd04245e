# shellcheck shell=bash
# Readiness of a session, shared by sandbox-entrypoint and sandbox-enter: the marker holds
# the start time of this container's PID 1, so a marker left by an earlier start (after
# `docker start` of a stopped session) never counts.

readonly READY_FILE="${RUN_DIR}/session-ready"

boot_stamp() { awk '{ print $22 }' /proc/1/stat; }

clear_ready() { rm -f "$READY_FILE"; }

mark_ready() { # last step before the agent starts: setup (firewall, user, init hook) is done
  boot_stamp > "${READY_FILE}.tmp"
  mv -f "${READY_FILE}.tmp" "$READY_FILE"
}

is_ready() { [[ -f "$READY_FILE" && "$(cat "$READY_FILE")" == "$(boot_stamp)" ]]; }

wait_until_ready() { # wait_until_ready SECONDS: poll while the entrypoint is still setting up
  local limit=$1 waited=0
  is_ready && return 0
  while (( waited < limit * 10 )); do
    sleep 0.1
    waited=$((waited + 1))
    is_ready && return 0
    if (( waited == 20 )); then warn "the sandbox is still starting; waiting up to ${limit}s"; fi
  done
  fail "the sandbox did not finish starting (see docker logs)"
}
