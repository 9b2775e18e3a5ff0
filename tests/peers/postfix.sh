#!/usr/bin/env bash
# postfix.sh start|stop DIR -- a real Postfix on 127.0.0.1:$SMTP_PORT for the end-to-end tests.
#
# Needs root and Debian's postfix + openssl (scripts/setup.sh installs them). SMTP_PORT is required:
# the caller picks a free port. DIR holds everything (config, queue, TLS key, log): use a fresh folder
# OUTSIDE the checkout (mktemp -d under /tmp) -- Postfix runs as its own user, so DIR and every folder
# above it must be searchable by that user; this script chmods DIR 755 and checks the rest.
#
# Test domains (replies as Postfix sends them; access-map texts get Postfix's
# "<rcpt>: Recipient address rejected: " prefix):
#   alpha.test     ok@        250 2.1.5 Ok
#                  disabled@  550 5.2.1 <disabled@alpha.test>: Recipient address rejected: The email account that you tried to reach is disabled
#                  full@      452 4.2.2 <full@alpha.test>: Recipient address rejected: Mailbox full
#                  others     550 5.1.1 <x@alpha.test>: Recipient address rejected: User unknown in virtual mailbox table
#   catchall.test  everyone   250 2.1.5 Ok
#   grey.test      everyone   450 4.7.1 <x@grey.test>: Recipient address rejected: greylisted, try again later
#   alpha.example, catchall.example, grey.example: the same as their .test twins (for the demo pages)
#   anything else             554 5.7.1 <x@other.test>: Relay access denied
# With PF_MILTER=1, also replies sent verbatim (no prefix) by tests/peers/verbatim_milter.py over a unix socket in DIR:
#   alpha.test     gone@      550-5.2.1 The email account that you tried to reach is disabled. Learn more at
#                             550 5.2.1 https://support.example/mail/?p=DisabledUser x1si123 - gsmtp
#                  closed@    550 5.0.0 The email account that you tried to reach is disabled
#                  ghost@     550 5.1.1 The email account that you tried to reach does not exist.
# STARTTLS is offered (self-signed certificate for mx.alpha.test). Nothing can leave the host: there is
# no smtp/lmtp/local/virtual delivery service and every transport is "discard".
# Stock smtpd error limits (soft 10, hard 20, 1 s error sleep).
#
# Files: DIR/maillog (count SMTP sessions: grep -c 'smtpd\[[0-9]*\]: connect from' DIR/maillog).
# stop: "postfix stop", then waits until the master process has exited. Safe to call twice.
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin
usage() { echo "usage: SMTP_PORT=N postfix.sh start|stop DIR" >&2; exit 2; }
[ $# = 2 ] || usage
D=$2; [ "$1" = stop ] && [ ! -d "$D" ] && exit 0   # nothing was started there
mkdir -p "$D"; D=$(cd "$D" && pwd); E=$D/etc

# alive PID: running and not a zombie (the master is reparented to pid 1, which may reap it late)
alive() { local s; [ -n "$1" ] && s=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) && [ "$s" != Z ]; }
if [ "$1" = stop ]; then
  P=$(tr -d ' ' 2>/dev/null < "$D/spool/pid/master.pid" || :)
  [ -f "$E/main.cf" ] && { postfix -c "$E" stop >/dev/null 2>&1 || :; }
  for _ in $(seq 400); do alive "$P" || break; sleep .05; done
  if alive "$P"; then kill -9 "$P" 2>/dev/null || :; fi
  if [ -f "$D/milter.pid" ]; then M=$(cat "$D/milter.pid"); kill "$M" 2>/dev/null || :
    for _ in $(seq 200); do alive "$M" || break; sleep .05; done
    if alive "$M"; then kill -9 "$M" 2>/dev/null || :; fi
    rm -f "$D/milter.pid" "$D/milter.sock"; fi
  exit 0
fi
[ "$1" = start ] || usage
: "${SMTP_PORT:?postfix.sh: set SMTP_PORT (a free TCP port on 127.0.0.1)}"
command -v postfix >/dev/null || { echo "postfix.sh: postfix not installed (run scripts/setup.sh)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "postfix.sh: must run as root (Postfix starts as root, then drops to its user)" >&2; exit 1; }

mkdir -p "$E" "$D/spool" "$D/data"; chmod 755 "$D" "$E"; chown postfix "$D/data"
MILTER_BOXES=; MILTER_CF=
if [ "${PF_MILTER:-0}" = 1 ]; then
  # the milter's recipients exist as far as Postfix's own checks go; the milter then refuses them verbatim
  MILTER_BOXES=", gone@alpha.test=x, closed@alpha.test=x, ghost@alpha.test=x"
  MILTER_CF="smtpd_milters = unix:$D/milter.sock
milter_default_action = tempfail"
fi
cd "$E"
[ -f key.pem ] || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout key.pem -out cert.pem -days 3650 -subj /CN=mx.alpha.test >/dev/null 2>&1
chmod 600 key.pem
cat > main.cf <<EOF
compatibility_level = 3.6
queue_directory = $D/spool
data_directory = $D/data
maillog_file_prefixes = $D
maillog_file = $D/maillog
myhostname = mx.alpha.test
mydomain = alpha.test
smtpd_banner = \$myhostname ESMTP prebounce test peer
smtpd_peername_lookup = no
inet_interfaces = loopback-only
inet_protocols = ipv4
mydestination =
relay_domains =
alias_maps =
alias_database =
local_recipient_maps =
virtual_mailbox_domains = alpha.test catchall.test grey.test alpha.example catchall.example grey.example
virtual_mailbox_maps = inline:{ok@alpha.test=x, disabled@alpha.test=x, full@alpha.test=x, @catchall.test=x, @grey.test=x, ok@alpha.example=x, disabled@alpha.example=x, full@alpha.example=x, @catchall.example=x, @grey.example=x$MILTER_BOXES}
default_transport = discard:
relay_transport = discard:
local_transport = discard:
virtual_transport = discard:
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:$E/rcpt_access, reject_unlisted_recipient
smtpd_tls_security_level = may
smtpd_tls_chain_files = $E/key.pem, $E/cert.pem
# no inflow throttling of accepted RCPTs that never become mail (see bench-world.sh)
in_flow_delay = 0s
$MILTER_CF
EOF
cat > rcpt_access <<EOF
disabled@alpha.test 550 5.2.1 The email account that you tried to reach is disabled
full@alpha.test 452 4.2.2 Mailbox full
grey.test 450 4.7.1 greylisted, try again later
disabled@alpha.example 550 5.2.1 The email account that you tried to reach is disabled
full@alpha.example 452 4.2.2 Mailbox full
grey.example 450 4.7.1 greylisted, try again later
EOF
# deliberately no smtp/lmtp/local/virtual services: nothing can leave the host
cat > master.cf <<EOF
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
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
touch -d '-1 min' main.cf master.cf rcpt_access   # else postfix waits ~1.5 s for main.cf to "settle"
if command -v runuser >/dev/null && ! runuser -u postfix -- test -r "$E/main.cf"; then
  echo "postfix.sh: the postfix user cannot read $E/main.cf: chmod 755 every folder above $D" >&2; exit 1
fi
if [ "${PF_MILTER:-0}" = 1 ]; then
  /usr/bin/python3 -c 'import Milter' 2>/dev/null || { echo "postfix.sh: PF_MILTER=1 needs python3-milter" >&2; exit 1; }
  rm -f "$D/milter.sock"
  # umask: smtpd (user postfix) must be able to write to the socket
  # (not named milter.py: that would shadow python3-milter's own "milter" module)
  (umask 0111; exec /usr/bin/python3 "$(dirname "$0")/verbatim_milter.py" "unix:$D/milter.sock") \
    >"$D/milter.log" 2>&1 </dev/null &
  echo $! >"$D/milter.pid"
  for _ in $(seq 200); do [ -S "$D/milter.sock" ] && break; sleep .05; done
  [ -S "$D/milter.sock" ] || { echo "postfix.sh: the milter did not start" >&2; cat "$D/milter.log" >&2; exit 1; }
fi
rm -f "$D/maillog"
fail() { echo "postfix.sh: $*" >&2; echo "---- $D/maillog" >&2; cat "$D/maillog" >&2 2>/dev/null || :; exit 1; }
postfix -c "$E" start >"$D/start.log" 2>&1 || { cat "$D/start.log" >&2; fail "postfix start failed"; }
# ready when our banner comes (another server on a port that was free a moment ago would not send it)
banner() { local l; exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT" && IFS= read -r -t 5 l <&3 && exec 3<&- && echo "$l"; }
ok=0; for _ in $(seq 200); do
  b=$(banner 2>/dev/null) && { case $b in *"prebounce test peer"*) ok=1; break ;; *) fail "127.0.0.1:$SMTP_PORT is another server: $b" ;; esac; }
  sleep .05
done
[ $ok = 1 ] || fail "nothing listens on 127.0.0.1:$SMTP_PORT"
# The readiness probe above is one "connect from" line (commands=0/0); wait until it is logged so that
# later counts of "connect from" lines in DIR/maillog are exact.
for _ in $(seq 100); do grep -q "commands=0/0" "$D/maillog" 2>/dev/null && break; sleep .05; done
exit 0
