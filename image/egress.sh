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

readonly PEEK_MAX_BYTES=1048576

peek_file() { # peek_file GEN: the file of that generation (a plain run has one, generation 0)
  if mountpoint -q "$EGRESS_DIR"; then [[ "$1" == 0 ]] && printf '%s/egress.log' "$EGRESS_DIR"; return 0; fi
  printf '%s/egress.%s.log' "$EGRESS_DIR" "$1"
}

peek() { # peek GEN OFFSET: complete lines from there on (<= 1 MiB), nothing removed (R170)
  STEP="egress peek"
  require_root
  [[ "${1:-}" =~ ^[0-9]{1,9}$ && "${2:-}" =~ ^[0-9]{1,12}$ ]] || { printf 'usage: sandbox-egress peek GEN OFFSET\n' >&2; exit 2; }
  [[ -p "$EGRESS_FIFO" && -f "${EGRESS_RUN}/capper" ]] || exit 3
  local gen=$((10#$1)) offset=$((10#$2)) newest _pid file size tmp
  read -r _pid newest < "${EGRESS_RUN}/capper"
  [[ "$newest" =~ ^[0-9]+$ ]] || fail "bad capper record"
  mountpoint -q "$EGRESS_DIR" && newest=0
  # A generation already taken (its file gone) continues at the next one, from its start.
  while ((gen < newest)); do
    file="$(peek_file "$gen")"
    [[ -f "$file" && ! -L "$file" ]] && break
    gen=$((gen + 1)) offset=0
  done
  file="$(peek_file "$gen")"
  if [[ -f "$file" && ! -L "$file" ]]; then
    tmp="$(mktemp -p "$EGRESS_RUN" peek.XXXXXX)"
    tail -c "+$((offset + 1))" -- "$file" | head -c "$PEEK_MAX_BYTES" > "$tmp" || true
    size="$(stat -c %s "$tmp")"
    # Only whole lines: a partial last one is read again next time.
    if ((size > 0)) && [[ "$(tail -c 1 "$tmp" | od -An -c | tr -d ' ')" != '\n' ]]; then
      size=$((size - $(tail -n 1 "$tmp" | wc -c)))
    fi
    head -c "$size" "$tmp"
    rm -f "$tmp"
    offset=$((offset + size))
  fi
  printf '\001POS %s %s\n' "$gen" "$offset"
}

case "${1:-}" in
  take) take ;;
  peek) peek "${2:-}" "${3:-}" ;;
  *) printf 'usage: sandbox-egress take | peek GEN OFFSET\n' >&2; exit 2 ;;
esac
