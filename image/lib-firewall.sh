# shellcheck shell=bash
# Default-deny egress firewall, IPv4 and IPv6. Sourced by sandbox-entrypoint.
#
# Only the filter table is touched: the nat table holds Docker's DNAT of
# 127.0.0.11:53 (embedded DNS) and must stay as it is. The DROP policies and all
# rules commit in one transaction per family, so there is never an open window.

IPV6_MODE=""   # "filter" (ip6tables rules) or "off" (IPv6 disabled / absent)

iptables_works() { "$1" -w 5 -S >/dev/null 2>&1; }

create_ipsets() { # sets filled by dnsmasq with the answers for allowlisted names
  iptables_works iptables || fail "iptables does not work here (is NET_ADMIN granted?)"
  local name sets=""
  # void4/6: no rule matches them; dnsmasq puts the answers for names that open nothing there.
  for name in allow upstream void "${PORTS[@]/#/p}"; do # one `ipset restore` instead of 4 calls per pair
    [[ "$name" == allow || "$name" == upstream || "$name" == void ]] || name+=v # allow4/6, p<port>v4/v6, …
    sets+="create ${name}4 hash:ip family inet"$'\n'"flush ${name}4"$'\n'
    sets+="create ${name}6 hash:ip family inet6"$'\n'"flush ${name}6"$'\n'
  done
  ipset -exist restore <<< "$sets" || fail "ipset restore failed"
}

# The rules of each family are built as iptables-restore input and applied in ONE
# transaction: the DROP policies and every rule commit together (there is never an
# ACCEPT rule under an ACCEPT policy) and a failed restore changes nothing (exit 71).
# No --noflush: iptables-restore then replaces the filter table only (the nat table is
# not in the input and stays as it is). With --noflush the nft backend cannot clear old
# rules in the same transaction: "-F" there resets the policies to ACCEPT.
RULES=""

rule() { RULES+="$*"$'\n'; } # rule ARGS...: append one rule line (no argument has blanks)

# R142: the log is limited per destination (address and port, a bounded table), so a flood to
# one port does not thin another's; every reject is counted first (the REJECT_COUNTER rule),
# so `unlogged_rejects` (lib-egress.sh) can tell how many the limit did not log: the counter
# minus the NFLOG rule's. A packet the full table refuses (hashlimit drops it) counts as unlogged.
readonly LOG_LIMIT=(-m hashlimit --hashlimit-upto 20/second --hashlimit-burst 100 --hashlimit-mode "dstip,dstport"
  --hashlimit-name codex-log --hashlimit-htable-size 4096 --hashlimit-htable-max 16384 --hashlimit-htable-expire 10000)

reject() { # reject MATCH... -- REJECT-WITH: count, log (limited NFLOG), then reject
  local -a match=()
  while [[ "$1" != -- ]]; do match+=("$1"); shift; done
  shift
  if [[ "$EGRESS_LOG" == 1 ]]; then
    rule -A OUTPUT "${match[@]}" -m comment --comment "$REJECT_COUNTER"
    rule -A OUTPUT "${match[@]}" "${LOG_LIMIT[@]}" \
      -j NFLOG --nflog-group "$NFLOG_GROUP" --nflog-prefix "$NFLOG_PREFIX"
  fi
  rule -A OUTPUT "${match[@]}" -j REJECT --reject-with "$1"
}

family_of() { if [[ "$1" == *:* ]]; then echo 6; else echo 4; fi; }

policy_rules() { # policy_rules 4|6: extra ports, host ports, direct (proxy) addresses
  local fam=$1 port entry ip
  local new=(-p tcp -m conntrack --ctstate NEW)
  for port in "${PORTS[@]}"; do
    # Not HTTP(S), so Squid never sees it: the firewall records each new connection (R151).
    if [[ "$EGRESS_LOG" == 1 ]]; then
      rule -A OUTPUT "${new[@]}" --dport "$port" -m set --match-set "p${port}v${fam}" dst \
        -j NFLOG --nflog-group "$NFLOG_GROUP" --nflog-prefix "$NFLOG_ALLOWED_PREFIX"
      rule -A OUTPUT "${new[@]}" --dport "$port" -m set --match-set "p${port}v${fam}" dst \
        -j CONNMARK --set-xmark "${PORT_CONNMARK}/${PORT_CONNMARK}"
    fi
    rule -A OUTPUT "${new[@]}" --dport "$port" -m set --match-set "p${port}v${fam}" dst -j ACCEPT
  done
  if [[ -n "$HOST_GATEWAY_IP" && "$(family_of "$HOST_GATEWAY_IP")" == "$fam" ]]; then
    for port in "${HOST_PORTS[@]}"; do
      rule -A OUTPUT "${new[@]}" -d "$HOST_GATEWAY_IP" --dport "$port" -j ACCEPT
    done
  fi
  # The upstream proxy: Squid's uid only (the agent's own connections to it are refused).
  local squid=(-m owner --uid-owner "$PROXY_USER")
  for entry in "${UPSTREAM_DIRECT[@]}"; do
    ip="${entry% *}" port="${entry#* }"
    [[ "$(family_of "$ip")" == "$fam" ]] || continue
    rule -A OUTPUT "${new[@]}" "${squid[@]}" -d "$ip" --dport "$port" -j ACCEPT
  done
  if [[ -n "$UPSTREAM_BY_NAME" ]]; then
    rule -A OUTPUT "${new[@]}" "${squid[@]}" --dport "$UPSTREAM_PORT" -m set --match-set "upstream${fam}" dst -j ACCEPT
  fi
}

ipv6_addresses_present() { # any IPv6 address on an interface other than lo?
  ip -6 -o addr show 2>/dev/null | awk '$2 != "lo" { found = 1 } END { exit !found }'
}

disable_ipv6() { # best effort: /proc/sys is usually read-only in containers
  local f
  for f in /proc/sys/net/ipv6/conf/all/disable_ipv6 /proc/sys/net/ipv6/conf/default/disable_ipv6; do
    if [[ -w "$f" ]]; then echo 1 > "$f" 2>/dev/null || true; fi
  done
  return 0
}

default_deny() { # start RULES: the filter table with DROP policies, before any rule
  RULES=$'*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT DROP [0:0]\n'
}

commit_rules() { # commit_rules CMD-restore: apply RULES in one transaction or stop (71)
  local restore=$1 err
  RULES+=$'COMMIT\n'
  err="$("$restore" -w 5 2>&1 <<< "$RULES")" \
    || fail "${restore} failed: $(head -n 1 <<< "$err")"
}

allow_dnsmasq_upstream() { # allow_dnsmasq_upstream IP: DNS from dnsmasq's uid only
  local up=$1 proto
  # Docker DNATs 127.0.0.11:53 to a random port: match the original destination.
  for proto in udp tcp; do
    rule -A OUTPUT -p "$proto" -m owner --uid-owner dnsmasq \
      -m conntrack --ctorigdst "$up" --ctorigdstport 53 -j ACCEPT
  done
}

uses_docker_dns() { # is Docker's embedded resolver one of dnsmasq's upstreams?
  local up
  for up in "${UPSTREAMS4[@]}"; do [[ "$up" == 127.0.0.11 ]] && return 0; done
  return 1
}

allow_docker_dns_forwarding() { # allow_docker_dns_forwarding 4|6
  # Docker's embedded resolver (dockerd, uid 0) forwards names it does not know from
  # inside this network namespace, to servers not listed in resolv.conf. Only root-owned
  # sockets may send DNS out, and only to those servers when the launcher knows them
  # (SANDBOX_DOCKER_DNS, from --dns). After the privilege drop no process of the agent can
  # be uid 0, the agent cannot reach 127.0.0.11, and no root process of ours resolves
  # anything or reads a file the agent wrote (image/CONTRACT.md, "Root processes").
  local fam=$1 proto server
  local -a dests=()
  for server in "${DOCKER_DNS[@]}"; do
    [[ "$(family_of "$server")" == "$fam" ]] && dests+=("$server")
  done
  if (( ${#DOCKER_DNS[@]} > 0 && ${#dests[@]} == 0 )); then return 0; fi
  for proto in udp tcp; do
    if (( ${#dests[@]} == 0 )); then
      rule -A OUTPUT -p "$proto" --dport 53 -m owner --uid-owner 0 -j ACCEPT
    fi
    for server in "${dests[@]}"; do
      rule -A OUTPUT -p "$proto" -d "$server" --dport 53 -m owner --uid-owner 0 -j ACCEPT
    done
  done
}

dnsmasq_port_rules() { # dnsmasq (and --ask's resolver) answer dnsdist only: no query skips the name check (R150)
  local proto owner dports="${DNSMASQ_PORT_A}:${ASK_PORT_B}"
  for proto in udp tcp; do
    # dnsdist opens its UDP sockets to dnsmasq as root, before it drops to its own user.
    for owner in 0 "$DNSDIST_USER"; do
      rule -A OUTPUT -o lo -p "$proto" --dport "$dports" -m owner --uid-owner "$owner" -j ACCEPT
    done
  done
  rule -A OUTPUT -o lo -p udp --dport "$dports" -j REJECT --reject-with icmp-port-unreachable
  rule -A OUTPUT -o lo -p tcp --dport "$dports" -j REJECT --reject-with tcp-reset
}

common_rules() { # common_rules 4|6 UNREACH: loopback, established, allowlist, reject tail
  local fam=$1 unreach=$2
  local squid_addr=127.0.0.1
  [[ "$fam" == 4 ]] || squid_addr=::1
  if [[ "$fam" == 4 ]]; then dnsmasq_port_rules; fi
  inspect_port_rules
  rule -A OUTPUT -o lo -j ACCEPT
  # The agent's 80/443, redirected to Squid by nat_rules: the filter hook sees the new
  # destination but still the original output interface, so -o lo does not match them.
  rule -A OUTPUT -p tcp -d "$squid_addr" -m multiport --dports "${PROXY_HTTP_PORT},${PROXY_TLS_PORT}" \
    -m conntrack --ctstate DNAT -j ACCEPT
  rule -A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  # Only Squid connects out on 80/443, and only to addresses of allowlisted names.
  rule -A OUTPUT -p tcp -m conntrack --ctstate NEW -m multiport --dports 80,443 \
    -m owner --uid-owner "$PROXY_USER" -m set --match-set "allow${fam}" dst -j ACCEPT
  policy_rules "$fam"
  reject -p tcp -- tcp-reset
  reject -- "$unreach"
  rule -A INPUT -i lo -j ACCEPT
  rule -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  login_input_rules "$fam" # login mode with SANDBOX_LOGIN_PORT only (lib-login.sh, R133)
}

apply_ipv4() {
  local up
  default_deny
  for up in "${UPSTREAMS4[@]}"; do allow_dnsmasq_upstream "$up"; done
  if uses_docker_dns; then allow_docker_dns_forwarding 4; fi
  # Nobody else may talk to Docker's embedded resolver (it forwards any name).
  reject -d 127.0.0.11 -p tcp -- tcp-reset
  reject -d 127.0.0.11 -- icmp-port-unreachable
  common_rules 4 icmp-port-unreachable
  commit_rules iptables-restore
}

apply_ipv6() {
  local up t
  default_deny
  for up in "${UPSTREAMS6[@]}"; do allow_dnsmasq_upstream "$up"; done
  if uses_docker_dns; then allow_docker_dns_forwarding 6; fi
  # Neighbour discovery is IPv6's ARP: without it no allowlisted IPv6 host is reachable.
  for t in router-solicitation neighbour-solicitation neighbour-advertisement; do
    rule -A OUTPUT -p ipv6-icmp --icmpv6-type "$t" -m hl --hl-eq 255 -j ACCEPT
  done
  for t in router-advertisement neighbour-solicitation neighbour-advertisement; do
    rule -A INPUT -p ipv6-icmp --icmpv6-type "$t" -m hl --hl-eq 255 -j ACCEPT
  done
  # The kernel's MLDv2 reports (Podman's IPv6 networks): nobody's destination, dropped unlogged (R175).
  rule -A OUTPUT -p ipv6-icmp --icmpv6-type 143 -d ff02::16/128 -m hl --hl-eq 1 -j DROP
  common_rules 6 icmp6-port-unreachable
  commit_rules ip6tables-restore
}

readonly NAT_CHAIN=CODEX-SANDBOX-NAME-CHECK
# shellcheck disable=SC2034 # read by lib-proxy.sh (self-check)
NAT6=0 # IPv6 80/443 redirected too (else they are refused by the filter table)

nat_rules() { # nat_rules 4|6: the agent's new TCP to 80/443 -> Squid; only rules we add
  local fam=$1 port loopback=127.0.0.0/8
  [[ "$fam" == 4 ]] || loopback=::1/128
  RULES=$'*nat\n'":${NAT_CHAIN} - [0:0]"$'\n'
  rule -A "$NAT_CHAIN" -d "$loopback" -j RETURN
  rule -A "$NAT_CHAIN" -o lo -j RETURN
  rule -A "$NAT_CHAIN" -m owner --uid-owner "$PROXY_USER" -j RETURN
  if [[ -n "$HOST_GATEWAY_IP" && "$(family_of "$HOST_GATEWAY_IP")" == "$fam" ]]; then
    for port in "${HOST_PORTS[@]}"; do # --allow-host-port 80/443: by address, not by name
      rule -A "$NAT_CHAIN" -d "$HOST_GATEWAY_IP" -p tcp --dport "$port" -j RETURN
    done
  fi
  rule -A "$NAT_CHAIN" -p tcp --dport 80 -j REDIRECT --to-ports "$PROXY_HTTP_PORT"
  rule -A "$NAT_CHAIN" -p tcp --dport 443 -j REDIRECT --to-ports "$PROXY_TLS_PORT"
  # Docker gives a container a fresh network namespace at every (re)start: one jump.
  rule -A OUTPUT -p tcp -j "$NAT_CHAIN"
}

apply_nat() { # apply_nat 4|6 CMD: --noflush keeps Docker's DNAT for 127.0.0.11 as it is
  local fam=$1 cmd=$2 err
  nat_rules "$fam"
  RULES+=$'COMMIT\n'
  if ! err="$("${cmd}-restore" -w 5 --noflush 2>&1 <<< "$RULES")"; then
    [[ "$fam" == 6 ]] || fail "${cmd}-restore (nat) failed: $(head -n 1 <<< "$err")"
    warn "IPv6 ports 80/443 cannot be redirected to the name check (${err%%$'\n'*}): they stay closed"
    return 0
  fi
  # shellcheck disable=SC2034 # read by lib-proxy.sh (self-check)
  [[ "$fam" == 4 ]] || NAT6=1
}

apply_firewall() {
  apply_nat 4 iptables
  apply_ipv4
  if iptables_works ip6tables; then
    if [[ "$PROXY_V6" == 1 ]]; then apply_nat 6 ip6tables; fi
    apply_ipv6
    IPV6_MODE=filter
    return 0
  fi
  disable_ipv6
  if ipv6_addresses_present; then
    fail "ip6tables does not work and IPv6 cannot be disabled: refusing to run with IPv6 unfiltered"
  fi
  IPV6_MODE=off
}

# Each family's rules as iptables-save printed them (every table, one process per family),
# taken once by self_check; check_redirects (lib-proxy.sh) reads the nat table there.
SAVED4="" SAVED6=""

save_rules() { # save_rules 4|6: SAVED4/SAVED6 <- that family's iptables-save, or stop (71)
  local save=iptables-save dump
  [[ "$1" == 4 ]] || save=ip6tables-save
  dump="$("$save" 2>/dev/null)" || fail "${save} failed"
  if [[ "$1" == 4 ]]; then SAVED4=$dump; else SAVED6=$dump; fi
}

saved_table() { # saved_table 4|6 TABLE: TABLE_LINES <- that table's lines of the saved dump (none: empty)
  local dump=$SAVED4
  [[ "$1" == 4 ]] || dump=$SAVED6
  TABLE_LINES=""
  [[ $'
'"$dump" == *$'
*'"$2"$'
'* ]] || return 0
  TABLE_LINES=${dump#*"*$2"$'
'}
  TABLE_LINES=${TABLE_LINES%%$'
COMMIT'*}
}

check_filter_table() { # check_filter_table 4|6 NAME: the saved filter table, parsed once in bash
  local fam=$1 name=$2 line chain rejects=0 allow=0
  local -A policy=()
  saved_table "$fam" filter
  while IFS= read -r line; do
    case "$line" in
      :INPUT\ * | :OUTPUT\ * | :FORWARD\ *) line=${line#:} policy[${line%% *}]=${line#* } ;;
      "-A OUTPUT "*"-j REJECT"*) rejects=$((rejects + 1)) ;;
      "-A OUTPUT "*" --match-set allow${fam} dst "*"-j ACCEPT"*) allow=1 ;;
    esac
  done <<< "$TABLE_LINES"
  for chain in INPUT OUTPUT FORWARD; do
    [[ "${policy[$chain]:-}" == DROP\ * ]] || fail "${name} ${chain} policy is not DROP"
  done
  (( rejects >= 2 )) || fail "${name} reject rules missing"
  (( allow == 1 )) || fail "${name} allowlist rule missing"
}

self_check() { # verify what was applied, without sending anything outside
  save_rules 4
  check_filter_table 4 IPv4
  if [[ "$IPV6_MODE" == filter ]]; then
    save_rules 6
    check_filter_table 6 IPv6
  elif ipv6_addresses_present; then
    fail "IPv6 is configured but not filtered"
  fi
  local sets set port key value _rest servers=""
  sets=$'\n'"$(ipset list -n)"$'\n'
  for set in allow4 allow6 "${PORTS[@]/%/v4}"; do
    [[ "$set" == allow* ]] || set="p${set}"
    [[ "$sets" == *$'\n'"$set"$'\n'* ]] || fail "ipset ${set} missing"
  done
  while read -r key value _rest; do
    [[ "$key" == nameserver && " $servers " != *" $value "* ]] && servers+="${servers:+ }${value}"
  done < /etc/resolv.conf
  [[ "$servers" == "$DNS_LOCAL" ]] || fail "/etc/resolv.conf does not point only at ${DNS_LOCAL}"
  dnsmasq_running || fail "dnsmasq or dnsdist is not running"
  [[ "$(dnsmasq_status "$SELFCHECK_NAME")" == NXDOMAIN ]] \
    || fail "a name outside the allowlist did not get NXDOMAIN"
  [[ "$(dnsmasq_status "$SELFCHECK_MALFORMED")" == REFUSED ]] \
    || fail "a malformed name was not refused"
}
