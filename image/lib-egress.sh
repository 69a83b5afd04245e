# shellcheck shell=bash
# Egress log: every refused DNS name (dnsmasq), every connection the name check decided
# (Squid: admitted with bytes up/down, or refused with its reason) and every packet the
# firewall rejected (NFLOG -> ulogd2 JSON) goes through ONE FIFO to a capper (awk, as the
# unprivileged user sandbox-log) that keeps only the lines the summary needs, rate-limits
# each source and stops writing at a fixed size, counting what it dropped ("#dropped N").
#   - plain runs: the capper writes to the host directory mounted at EGRESS_DIR (egress.log);
#     the launcher summarises it after the container exits and removes it.
#   - sessions (nothing mounted): it writes inside the container (root-only directory);
#     `sandbox-egress take` (docker exec, after each command) hands over what was written
#     since the last take, so nothing stays on the host.
# The agent can neither write to the FIFO (root:codex-egress 0620, in a root:codex-egress 0710
# directory) nor read the logs (parent directory root 0700).

readonly EGRESS_PARENT=/var/lib/codex-sandbox/private
readonly EGRESS_DIR="${EGRESS_PARENT}/egress"
readonly EGRESS_RUN="${RUN_DIR}/egress"
readonly EGRESS_FIFO="${EGRESS_RUN}/in.fifo"
readonly EGRESS_GROUP=codex-egress LOG_USER=sandbox-log
readonly EGRESS_CAP_BYTES=$((8 * 1024 * 1024))
readonly NFLOG_GROUP=1
# shellcheck disable=SC2034 # used by lib-firewall.sh
readonly NFLOG_PREFIX=codex-blocked NFLOG_ALLOWED_PREFIX=codex-allowed
readonly PORT_CONNMARK=0x10 # connections admitted on an extra port (report_port_bytes)
# shellcheck disable=SC2034 # used by lib-firewall.sh: the comment of the rule counting every reject
readonly REJECT_COUNTER=codex-rejects
readonly ULOGD_CONF="${CONF_DIR}/ulogd.conf"
readonly ULOGD_PID="${RUN_DIR}/ulogd.pid"
readonly CAPPER_AWK="${LIB_DIR}/egress-capper.awk"
readonly CAPPER_NONCE="${EGRESS_RUN}/capper.nonce"
readonly UNLOGGED_SEEN="${EGRESS_RUN}/unlogged"
EGRESS_LOG=0        # SANDBOX_EGRESS_LOG=1: keep the log (the launcher always asks for it)
EGRESS_MOUNTED=0    # a host directory is mounted at EGRESS_DIR (plain runs)

egress_output() { # egress_output GEN: the file generation GEN of the capper writes
  if [[ "$EGRESS_MOUNTED" == 1 ]]; then printf '%s/egress.log' "$EGRESS_DIR"; else printf '%s/egress.%s.log' "$EGRESS_DIR" "$1"; fi
}

init_egress_log() { # FIFO, output directory, rotation nonce (before any writer starts)
  [[ "${SANDBOX_EGRESS_LOG:-}" == 1 ]] || return 0
  # The logs are root's alone (the capper writes to a descriptor root opened); the services
  # only pass through the FIFO's directory.
  install -d -m 0700 -o root -g root "$EGRESS_PARENT"
  install -d -m 0710 -o root -g "$EGRESS_GROUP" "$EGRESS_RUN"
  if mountpoint -q "$EGRESS_DIR"; then
    EGRESS_MOUNTED=1
  else
    install -d -m 0700 -o root -g root "$EGRESS_DIR"
  fi
  rm -f "$EGRESS_FIFO" "$UNLOGGED_SEEN" # a restarted session's firewall counts from 0 again
  mkfifo -m 0620 "$EGRESS_FIFO"
  chown "root:${EGRESS_GROUP}" "$EGRESS_FIFO"
  # The in-band rotation marker carries a secret: no logged name can forge it.
  local nonce
  read -r nonce < /proc/sys/kernel/random/uuid
  printf '%s\n' "${nonce//-/}" > "${EGRESS_RUN}/nonce"
  chmod 0600 "${EGRESS_RUN}/nonce"
  # The capper reads it from a file only its user can read, never from its command line
  # (R144: `ps` shows every process's argv to every user).
  install -m 0400 -o "$LOG_USER" -g root "${EGRESS_RUN}/nonce" "$CAPPER_NONCE"
  # The policy heads each file: the summary tells a name that is not allowed from one that
  # is allowed but pointed at another address (Squid answers 409 for both).
  printf '#allow %s\n#deny %s\n#upstream %s\n' "${DOMAINS[*]}" "${DENIED[*]}" "$UPSTREAM_HOST" > "${EGRESS_RUN}/policy"
  # shellcheck disable=SC2034 # read by lib-dns.sh
  DNS_LOG_FILE="$EGRESS_FIFO"
  EGRESS_LOG=1
  # A FIFO opened read-write never reports end-of-file: writers never see a closed pipe, even
  # between two cappers (sandbox-egress take). The holder keeps it open for the container's life.
  (setpriv --reuid "$LOG_USER" --regid "$EGRESS_GROUP" --clear-groups --bounding-set=-all \
    --inh-caps=-all --no-new-privs -- sleep infinity 0<>"$EGRESS_FIFO" >/dev/null 2>&1 &)
  start_capper "$(next_generation)"
}

next_generation() { # one more than the newest file of an earlier start (a restarted session)
  local f gen=0 n
  for f in "$EGRESS_DIR"/egress.*.log; do
    [[ -f "$f" ]] || continue
    n="${f##*/egress.}" n="${n%.log}"
    [[ "$n" =~ ^[0-9]+$ ]] && (( n >= gen )) && gen=$((n + 1))
  done
  printf '%s' "$gen"
}

start_capper() { # start_capper GEN: awk reads the FIFO, appends to egress_output GEN
  local gen=$1 out
  out="$(egress_output "$gen")"
  [[ -f "$out" && ! -L "$out" ]] || { rm -f "$out"; install -m 0644 -o root -g root /dev/null "$out"; }
  cat "${EGRESS_RUN}/policy" >> "$out"
  # Started from a subshell: reparented to tini, never a child the agent's process could reap.
  (
    setpriv --reuid "$LOG_USER" --regid "$EGRESS_GROUP" --clear-groups --bounding-set=-all \
      --inh-caps=-all --no-new-privs -- \
      mawk -W interactive -v cap="$EGRESS_CAP_BYTES" -v noncefile="$CAPPER_NONCE" -f "$CAPPER_AWK" \
      0<>"$EGRESS_FIFO" >>"$out" 2>/dev/null 9>&- &
    printf '%s %s\n' "$!" "$gen" > "${EGRESS_RUN}/capper"
  )
}

proxy_log_lines() { # squid.conf: one line per decided connection, names URL-escaped
  [[ "$EGRESS_LOG" == 1 ]] || { printf 'access_log none\n'; return 0; }
  # squid TIME CLIENT PORTNAME METHOD HOST PORT SNI BUMP HTTP-STATUS SQUID-STATUS ERROR SERVER UP DOWN
  # NOTE (R147: the name check's `reason` note, `malformed` for a name that is no host name)
  printf '%s\n' \
    'logformat codex squid %ts.%03tu %>a %>lp %rm %#>rd %>rP %#ssl::>sni %ssl::bump_mode %>Hs %Ss %err_code %<a %>st %<st %#{reason}note' \
    "access_log stdio:${EGRESS_FIFO} codex" "buffered_logs off"
}

ulogd_config() {
  local -a found=(/usr/lib/*/ulogd/ulogd_output_JSON.so)
  local plugins="${found[0]%/*}"
  printf '%s\n' \
    "# Generated by sandbox-entrypoint." \
    "[global]" "logfile=\"${RUN_DIR}/ulogd.log\"" "loglevel=5"
  local p
  for p in inppkt_NFLOG raw2packet_BASE filter_IFINDEX filter_IP2STR output_JSON; do
    printf 'plugin="%s/ulogd_%s.so"\n' "$plugins" "$p"
  done
  printf '%s\n' \
    "stack=log1:NFLOG,base1:BASE,ifi1:IFINDEX,ip2str1:IP2STR,json1:JSON" \
    "[log1]" "group=${NFLOG_GROUP}" "netlink_qthreshold=1" \
    "[json1]" "sync=1" "file=\"${EGRESS_FIFO}\""
}

# Bytes of the connections admitted on extra ports (marked PORT_CONNMARK by policy_rules;
# the launcher's --sysctl net.netfilter.nf_conntrack_acct=1 counts them): read from the
# kernel's connection table whenever a capper ends, as `#conn ADDRESS PORT UP DOWN`, the
# growth since the last report, summed per destination (R151). A connection that ended and left the
# table (2 minutes after its close) before that keeps the bytes reported earlier.
# shellcheck disable=SC2016 # awk program
readonly PORT_BYTES_AWK='
FILENAME == state { seen[$1] = $2 " " $3; next }
{
  delete f; mark = 0
  for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2) {
    if (kv[1] == "mark") mark = kv[2] + 0
    else f[kv[1], ++c[kv[1]]] = kv[2]
  }
  delete c
  if (int(mark / bit) % 2 != 1) next
  key = f["src", 1] "|" f["sport", 1] "|" f["dst", 1] "|" f["dport", 1]
  up = f["bytes", 1] + 0; down = f["bytes", 2] + 0
  split(seen[key], old, " ")
  dest = f["dst", 1] " " f["dport", 1]
  grow_up[dest] += up - old[1]; grow_down[dest] += down - old[2]
  print key, up, down > newstate
}
END { for (dest in grow_up) if (grow_up[dest] + grow_down[dest] > 0) printf "#conn %s %d %d\n", dest, grow_up[dest], grow_down[dest] > out }'

report_port_bytes() { # #conn lines into the FIFO, before a capper ends
  [[ -r /proc/net/nf_conntrack ]] || return 0
  local state="${EGRESS_RUN}/conn.state"
  [[ -f "$state" ]] || : > "$state"
  awk -v state="$state" -v newstate="${state}.new" -v out="$EGRESS_FIFO" -v bit=$((PORT_CONNMARK)) \
    "$PORT_BYTES_AWK" "$state" /proc/net/nf_conntrack 2>/dev/null || return 0
  if [[ -f "${state}.new" ]]; then mv -f "${state}.new" "$state"; else : > "$state"; fi
}

start_ulogd() { # ulogd2 as its own user (root if the agent would share that uid)
  [[ "$EGRESS_LOG" == 1 ]] || return 0
  ulogd_config > "$ULOGD_CONF"
  rm -f "$ULOGD_PID"
  if ! ulogd -d -c "$ULOGD_CONF" -p "$ULOGD_PID" -u ulog >/dev/null 2>&1; then
    warn "ulogd2 did not start: blocked connections are not logged (see ${RUN_DIR}/ulogd.log)"
    return 0
  fi
  local i pid comm
  for ((i = 0; i < 100; i++)); do # poll tightly (10 ms, at most ~1 s), no process per try
    pid="" comm=""
    read -r pid 2>/dev/null < "$ULOGD_PID" || true
    if [[ "$pid" =~ ^[0-9]+$ ]]; then read -r comm 2>/dev/null < "/proc/${pid}/comm" || true; fi
    [[ "$comm" == ulogd ]] && return 0
    sleep 0.01
  done
  warn "ulogd2 is not running: blocked connections are not logged (see ${RUN_DIR}/ulogd.log)"
}

capper_alive() { # capper_alive PID: running (a zombie has ended)
  local state _rest
  # It may exit between any two reads: a vanished /proc entry is an ended capper, silently.
  { read -r _ _ state _rest < "/proc/$1/stat"; } 2>/dev/null || return 1
  [[ "$state" != Z ]]
}

unlogged_rejects() { # packets rejected since the last call that the log limit did not log (R142)
  local save total=0 logged=0 seen=0 line count
  for save in iptables-save ip6tables-save; do
    while IFS= read -r line; do
      count="${line#[}" count="${count%%:*}"
      [[ "$count" =~ ^[0-9]+$ ]] || continue
      case "$line" in
        *"--comment ${REJECT_COUNTER}"*) total=$((total + count)) ;;
        *"--nflog-prefix ${NFLOG_PREFIX}"*) logged=$((logged + count)) ;;
      esac
    done < <("$save" -c -t filter 2>/dev/null)
  done
  read -r seen 2>/dev/null < "$UNLOGGED_SEEN" || seen=0
  [[ "$seen" =~ ^[0-9]+$ ]] || seen=0
  printf '%s\n' "$((total - logged))" > "$UNLOGGED_SEEN"
  printf '%s' "$((total - logged - seen > 0 ? total - logged - seen : 0))"
}

end_capper() { # end_capper PID: marker (+ the unlogged count) through the FIFO, then wait (<= 3 s)
  local pid=$1 nonce i
  report_port_bytes
  read -r nonce < "${EGRESS_RUN}/nonce"
  printf '\001ROTATE %s %s\n' "$nonce" "$(unlogged_rejects)" > "$EGRESS_FIFO"
  for ((i = 0; i < 1000; i++)); do # ~3 ms steps, at most ~3 s
    capper_alive "$pid" || return 0
    sleep 0.003
  done
  kill -KILL "$pid" 2>/dev/null || true # stuck: what it wrote so far stays
}

flush_egress_log() { # after the agent exited: Squid logs its last connections, the capper drains
  [[ "$EGRESS_LOG" == 1 && -f "${EGRESS_RUN}/capper" ]] || return 0
  local i pid _gen
  for ((i = 0; i < 100; i++)); do # at most ~0.5 s; usually none is left at once
    proxy_has_clients || break
    sleep 0.005
  done
  read -r pid _gen < "${EGRESS_RUN}/capper" || return 0
  [[ "$pid" =~ ^[0-9]+$ ]] && end_capper "$pid"
  return 0
}
