#!/usr/bin/env bash
# bench-world.sh start|stop DIR -- a local, self-contained mail world for probe throughput runs (bench/probe/).
#
#  DNS : unbound on 127.0.0.1:${DNS_PORT:-5353}, zone "test." static:
#        dNNN.test MX 10 mx.dNNN.test ; mx.dNNN.test A 127.0.0.1     (NNN = 000 .. N_DOMAINS-1)
#        + the zones of unbound.sh (alpha/catchall/grey -> mx.alpha.test, nullmx "MX 0 .", amx A-only);
#        nxdomain.test and every other .test name NXDOMAIN; names outside .test REFUSED.
#  SMTP: Postfix (Debian) on 127.0.0.1:${SMTP_PORT:-2525}, stock smtpd limits (soft/hard error limit 10/20,
#        1 s error sleep), STARTTLS offered, in_flow_delay 0, nothing can leave the host (no smtp/local/virtual
#        delivery services; every transport is "discard").
#        Per domain 100 addresses:  u00..u69 exist     -> 250 2.1.5 Ok
#                                   u70..u89 unknown   -> 550 5.1.1 <a>: Recipient address rejected: User unknown in virtual mailbox table
#                                   u90..u94 disabled  -> 550 5.2.1 <a>: Recipient address rejected: The email account that you tried to reach is disabled
#                                   u95..u99 full      -> 452 4.2.2 <a>: Recipient address rejected: Mailbox full
#        plus the postfix.sh mailboxes (ok/disabled/full@alpha.test, @catchall.test catch-all, grey.test 450).
#  Files written to DIR: addresses.txt (one address a line, N_DOMAINS*100), truth.tsv (address<TAB>class, class in
#        deliverable|unknown|disabled|full), maillog (Postfix log; count SMTP sessions with
#        grep -c 'smtpd\[[0-9]*\]: connect from' DIR/maillog -- start leaves exactly one, its readiness probe),
#        unbound.log, unbound.pid.
#  Env knobs: N_DOMAINS (100), SMTP_PORT (2525), DNS_PORT (5353), SMTPD_MAXPROC (200),
#        IN_FLOW_DELAY (0s; Postfix's default is 1s, see main.cf below).
#  Needs: root, postfix + unbound + openssl (scripts/setup.sh). DIR and every folder above it must be searchable by
#        the postfix user: use a fresh mktemp -d folder outside the checkout; this script chmods DIR 755.
#  stop: postfix stop + kill unbound (by its pid file), waits for both to exit.
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin
usage() { echo "usage: bench-world.sh start|stop DIR" >&2; exit 2; }
[ $# = 2 ] || usage
D=$2; [ "$1" = stop ] && [ ! -d "$D" ] && exit 0   # nothing was started there
mkdir -p "$D"; D=$(cd "$D" && pwd); E=$D/etc
N_DOMAINS=${N_DOMAINS:-100}; SMTP_PORT=${SMTP_PORT:-2525}; DNS_PORT=${DNS_PORT:-5353}
SMTPD_MAXPROC=${SMTPD_MAXPROC:-200}; IN_FLOW_DELAY=${IN_FLOW_DELAY:-0s}
# alive PID: running and not a zombie (daemons are reparented to pid 1, which may reap them late)
alive() { local s; [ -n "$1" ] && s=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) && [ "$s" != Z ]; }

if [ "$1" = stop ]; then
  P=$(tr -d ' ' 2>/dev/null < "$D/spool/pid/master.pid" || :)
  [ -f "$E/main.cf" ] && { postfix -c "$E" stop >/dev/null 2>&1 || :; }
  for _ in $(seq 400); do alive "$P" || break; sleep .05; done
  if alive "$P"; then kill -9 "$P" 2>/dev/null || :; fi
  if [ -f "$D/unbound.pid" ]; then U=$(cat "$D/unbound.pid"); kill "$U" 2>/dev/null || :
    for _ in $(seq 200); do alive "$U" || break; sleep .05; done
    if alive "$U"; then kill -9 "$U" 2>/dev/null || :; fi
    rm -f "$D/unbound.pid"; fi
  exit 0
fi
[ "$1" = start ] || usage
[ "$(id -u)" = 0 ] || { echo "bench-world.sh: must run as root (Postfix)" >&2; exit 1; }
for c in postfix unbound openssl; do
  command -v $c >/dev/null || { echo "bench-world.sh: $c not installed (run scripts/setup.sh)" >&2; exit 1; }
done

mkdir -p "$E" "$D/spool" "$D/data"; chmod 755 "$D" "$E"; chown postfix "$D/data"

# ---------- address list and truth ----------
python3 - "$D" "$E" "$N_DOMAINS" <<'EOF'
import sys
d, e, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
dis = "550 5.2.1 The email account that you tried to reach is disabled"
with open(f"{d}/addresses.txt", "w") as addrs, open(f"{d}/truth.tsv", "w") as truth, \
     open(f"{e}/vdomains", "w") as vdom, open(f"{e}/vmailbox", "w") as vmb, open(f"{e}/rcpt_access", "w") as acc:
    for i in range(n):
        dom = f"d{i:03d}.test"
        vdom.write(f"{dom} x\n")
        for u in range(100):
            a = f"u{u:02d}@{dom}"
            addrs.write(a + "\n")
            if u < 70:
                c = "deliverable"; vmb.write(f"{a} x\n")
            elif u < 90:
                c = "unknown"
            elif u < 95:
                c = "disabled"; vmb.write(f"{a} x\n"); acc.write(f"{a} {dis}\n")
            else:
                c = "full"; vmb.write(f"{a} x\n"); acc.write(f"{a} 452 4.2.2 Mailbox full\n")
            truth.write(f"{a}\t{c}\n")
    # the postfix.sh truth-table mailboxes, so one world serves both kinds of run
    vdom.write("alpha.test x\ncatchall.test x\ngrey.test x\n")
    vmb.write("ok@alpha.test x\ndisabled@alpha.test x\nfull@alpha.test x\n@catchall.test x\n@grey.test x\n")
    acc.write(f"disabled@alpha.test {dis}\nfull@alpha.test 452 4.2.2 Mailbox full\n"
              "grey.test 450 4.7.1 greylisted, try again later\n")
EOF

# ---------- DNS (unbound) ----------
{
  cat <<EOF
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
  local-zone: "." refuse
  local-zone: "test." static
  local-data: "test. 300 SOA ns.test. hostmaster.test. 1 3600 600 86400 60"
  local-data: "alpha.test. 300 MX 10 mx.alpha.test."
  local-data: "mx.alpha.test. 300 A 127.0.0.1"
  local-data: "catchall.test. 300 MX 10 mx.alpha.test."
  local-data: "grey.test. 300 MX 10 mx.alpha.test."
  local-data: "nullmx.test. 300 MX 0 ."
  local-data: "amx.test. 300 A 127.0.0.1"
EOF
  for ((d = 0; d < N_DOMAINS; d++)); do dom=$(printf 'd%03d.test' $d)
    echo "  local-data: \"$dom. 300 MX 10 mx.$dom.\""
    echo "  local-data: \"mx.$dom. 300 A 127.0.0.1\""
  done
  printf 'remote-control:\n  control-enable: no\n'
} > "$D/unbound.conf"
unbound -d -c "$D/unbound.conf" >"$D/unbound.log" 2>&1 </dev/null & echo $! >"$D/unbound.pid"

# ---------- Postfix ----------
cd "$E"
[ -f key.pem ] || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout key.pem -out cert.pem -days 3650 -subj /CN=mx.bench.test >/dev/null 2>&1
chmod 600 key.pem
cat > main.cf <<EOF
compatibility_level = 3.6
queue_directory = $D/spool
data_directory = $D/data
maillog_file_prefixes = $D
maillog_file = $D/maillog
myhostname = mx.bench.test
smtpd_peername_lookup = no
inet_interfaces = loopback-only
inet_protocols = ipv4
mydestination =
relay_domains =
alias_maps =
alias_database =
local_recipient_maps =
virtual_mailbox_domains = texthash:$E/vdomains
virtual_mailbox_maps = texthash:$E/vmailbox
default_transport = discard:
relay_transport = discard:
local_transport = discard:
virtual_transport = discard:
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:$E/rcpt_access, reject_unlisted_recipient
smtpd_tls_security_level = may
smtpd_tls_chain_files = $E/key.pem, $E/cert.pem
# Postfix inflow control: cleanup sleeps in_flow_delay (default 1s) per new queue file when qmgr has handed out
# no tokens; a verifier never delivers, so tokens run out after a burst and every first accepted RCPT of a
# session then costs +1.0 s, depending on history. 0s makes runs deterministic.
in_flow_delay = $IN_FLOW_DELAY
EOF
cat > master.cf <<EOF
127.0.0.1:$SMTP_PORT inet n - n - $SMTPD_MAXPROC smtpd
postlog unix-dgram n - n - 1 postlogd
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
discard unix - - n - - discard
error unix - - n - - error
retry unix - - n - - error
tlsmgr unix - - n 1000? 1 tlsmgr
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
EOF
touch -d '-1 min' main.cf master.cf vdomains vmailbox rcpt_access   # else postfix waits for main.cf to "settle"
if command -v runuser >/dev/null && ! runuser -u postfix -- test -r "$E/main.cf"; then
  echo "bench-world.sh: the postfix user cannot read $E/main.cf: chmod 755 every folder above $D" >&2; exit 1
fi
rm -f "$D/maillog"
fail() { echo "bench-world.sh: $*" >&2; echo "---- $D/maillog" >&2; cat "$D/maillog" >&2 2>/dev/null || :; exit 1; }
postfix -c "$E" start >"$D/start.log" 2>&1 || { cat "$D/start.log" >&2; fail "postfix start failed"; }
# ready when our banner comes (another server on that port would not send it)
banner() { local l; exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT" && IFS= read -r -t 5 l <&3 && exec 3<&- && echo "$l"; }
ok=0; for _ in $(seq 200); do
  b=$(banner 2>/dev/null) && { case $b in *"mx.bench.test ESMTP"*) ok=1; break ;; *) fail "127.0.0.1:$SMTP_PORT is another server: $b" ;; esac; }
  sleep .05
done
[ $ok = 1 ] || fail "nothing listens on 127.0.0.1:$SMTP_PORT"
# the readiness probe above is one "connect from" line (commands=0/0); wait until it is logged so that later
# counts of "connect from" lines in DIR/maillog are exact
for _ in $(seq 100); do grep -q "commands=0/0" "$D/maillog" 2>/dev/null && break; sleep .05; done
# unbound logs "start of service" once bound; if it could not bind (port taken) it exits
U=$(cat "$D/unbound.pid")
for _ in $(seq 200); do alive "$U" || break; grep -q 'start of service' "$D/unbound.log" && exit 0; sleep .05; done
echo "bench-world.sh: unbound did not come up on 127.0.0.1:$DNS_PORT" >&2; cat "$D/unbound.log" >&2; exit 1
