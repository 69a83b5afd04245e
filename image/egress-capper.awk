# egress-capper.awk (mawk): the bounded sink of the egress log; see lib-egress.sh.
# Run with -W interactive: mawk otherwise fills its whole read buffer from the FIFO first.
# Input: lines from dnsmasq (syslog format), Squid ("squid ...") and ulogd2 (JSON), through
# one FIFO. Output (stdout): only the lines the launcher's summary reads, at most RATE per
# source and second and at most `cap` bytes in all; "#dropped N" (N more since the last such
# line; at most once a second and at the end) counts what was left out. A line equal to `marker` (a secret
# nonce, written by `sandbox-egress take`) ends this capper: the next one continues.
BEGIN {
  rate["dns"] = 500; rate["proxy"] = 1000; rate["packet"] = 200
  srand(); now = srand(); second = now
}
function tick() { # the current second, read every 64 lines (mawk: srand() returns the old seed)
  if (++lines % 64 == 0) { srand(); now = srand() }
  if (now != second) { second = now; delete count; report() }
}
function report() {
  if (dropped > reported && extra < 65536) {
    line = "#dropped " (dropped - reported)
    print line; fflush(); reported = dropped; extra += length(line) + 1
  }
}
function keep(source, n) {
  if (++count[source] > rate[source] || used + (n = length($0) + 1) > cap) { dropped++; return }
  used += n
  print; fflush()
}
$0 == marker { report(); exit 0 }
{ tick() }
/^squid / { keep("proxy"); next }
/^\{/ { keep("packet"); next }
/ dnsmasq\[[0-9]+\]: (config [^ ]+ is |reply [^ ]+ is |cached [^ ]+ is |[0-9]+ log entries lost)/ { keep("dns"); next }
END { report() }
