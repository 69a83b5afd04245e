# egress-capper.awk (mawk): the bounded sink of the egress log; see lib-egress.sh.
# Run with -W interactive: mawk otherwise fills its whole read buffer from the FIFO first.
# Input: lines from dnsmasq (syslog format), Squid ("squid ..."), ulogd2 (JSON) and dnsdist
# ("Packet from ..."), through one FIFO. Output (stdout): only the lines the launcher reads.
#  - R140: events are aggregated per key before they cost bytes: the first line of a key is
#    written at once, its repeats are counted and written as "#repeat N<TAB><last line>" (every
#    ~10 s for keys with new repeats, and at the end; Squid's byte fields then hold the sums of
#    the N repeats). Keys: Squid's fields but time, client and bytes; dnsmasq's text after "]: ";
#    a packet's dest_ip, dest_port and protocol; dnsdist's name and type. At most `maxkeys`.
#  - R141: each class of line has its own share of the `cap` bytes (a flood of one cannot
#    starve the others), new keys at most `rate[class]` per second; every event not written is
#    counted in "#dropped N".
#  - R144: the rotation marker is "\001ROTATE <nonce>[ <unlogged>]"; the nonce is read from
#    `noncefile` (readable by this user only), never from the command line. The marker ends
#    this capper (the next one continues) and its count becomes "#unlogged N": rejected packets
#    the kernel's log limit did not log (lib-firewall.sh reject()).
BEGIN {
  if (maxkeys == 0) maxkeys = 4096
  split("dns 3 reply 2 deny 3 allow 2 packet 2 malformed 1 request 3", spec, " ")
  for (i = 1; i < 14; i += 2) { budget[spec[i]] = int(cap * spec[i + 1] / 16); used[spec[i]] = 0 }
  rate["dns"] = 500; rate["reply"] = 500; rate["deny"] = 1000; rate["allow"] = 1000; rate["packet"] = 200; rate["malformed"] = 200; rate["request"] = 1000
  if (noncefile != "") {
    if ((getline nonce < noncefile) > 0 && nonce ~ /^[0-9a-f]+$/) marker = "\001ROTATE " nonce
    close(noncefile)
  }
  if (marker == "") marker = "\001\001no marker"
  srand(); now = srand(); second = now; flushed = now
}
function tick() { # the clock, read every 16 lines (mawk: srand() returns the old seed)
  if (++lines % 16 == 0) { srand(); now = srand() }
  if (now != second) { second = now; delete count; report() }
  if (now - flushed >= 10) { flushed = now; flush() }
}
function report(line) {
  if (dropped > reported && extra < 65536) {
    line = "#dropped " (dropped - reported)
    print line; fflush(); reported = dropped; extra += length(line) + 1
  }
}
function put(c, text, limit, n) { # one line within class c's budget (live lines: 3/4 of it)
  n = length(text) + 1
  if (used[c] + n > limit) return 0
  used[c] += n
  print text; fflush()
  return 1
}
function flush(pass, k, line) { # "#repeat N<TAB>line" for every key with uncounted repeats
  for (pass = 1; pass <= 2; pass++) for (k in rep) { # true repeats first, then lines that waited
    if (rep[k] == 0 || (pass == 1 && rep[k] == 1)) continue
    line = last[k]
    if (k in up) { line = bytes(line, up[k], down[k], bf[k]); up[k] = 0; down[k] = 0 }
    if (!put(cls[k], "#repeat " rep[k] "\t" line, budget[cls[k]])) dropped += rep[k]
    rep[k] = 0
  }
  report()
}
function bytes(line, u, d, at, f, i, n) { # a line with its UP and DOWN fields (at, at+1) replaced
  n = split(line, f, " ")
  f[at] = u; f[at + 1] = d
  line = f[1]
  for (i = 2; i <= n; i++) line = line " " f[i]
  return line
}
# squidbytes: the field number of UP (DOWN follows), 14 in Squid's lines, 7 in requests; 0: none.
function take(c, k, squidbytes, live) { # one event of class c with aggregation key k
  k = c SUBSEP k
  if (k in rep) {
    rep[k]++; last[k] = $0
    if (squidbytes) { up[k] += $squidbytes; down[k] += $(squidbytes + 1) }
    return
  }
  if (keys >= maxkeys) { flush(); delete rep; delete last; delete cls; delete up; delete down; delete bf; keys = 0 }
  live = int(budget[c] * 3 / 4)
  # The class's share for first lines is spent: counted, not kept (the rest of the share is
  # for the counts of keys already written).
  if (used[c] + length($0) + 1 > live) { dropped++; return }
  keys++; cls[k] = c; last[k] = $0; rep[k] = 0
  if (squidbytes) { up[k] = 0; down[k] = 0; bf[k] = squidbytes }
  # Over the rate: the line waits as a repeat, written with the next counts.
  if (++count[c] > rate[c] || !put(c, $0, live)) {
    rep[k] = 1
    if (squidbytes) { up[k] = $squidbytes; down[k] = $(squidbytes + 1) }
  }
}
function squid(c) {
  if (NF < 15) return
  # A URI Squid could not parse is a malformed name (R150); else a client that left before
  # sending anything.
  if ($5 == "-" && $12 !~ /^ERR_INVALID_(URL|DOMAIN)$/) return
  c = "allow"
  if ($9 == "terminate" || $11 == "TCP_DENIED" || $12 == "ERR_ACCESS_DENIED" || $12 == "ERR_CONFLICT_HOST") c = "deny"
  else if ($11 == "NONE_NONE" && $13 == "-") return # the TLS peek's own record: the decision follows
  if ($16 == "malformed" || $12 ~ /^ERR_INVALID_(URL|DOMAIN)$/) c = "malformed"
  take(c, $4 " " $5 " " $6 " " $7 " " $8 " " $9 " " $10 " " $11 " " $12 " " $13 " " $16, c == "allow" ? 14 : 0)
}
# A request inside inspected traffic (inspect-addon.py, R166): req TIME METHOD HOST PATH
# STATUS UP DOWN CREDENTIAL REASON; refused ones ("credential sent to", fronting) are denials.
function request(c) {
  if (NF != 10) return
  c = $10 == "-" ? "request" : "deny"
  take(c, $3 " " $4 " " $5 " " $6 " " $9 " " $10, 7)
}
function packet(k, ip, port, proto, admitted) {
  ip = field("dest_ip\": *\"[^\"]*\""); port = field("dest_port\": *[0-9]+"); proto = field("ip.protocol\": *[0-9]+")
  admitted = index($0, "\"oob.prefix\": \"codex-allowed\"") > 0 # a connection on an extra port (R151)
  k = ip " " port " " proto
  if (k == "  ") k = $0
  if (admitted) take("allow", "admitted " k)
  else take("packet", k)
}
function field(re) { return match($0, re) ? substr($0, RSTART, RLENGTH) : "" }
function started(prefix) { return substr($0, 1, length(prefix)) == prefix }
started(marker) && substr($0, length(marker) + 1) ~ /^( [0-9]+)?$/ { unlogged = substr($0, length(marker) + 2) + 0; exit 0 }
{ tick() }
length($0) > 4096 { dropped++; next }
/^squid / { squid(); next }
/^req / { request(); next }
/^\{/ { packet(); next }
# A change of the live policy (sandbox-policy, root's, R167): who, when, what.
/^#policy [0-9]+\.[0-9][0-9][0-9] (allow|deny|expire) (\*\.)?[a-z0-9.-]+ [A-Za-z0-9._-]+ ([0-9]+|-)$/ {
  if (!put("allow", $0, budget["allow"])) dropped++
  next
}
/^#conn [0-9a-f.:]+ [0-9]+ [0-9]+ [0-9]+$/ { if (!put("allow", $0, budget["allow"])) dropped++; next } # root's, R151
/^Packet from / { k = $0; sub(/^Packet from [^ ]* for /, "", k); sub(/ with id [0-9]+$/, "", k); take("malformed", k); next }
/ dnsmasq\[[0-9]+\]: [0-9]+ log entries lost/ {
  if (!put("dns", $0, budget["dns"])) { n = $0; sub(/.*\]: /, "", n); dropped += n + 0 }
  next
}
/ dnsmasq\[[0-9]+\]: (config [^ ]+ is |reply [^ ]+ is |cached [^ ]+ is )/ {
  k = substr($0, index($0, "]: ") + 3)
  take(k ~ /^config / ? "dns" : "reply", k)
  next
}
END {
  flush()
  if (unlogged > 0) { print "#unlogged " unlogged; fflush() }
}
