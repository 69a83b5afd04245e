#!/bin/bash
# sandbox-egress take — for `docker exec` (as root) into a session after each command: prints
# on stdout the egress log written inside the container since the last take (at most the cap
# of one run, plus "#dropped" lines) and removes it, so no raw log stays anywhere. The current
# capper is ended in-band (its marker follows every line written before it), then a new one
# continues from the same FIFO. Exit 0 also when nothing was logged; 3 when the container
# keeps no log of its own (a plain run: the launcher reads the mounted directory instead).
# It also hands back a login's refreshed tokens (lib-inspect.sh hand_back_tokens, R164).
set -Eeuo pipefail
umask 077

# shellcheck source=lib-common.sh
. /usr/local/lib/codex-sandbox/lib-common.sh
enter_root_context
arm_err_trap
# shellcheck source=lib-egress.sh
. "${LIB_DIR}/lib-egress.sh"
# shellcheck source=lib-inspect.sh
. "${LIB_DIR}/lib-inspect.sh"

take() {
  STEP="egress take"
  require_root
  [[ -p "$EGRESS_FIFO" && -f "${EGRESS_RUN}/capper" ]] || exit 3
  mountpoint -q "$EGRESS_DIR" && exit 3
  # fd 9 holds the lock; the next capper must not inherit it (start_capper closes it).
  exec 9> "${EGRESS_RUN}/take.lock"
  flock -w 10 9 || fail "another take is still running"
  local pid gen f files=()
  read -r pid gen < "${EGRESS_RUN}/capper"
  [[ "$pid" =~ ^[0-9]+$ && "$gen" =~ ^[0-9]+$ ]] || fail "bad capper record"
  end_capper "$pid"
  start_capper "$((gen + 1))"
  # Every closed file, oldest first (earlier starts of a restarted session included).
  mapfile -t files < <(find "$EGRESS_DIR" -maxdepth 1 -type f -name 'egress.*.log' -printf '%f\n' | sort -t. -k2,2n)
  for f in "${files[@]}"; do
    [[ "$f" == "egress.$((gen + 1)).log" ]] && continue
    head -c "$((EGRESS_CAP_BYTES + 65536))" -- "${EGRESS_DIR}/${f}"
    rm -f -- "${EGRESS_DIR:?}/${f}"
  done
  # A login the agent refreshed meanwhile: its tokens go to the launcher after each command (R164).
  hand_back_tokens
}

case "${1:-}" in
  take) take ;;
  *) printf 'usage: sandbox-egress take\n' >&2; exit 2 ;;
esac
