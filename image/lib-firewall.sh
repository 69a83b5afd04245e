# shellcheck shell=bash
# Default-deny egress firewall, IPv4 and IPv6. Sourced by sandbox-entrypoint.
#
# Only the filter table is touched: the nat table holds Docker's DNAT of
# 127.0.0.11:53 (embedded DNS) and must stay as it is. Policies go to DROP
# before any rule is added, so there is never an open window.

IPV6_MODE=""   # "filter" (ip6tables rules) or "off" (IPv6 disabled / absent)

iptables_works() { "$1" -w 5 -S >/dev/null 2>&1; }

create_ipsets() { # sets filled by dnsmasq with the answers for allowlisted names
  iptables_works iptables || fail "iptables does not work here (is NET_ADMIN granted?)"
  ipset create allow4 hash:ip family inet -exist
  ipset create allow6 hash:ip family inet6 -exist
  ipset flush allow4
  ipset flush allow6
  local port
  for port in "${PORTS[@]}"; do
    ipset create "p${port}v4" hash:ip family inet -exist
    ipset create "p${port}v6" hash:ip family inet6 -exist
    ipset flush "p${port}v4"
    ipset flush "p${port}v6"
  done
}

reject() { # reject CMD MATCH... -- REJECT-WITH: log (rate-limited NFLOG), then reject
  local ipt=$1
  shift
  local -a match=()
  while [[ "$1" != -- ]]; do match+=("$1"); shift; done
  shift
  if [[ "$EGRESS_LOG" == 1 ]]; then
    "$ipt" -w 5 -A OUTPUT "${match[@]}" -m limit --limit 20/second --limit-burst 100 \
      -j NFLOG --nflog-group "$NFLOG_GROUP" --nflog-prefix "$NFLOG_PREFIX"
  fi
  "$ipt" -w 5 -A OUTPUT "${match[@]}" -j REJECT --reject-with "$1"
}

family_of() { if [[ "$1" == *:* ]]; then echo 6; else echo 4; fi; }

policy_rules() { # policy_rules CMD 4|6: extra ports, host ports, direct (proxy) addresses
  local ipt=$1 fam=$2 port entry ip
  local new=(-p tcp -m conntrack --ctstate NEW)
  for port in "${PORTS[@]}"; do
    "$ipt" -w 5 -A OUTPUT "${new[@]}" --dport "$port" -m set --match-set "p${port}v${fam}" dst -j ACCEPT
  done
  if [[ -n "$HOST_GATEWAY_IP" && "$(family_of "$HOST_GATEWAY_IP")" == "$fam" ]]; then
    for port in "${HOST_PORTS[@]}"; do
      "$ipt" -w 5 -A OUTPUT "${new[@]}" -d "$HOST_GATEWAY_IP" --dport "$port" -j ACCEPT
    done
  fi
  for entry in "${DIRECT_ALLOWS[@]}"; do
    ip="${entry% *}" port="${entry#* }"
    [[ "$(family_of "$ip")" == "$fam" ]] || continue
    "$ipt" -w 5 -A OUTPUT "${new[@]}" -d "$ip" --dport "$port" -j ACCEPT
  done
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

default_deny() { # default_deny CMD: DROP policies first, then clear the filter table only
  local ipt=$1 chain
  for chain in INPUT OUTPUT FORWARD; do "$ipt" -w 5 -P "$chain" DROP; done
  "$ipt" -w 5 -F
  "$ipt" -w 5 -X
}

allow_dnsmasq_upstream() { # allow_dnsmasq_upstream CMD IP: DNS from dnsmasq's uid only
  local ipt=$1 up=$2 proto
  # Docker DNATs 127.0.0.11:53 to a random port: match the original destination.
  for proto in udp tcp; do
    "$ipt" -w 5 -A OUTPUT -p "$proto" -m owner --uid-owner dnsmasq \
      -m conntrack --ctorigdst "$up" --ctorigdstport 53 -j ACCEPT
  done
}

uses_docker_dns() { # is Docker's embedded resolver one of dnsmasq's upstreams?
  local up
  for up in "${UPSTREAMS4[@]}"; do [[ "$up" == 127.0.0.11 ]] && return 0; done
  return 1
}

allow_docker_dns_forwarding() { # allow_docker_dns_forwarding CMD
  # Docker's embedded resolver (dockerd, uid 0) forwards names it does not know
  # from inside this network namespace, to servers not listed in resolv.conf.
  # Only its root-owned sockets may send DNS out: after the privilege drop no
  # process of the agent can be uid 0, and the agent cannot reach 127.0.0.11.
  local ipt=$1 proto
  for proto in udp tcp; do
    "$ipt" -w 5 -A OUTPUT -p "$proto" --dport 53 -m owner --uid-owner 0 -j ACCEPT
  done
}

common_rules() { # common_rules CMD 4|6 UNREACH: loopback, established, allowlist, reject tail
  local ipt=$1 fam=$2 unreach=$3
  "$ipt" -w 5 -A OUTPUT -o lo -j ACCEPT
  "$ipt" -w 5 -A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  "$ipt" -w 5 -A OUTPUT -p tcp -m conntrack --ctstate NEW -m multiport --dports 80,443 \
    -m set --match-set "allow${fam}" dst -j ACCEPT
  policy_rules "$ipt" "$fam"
  reject "$ipt" -p tcp -- tcp-reset
  reject "$ipt" -- "$unreach"
  "$ipt" -w 5 -A INPUT -i lo -j ACCEPT
  "$ipt" -w 5 -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
}

apply_ipv4() {
  local up
  default_deny iptables
  for up in "${UPSTREAMS4[@]}"; do allow_dnsmasq_upstream iptables "$up"; done
  if uses_docker_dns; then allow_docker_dns_forwarding iptables; fi
  # Nobody else may talk to Docker's embedded resolver (it forwards any name).
  reject iptables -d 127.0.0.11 -p tcp -- tcp-reset
  reject iptables -d 127.0.0.11 -- icmp-port-unreachable
  common_rules iptables 4 icmp-port-unreachable
}

apply_ipv6() {
  local up t
  default_deny ip6tables
  for up in "${UPSTREAMS6[@]}"; do allow_dnsmasq_upstream ip6tables "$up"; done
  if uses_docker_dns; then allow_docker_dns_forwarding ip6tables; fi
  # Neighbour discovery is IPv6's ARP: without it no allowlisted IPv6 host is reachable.
  for t in router-solicitation neighbour-solicitation neighbour-advertisement; do
    ip6tables -w 5 -A OUTPUT -p ipv6-icmp --icmpv6-type "$t" -m hl --hl-eq 255 -j ACCEPT
  done
  for t in router-advertisement neighbour-solicitation neighbour-advertisement; do
    ip6tables -w 5 -A INPUT -p ipv6-icmp --icmpv6-type "$t" -m hl --hl-eq 255 -j ACCEPT
  done
  common_rules ip6tables 6 icmp6-port-unreachable
}

apply_firewall() {
  apply_ipv4
  if iptables_works ip6tables; then
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

policy_is_drop() { # policy_is_drop CMD CHAIN
  "$1" -w 5 -S "$2" 2>/dev/null | head -n 1 | grep -qx -- "-P $2 DROP"
}

self_check() { # verify what was applied, without sending anything outside
  local chain
  for chain in INPUT OUTPUT FORWARD; do
    policy_is_drop iptables "$chain" || fail "IPv4 ${chain} policy is not DROP"
    if [[ "$IPV6_MODE" == filter ]]; then
      policy_is_drop ip6tables "$chain" || fail "IPv6 ${chain} policy is not DROP"
    fi
  done
  if [[ "$IPV6_MODE" != filter ]] && ipv6_addresses_present; then
    fail "IPv6 is configured but not filtered"
  fi
  [[ "$(iptables -w 5 -S OUTPUT | grep -c -- '-j REJECT')" -ge 2 ]] || fail "IPv4 reject rules missing"
  ipset list -n | grep -qx allow4 || fail "ipset allow4 missing"
  ipset list -n | grep -qx allow6 || fail "ipset allow6 missing"
  local port
  for port in "${PORTS[@]}"; do
    ipset list -n | grep -qx "p${port}v4" || fail "ipset p${port}v4 missing"
  done
  [[ "$(grep -E '^[[:space:]]*nameserver' /etc/resolv.conf | awk '{print $2}' | sort -u)" == "$DNS_LOCAL" ]] \
    || fail "/etc/resolv.conf does not point only at ${DNS_LOCAL}"
  dnsmasq_running || fail "dnsmasq is not running"
  [[ "$(dnsmasq_status "$SELFCHECK_NAME")" == NXDOMAIN ]] \
    || fail "a name outside the allowlist did not get NXDOMAIN"
}
