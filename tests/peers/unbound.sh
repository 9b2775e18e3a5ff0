#!/usr/bin/env bash
# unbound.sh start|stop DIR -- a real DNS server (unbound) on 127.0.0.1:$DNS_PORT serving the test zones.
#
# DNS_PORT is required (the caller picks a free port; unbound serves it over UDP and TCP). Optional DOH_PORT:
# also a DNS-over-HTTP front by dnsdist at http://127.0.0.1:$DOH_PORT/dns-query (RFC 8484 wire format, GET
# ?dns= and POST application/dns-message; plain HTTP, no TLS), forwarding to this unbound.
# Needs Debian's unbound (and dnsdist for DOH_PORT); scripts/setup.sh installs them. Root is not required.
#
# Zone "test." (static: every other name under .test is NXDOMAIN, e.g. nxdomain.test):
#   alpha.test     MX 10 mx.alpha.test
#   mx.alpha.test  A  127.0.0.1        (SMTP_ADDR overrides)
#   catchall.test  MX 10 mx.alpha.test
#   grey.test      MX 10 mx.alpha.test
#   nullmx.test    MX 0 .              (RFC 7505 null MX)
#   amx.test       A  127.0.0.1        (no MX: the implicit MX of RFC 5321 5.1)
#   alpha.example, catchall.example, grey.example, nullmx.example: as their .test twins (for the demo
#                  pages: .example is valid syntax without allow_special_use); nothing else under .example
#   servfail.test  SERVFAIL            (forwarded to 127.0.0.1:1, where nothing listens; answers in well under 1 s)
# With BENCH_ZONE=1 (off by default; bench/worker/), also a wildcard zone, so that every name has an MX:
#   bench.test and *.bench.test   MX 10 mx.alpha.test   (local-zone redirect: 1.bench.test, 2.bench.test, …)
# Names outside .test and .example are REFUSED: nothing is ever looked up on the Internet. Both zones are
# static, so the NS query for the top-level domain itself (test., example.) answers NOERROR without data
# (NODATA): the resolver guard of the probe and the edge takes that as "the TLD exists" and trusts an
# NXDOMAIN under it (docs/DESIGN.md "The resolver guard").
# With LIAR=1 (off by default), a lying resolver instead, as a sandbox's, a filtering or a captive
# network's may be: NXDOMAIN for every name, the test zones and every TLD (com.) included
# (local-zone "." static and no data at all). The zones above are not served then; every query is logged
# in DIR/unbound.log ("info: 127.0.0.1 com. NS IN"), so that tests can count them.
#
# Files in DIR: unbound.conf, unbound.log, unbound.pid (and dnsdist.*). stop kills by pid and waits.
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin
usage() { echo "usage: DNS_PORT=N [DOH_PORT=N] [LIAR=1] unbound.sh start|stop DIR" >&2; exit 2; }
[ $# = 2 ] || usage
D=$2; [ "$1" = stop ] && [ ! -d "$D" ] && exit 0   # nothing was started there
mkdir -p "$D"; D=$(cd "$D" && pwd)

# alive PID: running and not a zombie (a daemon whose starter exited is reparented to pid 1, which may
# reap it late; kill -0 succeeds on a zombie)
alive() { local s; s=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) && [ "$s" != Z ]; }
stop_pid() { # NAME: kill DIR/NAME.pid's process and wait for it to exit
  local f=$D/$1.pid p
  [ -f "$f" ] || return 0
  p=$(cat "$f"); kill "$p" 2>/dev/null || :
  for _ in $(seq 200); do alive "$p" || break; sleep .05; done
  alive "$p" && kill -9 "$p" 2>/dev/null
  rm -f "$f"
}
if [ "$1" = stop ]; then stop_pid dnsdist; stop_pid unbound; exit 0; fi
[ "$1" = start ] || usage
: "${DNS_PORT:?unbound.sh: set DNS_PORT (a free port on 127.0.0.1)}"
SMTP_ADDR=${SMTP_ADDR:-127.0.0.1}
bench_zone=
if [ "${BENCH_ZONE:-0}" = 1 ]; then
  bench_zone='  local-zone: "bench.test." redirect
  local-data: "bench.test. 300 MX 10 mx.alpha.test."'
fi
command -v unbound >/dev/null || { echo "unbound.sh: unbound not installed (run scripts/setup.sh)" >&2; exit 1; }

cat > "$D/unbound.conf" <<EOF
server:
  interface: 127.0.0.1@$DNS_PORT
  do-daemonize: no
  username: ""
  chroot: ""
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 1
  do-ip6: no
  num-threads: 1
  module-config: "iterator"
EOF
if [ "${LIAR:-0}" = 1 ]; then
  cat >> "$D/unbound.conf" <<EOF
  # LIAR=1: NXDOMAIN for every name, com. included: a static root without any data; test. too (unbound's
  # built-in RFC 6761 zone for it would answer its NS)
  local-zone: "." static
  local-zone: "test." static
  # every query in unbound.log ("info: 127.0.0.1 com. NS IN"), for tests that count them
  log-queries: yes
remote-control:
  control-enable: no
EOF
else
  cat >> "$D/unbound.conf" <<EOF
  # no root hints are needed: nothing outside .test and .example is answered
  local-zone: "." refuse
  local-zone: "test." static
  local-data: "test. 300 SOA ns.test. hostmaster.test. 1 3600 600 86400 60"
  local-data: "alpha.test. 300 MX 10 mx.alpha.test."
  local-data: "mx.alpha.test. 300 A $SMTP_ADDR"
  local-data: "catchall.test. 300 MX 10 mx.alpha.test."
  local-data: "grey.test. 300 MX 10 mx.alpha.test."
  local-data: "nullmx.test. 300 MX 0 ."
  local-data: "amx.test. 300 A $SMTP_ADDR"
  # the same mail world under .example, for the demo pages (scripts/local.mjs): .example names
  # are valid syntax without allow_special_use, so a browser's own check lets them through
  local-zone: "example." static
  local-data: "example. 300 SOA ns.example. hostmaster.example. 1 3600 600 86400 60"
  local-data: "alpha.example. 300 MX 10 mx.alpha.test."
  local-data: "catchall.example. 300 MX 10 mx.alpha.test."
  local-data: "grey.example. 300 MX 10 mx.alpha.test."
  local-data: "nullmx.example. 300 MX 0 ."
$bench_zone
  # SERVFAIL: resolved (not answered locally) by forwarding to a port where nothing listens
  local-zone: "servfail.test." transparent
  do-not-query-localhost: no
  outbound-msg-retry: 1
remote-control:
  control-enable: no
forward-zone:
  name: "servfail.test."
  forward-addr: 127.0.0.1@1
EOF
fi
unbound-checkconf "$D/unbound.conf" >/dev/null || { unbound-checkconf "$D/unbound.conf" >&2; exit 1; }
# stdout/stderr go to files: a caller reading this script's output must not wait for the daemon
unbound -d -c "$D/unbound.conf" >"$D/unbound.log" 2>&1 </dev/null & echo $! >"$D/unbound.pid"

wait_up() { # PORT NAME: our daemon (by pid) is alive and the port answers; a port that answers while our
  # daemon has died (it could not bind) belongs to someone else
  local pid; pid=$(cat "$D/$2.pid")
  for _ in $(seq 200); do
    alive "$pid" || break
    if [ "$2" = unbound ]; then grep -q 'start of service' "$D/unbound.log" && return 0
    else (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && { sleep .1; alive "$pid" && return 0; break; }; fi
    sleep .05
  done
  echo "unbound.sh: $2 did not come up on 127.0.0.1:$1" >&2; cat "$D/$2.log" >&2; exit 1
}
wait_up "$DNS_PORT" unbound

if [ -n "${DOH_PORT:-}" ]; then
  command -v dnsdist >/dev/null || { echo "unbound.sh: DOH_PORT set but dnsdist not installed" >&2; exit 1; }
  cat > "$D/dnsdist.conf" <<EOF
setSecurityPollSuffix("")
newServer({address="127.0.0.1:$DNS_PORT", checkName="alpha.test."})
addDOHLocal("127.0.0.1:$DOH_PORT", nil, nil, "/dns-query")
EOF
  dnsdist --supervised --disable-syslog -C "$D/dnsdist.conf" >"$D/dnsdist.log" 2>&1 </dev/null &
  echo $! >"$D/dnsdist.pid"
  wait_up "$DOH_PORT" dnsdist
fi
exit 0
