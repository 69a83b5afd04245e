# shellcheck shell=bash
# Allowlist validation and the allowlisting resolver. Sourced by sandbox-entrypoint.
#
# Every query first meets dnsdist on 127.0.0.1:53 (the only resolver the sandbox names): a
# name that is not a syntactically valid host name (letters, digits, hyphens, dots; labels
# 1-63 not starting or ending with a hyphen) is answered REFUSED and recorded as `malformed
# name`, never forwarded (R150). Valid names go to dnsmasq, which forwards allowlisted ones.
#
# dnsmasq (2.90 in bookworm) picks the longest matching pattern, whatever the order,
# and a "*." pattern matches subdomains only. So:
#   exact "host"    -> server=/host/UP      + address=/*.host/  (subdomains: NXDOMAIN)
#   wildcard "*.d"  -> server=/*.d/UP       ("d" itself only when listed too)
#   everything else -> address=/#/          (NXDOMAIN, never forwarded)
# The NXDOMAIN for "*.host" is left out when a listed wildcard already covers host.
#
# Its ipset= lines, though, match a name and all its subdomains alike (suffix match). So that
# `host:port` opens the port on that host only and `*.host:port` on its subdomains only
# (R151), a second dnsmasq answers the names that are strict subdomains of a pattern's host
# whenever its sets must differ from the host's own; dnsdist sends it exactly those queries.

DOMAINS=()          # validated, lowercase, deduplicated
UPSTREAMS4=()       # original IPv4 resolvers (may be Docker's 127.0.0.11)
UPSTREAMS6=()       # original IPv6 resolvers
readonly DNS_LOCAL=127.0.0.1
# dnsmasq "a" answers names equal to a pattern's host (and everything else); "b", when
# needed, the strict subdomains of those hosts. Both listen on loopback only, behind dnsdist.
readonly DNSMASQ_PORT_A=5353 DNSMASQ_PORT_B=5354
# shellcheck disable=SC2034 # used by lib-dnsdist.sh and lib-firewall.sh
readonly DNSDIST_USER=_dnsdist
# One label of a syntactically valid host name (R150): the DNS front and Squid build their
# whole-name patterns from it.
# shellcheck disable=SC2034 # used by lib-dnsdist.sh and lib-proxy.sh
readonly NAME_LABEL_RE='[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?'
DNS_SPLIT=0 # 1: dnsmasq "b" runs (some subdomains get other sets than their host)
DNS_LOG_FILE="" # the egress log's FIFO (lib-egress.sh)
# shellcheck disable=SC2034 # used by the self-check (lib-firewall.sh, lib-proxy.sh)
readonly SELFCHECK_NAME=selfcheck.codex-sandbox.invalid SELFCHECK_MALFORMED='bad name.codex-sandbox.invalid'

valid_hostname() { # RFC 1123 host name, lowercase, <= 253 chars, labels 1-63, >= 1 label
  local name=$1
  (( ${#name} >= 1 && ${#name} <= 253 )) || return 1
  # Plain globs only: glibc regex with {m,n} bounds is ~10x slower on 500 names.
  [[ "$name" != *[!a-z0-9.-]* && "$name" != [.-]* && "$name" != *[.-] ]] || return 1
  [[ "$name" != *..* && "$name" != *.-* && "$name" != *-.* ]] || return 1
  (( ${#name} <= 63 )) && return 0
  local label IFS=.
  for label in $name; do (( ${#label} <= 63 )) || return 1; done
  return 0
}

validate_domains() { # validate_domains "<space separated list>" -> DOMAINS
  local raw=$1 entry host
  local -a entries=()
  local -A seen=()
  DOMAINS=()
  read -r -d '' -a entries <<< "$raw" || true # split on blanks/newlines, no globbing
  for entry in "${entries[@]}"; do
    entry="${entry,,}"
    host="${entry#\*.}"
    valid_hostname "$host" || fail "invalid domain '${entry}'"
    if [[ "$entry" == \*.* && "$host" != *.* ]]; then
      fail "wildcard '${entry}' would allow a whole top-level domain"
    fi
    [[ -n "${seen[$entry]:-}" ]] && continue
    seen[$entry]=1
    DOMAINS+=("$entry")
  done
  return 0
}

read_upstreams() { # original resolvers from resolv.conf (saved copy on a restart)
  local src=/etc/resolv.conf saved="${RUN_DIR}/resolv.conf.orig" key value _rest
  if [[ -f "$saved" ]]; then src="$saved"; else cp /etc/resolv.conf "$saved"; fi
  UPSTREAMS4=()
  UPSTREAMS6=()
  while read -r key value _rest; do
    [[ "$key" == nameserver && -n "$value" ]] || continue
    if [[ "$value" == "$DNS_LOCAL" ]]; then
      warn "ignoring resolver ${value} (it is where the sandbox resolver listens)"
    elif [[ "$value" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]]; then
      UPSTREAMS4+=("$value")
    elif [[ "$value" =~ ^[0-9a-fA-F:]+$ && "$value" == *:* ]]; then
      UPSTREAMS6+=("$value")
    else
      warn "ignoring resolver '${value}' (not a plain IP address)"
    fi
  done < "$src"
  if (( ${#UPSTREAMS4[@]} + ${#UPSTREAMS6[@]} == 0 )); then
    warn "no upstream resolver found in /etc/resolv.conf: no name will resolve"
  fi
  return 0
}

# One awk pass turns "pattern sets" lines into server=/address=/ipset= lines: start-up
# must not grow with the allowlist (500 names: a few ms, no process per name).
# `which`: "a" (the host's own sets; a last line "#split" when "b" is needed), "b" (the sets
# of strict subdomains) or "keys" (the hosts, one per line, for dnsdist's routing).
# shellcheck disable=SC2016 # awk program
readonly DNSMASQ_RULES_AWK='
function covered(h,  s) { # exact host h (and its subdomains) under a forwarded "*.s"?
  s = h
  while (1) { if (s in wild) return 1; if (index(s, ".") == 0) return 0; sub(/^[^.]*\./, "", s) }
}
function add(list, sets,  n, i, a) {
  n = split(sets, a, ",")
  for (i = 1; i <= n; i++) if (a[i] != "" && index("," list ",", "," a[i] ",") == 0) list = list (list == "" ? "" : ",") a[i]
  return list
}
function above(k,  s, sets) { # the sets of every wildcard strictly above host k
  sets = ""; s = k
  while (index(s, ".") > 0) { sub(/^[^.]*\./, "", s); if (s in ws) sets = add(sets, ws[s]) }
  return sets
}
function same(x, y,  n, i, a) { # same sets, in any order
  if (length(x) != length(y)) return 0
  n = split(x, a, ",")
  for (i = 1; i <= n; i++) if (index("," y ",", "," a[i] ",") == 0) return 0
  return 1
}
{
  pat = $1; key = pat; sub(/^\*\./, "", key)
  if (!(pat in seen)) { seen[pat] = 1; pats[++np] = pat }
  if (!(key in ks)) { ks[key] = 1; keys[++nk] = key }
  if (pat ~ /^\*\./) { wild[key] = 1; ws[key] = add(ws[key], $2) } else es[key] = add(es[key], $2)
}
END {
  if (which == "keys") { for (i = 1; i <= nk; i++) print keys[i]; exit 0 }
  nu = split(ups, up, " ")
  for (i = 1; i <= np; i++) {
    for (j = 1; j <= nu; j++) printf "server=/%s/%s\n", pats[i], up[j]
    if (pats[i] !~ /^\*\./ && !covered(pats[i])) printf "address=/*.%s/\n", pats[i]
  }
  for (i = 1; i <= nk; i++) {
    k = keys[i]; up_sets = above(k)
    # dnsmasq uses only the longest matching ipset= line: it carries every wildcard above it.
    own = add(es[k], up_sets); sub_sets = add(ws[k], up_sets)
    sets = which == "b" ? sub_sets : own
    printf "ipset=/%s/%s\n", k, sets == "" ? "void4,void6" : sets
    # Subdomains of k resolve (a wildcard at or above k forwards them) but must get other sets.
    if (covered(k) && !same(own, sub_sets)) split_needed = 1
  }
  if (which == "a" && split_needed) print "#split"
}'

dnsmasq_rule_lines() { # the "pattern sets" input of DNSMASQ_RULES_AWK
  local d rule
  for d in "${DOMAINS[@]}"; do printf '%s allow4,allow6\n' "$d"; done
  for rule in "${PORT_RULES[@]}"; do printf '%s p%sv4,p%sv6\n' "${rule% *}" "${rule#* }" "${rule#* }"; done
  if [[ -n "$UPSTREAM_BY_NAME" ]]; then printf '%s upstream4,upstream6\n' "$UPSTREAM_BY_NAME"; fi
  return 0
}

dnsmasq_config() { # dnsmasq_config a|b: print that instance's configuration
  local which=$1 d port=$DNSMASQ_PORT_A
  [[ "$which" == a ]] || port=$DNSMASQ_PORT_B
  printf '%s\n' \
    "# Generated by sandbox-entrypoint. Root-owned; the agent cannot change it." \
    "port=${port}" "listen-address=${DNS_LOCAL}" "bind-interfaces" \
    "no-resolv" "no-hosts" "no-poll" "no-negcache" "strict-order" \
    "user=dnsmasq" "group=nogroup" "pid-file=${RUN_DIR}/dnsmasq-${which}.pid" \
    "address=/#/"
  # strict-order: the resolvers in resolv.conf's order, as libc asks them. Podman lists its
  # network's resolver (which knows the containers' names) before the host's: the host's
  # NXDOMAIN for a container's name must not win (R175).
  # The query log feeds the egress log's bounded capper (lib-egress.sh); log-async: a slow
  # reader drops lines (dnsmasq reports how many), it never stalls resolution.
  if [[ "$EGRESS_LOG" == 1 ]]; then printf '%s\n' "log-queries" "log-async=100" "log-facility=${DNS_LOG_FILE}"; fi
  dnsmasq_rule_lines | awk -v which="$which" -v ups="${UPSTREAMS4[*]} ${UPSTREAMS6[*]}" "$DNSMASQ_RULES_AWK"
  # Deny wins: dnsmasq prefers the longest match, and a denied name is never shorter
  # than an allowed wildcard above it (fully covered allow entries were dropped).
  for d in "${DENIED[@]}"; do printf 'address=/%s/\n' "$d"; done
}

start_one_dnsmasq() { # start_one_dnsmasq a|b CONFIG-TEXT
  local conf="${CONF_DIR}/dnsmasq-${1}.conf" err
  printf '%s\n' "$2" > "$conf"
  chmod 0644 "$conf"
  # dnsmasq checks its configuration before it forks: no separate --test run.
  err="$(dnsmasq --conf-file="$conf" 2>&1)" || fail "dnsmasq did not start: $(head -n 1 <<< "$err")"
}

DNSMASQ_CONF_A="" # instance "a"'s configuration, made by prepare_dns

prepare_dns() { # resolvers, dnsmasq's configuration, whether "b" is needed
  install -d -m 0755 -o root -g root "$CONF_DIR" "$RUN_DIR"
  read_upstreams
  DNSMASQ_CONF_A="$(dnsmasq_config a)"
  DNS_SPLIT=0
  if [[ "$DNSMASQ_CONF_A" == *$'\n#split' ]]; then DNS_SPLIT=1 DNSMASQ_CONF_A="${DNSMASQ_CONF_A%$'\n#split'}"; fi
  return 0
}

start_dnsmasq() { # start dnsmasq (one or two), then dnsdist in front of them (not waited for)
  start_one_dnsmasq a "$DNSMASQ_CONF_A"
  if [[ "$DNS_SPLIT" == 1 ]]; then start_one_dnsmasq b "$(dnsmasq_config b)"; fi
  start_ask_resolver
  start_dnsdist
}

wait_for_dns() { # dnsdist (and the holding resolver of --ask) answer on :53: point resolv.conf at it
  wait_for_dnsdist
  wait_for_ask_resolver
  printf 'nameserver %s\n%s\n' "$DNS_LOCAL" "$(resolver_options)" > /etc/resolv.conf
}

dnsmasq_status() { # dnsmasq_status NAME -> prints the DNS status word (NXDOMAIN, NOERROR, ...)
  # One A query over UDP from bash itself (dig costs ~35 ms of start-up just to load).
  # Only the 4-byte header is read: ID "CS", flags with QR set, rcode in the low nibble.
  # bash drops NUL bytes, so a header with a zero byte can only shift to a wrong rcode
  # (QDCOUNT's 0x01), never to a false NXDOMAIN. printf flushes at each newline byte, so a
  # label of 10 characters (length 0x0a) would split the datagram: the names used avoid it.
  local LC_ALL=C label q="" hdr="" fd flags rcode _try
  local IFS=.
  for label in $1; do printf -v q '%s\\x%02x%s' "$q" "${#label}" "$label"; done
  IFS=$' \t\n'
  exec {fd}<> "/dev/udp/${DNS_LOCAL}/53" || return 0
  for _try in 1 2; do
    # shellcheck disable=SC2059 # the query is a printf format on purpose (\x escapes)
    printf "\x43\x53\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00${q}\x00\x00\x01\x00\x01" >&"$fd"
    IFS= read -r -d '' -t 1 -N 4 -u "$fd" hdr 2>/dev/null && break
  done
  exec {fd}>&-
  [[ "${#hdr}" == 4 && "${hdr:0:2}" == CS ]] || return 0
  printf -v flags '%d' "'${hdr:2:1}"
  printf -v rcode '%d' "'${hdr:3:1}"
  (( flags & 0x80 )) || return 0
  case $((rcode & 15)) in
    0) echo NOERROR ;;
    2) echo SERVFAIL ;;
    3) echo NXDOMAIN ;;
    5) echo REFUSED ;;
    *) echo "RCODE$((rcode & 15))" ;;
  esac
}

udp_listening() { # udp_listening HEX-ADDR:PORT: a UDP socket bound there (no process started)
  local _sl local_addr _rest
  while read -r _sl local_addr _rest; do
    [[ "$local_addr" == "$1" ]] && return 0
  done < /proc/net/udp
  return 1
}

wait_for_dnsdist() { # poll tightly (10 ms, at most ~5 s) until dnsdist listens on :53
  # dnsmasq binds before it forks; dnsdist was started right after it and listens within
  # ~0.1 s. Their answers (NXDOMAIN, REFUSED) are verified by the self-check.
  local i
  for ((i = 0; i < 500; i++)); do
    udp_listening 0100007F:0035 && return 0
    sleep 0.01
  done
  fail "dnsdist is not listening on ${DNS_LOCAL}:53: $(tail -n 1 "${RUN_DIR}/dnsdist.log" 2>/dev/null)"
}

process_is() { # process_is PIDFILE COMM: the pid in PIDFILE runs COMM
  local pid="" comm=""
  read -r pid 2>/dev/null < "$1" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  read -r comm 2>/dev/null < "/proc/${pid}/comm" || return 1
  [[ "$comm" == "$2" ]]
}

dnsmasq_running() { # every dnsmasq this start needs, and dnsdist
  process_is "${RUN_DIR}/dnsmasq-a.pid" dnsmasq || return 1
  if [[ "$DNS_SPLIT" == 1 ]]; then process_is "${RUN_DIR}/dnsmasq-b.pid" dnsmasq || return 1; fi
  process_is "${RUN_DIR}/dnsdist.pid" dnsdist
}

prewarm_allowed_domains() { # look the exact names up once, in the background
  local d rule
  local -a names=()
  for d in "${DOMAINS[@]}"; do [[ "$d" == \*.* ]] || names+=("$d"); done
  for rule in "${PORT_RULES[@]}"; do [[ "$rule" == \*.* ]] || names+=("${rule% *}"); done
  rm -f "${RUN_DIR}/unresolved.txt"
  (( ${#names[@]} > 0 )) || return 0
  printf '%s\n' "${names[@]}" > "${RUN_DIR}/prewarm.names"
  # Double fork: reparented to tini, so start-up never waits for the network.
  (report_unresolved </dev/null >/dev/null 2>&1 &)
}

report_unresolved() { # names that got no address -> unresolved.txt
  trap - ERR
  set +e
  local list="${RUN_DIR}/prewarm.names" resolved="${RUN_DIR}/prewarm.resolved"
  # dig as nobody, with no rc file (HOME=/nonexistent): it only asks the local DNS filter.
  HOME=/nonexistent setpriv --reuid nobody --regid nogroup --clear-groups --bounding-set=-all \
    --inh-caps=-all --no-new-privs -- nice dig +time=2 +tries=1 +noall +answer "@${DNS_LOCAL}" -f "$list" \
    | awk '$4 == "A" || $4 == "AAAA" || $4 == "CNAME" { sub(/\.$/, "", $1); print tolower($1) }' \
    | sort -u > "$resolved"
  grep -vxF -f "$resolved" "$list" > "${RUN_DIR}/unresolved.tmp"
  mv -f "${RUN_DIR}/unresolved.tmp" "${RUN_DIR}/unresolved.txt"
}
