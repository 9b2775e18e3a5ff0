#!/usr/bin/env bash
# The probe benchmark: `prebounce check` over the bench world (tests/peers/bench-world.sh: 10,000 addresses on
# 100 domains, a real Postfix and unbound on loopback), in two modes at concurrency 8 and per-MX cap 8:
#   reuse        one SMTP session carries many RCPTs (the default)
#   per-address  --no-session-reuse: one connection per address
# For each: wall time, addresses/s, SMTP sessions Postfix logged, and correctness against truth.tsv (score.py).
# The world is started afresh for each mode and always stopped on exit. Needs root, postfix, unbound
# (scripts/setup.sh). Env: SMTP_PORT (2525), DNS_PORT (5353), N_DOMAINS (100; 100 addresses each),
# MODES ("reuse per-address"), CONCURRENCY (8), PER_MX (8), PREBOUNCE_BIN (a prebuilt binary; skips the build).
# Results: bench/out/probe/ (verdicts, stderr and maillog per mode, table.md).
set -euo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$bench/../.." && pwd)
export SMTP_PORT=${SMTP_PORT:-2525} DNS_PORT=${DNS_PORT:-5353} N_DOMAINS=${N_DOMAINS:-100}
MODES=${MODES:-reuse per-address}; CONCURRENCY=${CONCURRENCY:-8}; PER_MX=${PER_MX:-8}
out=$root/bench/out/probe; mkdir -p "$out"
world_sh=$root/tests/peers/bench-world.sh

if [ -n "${PREBOUNCE_BIN:-}" ]; then
  bin=$PREBOUNCE_BIN   # a binary built elsewhere
else
  echo "== cargo build --release -p prebounce-cli"
  cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p prebounce-cli
  bin=${CARGO_TARGET_DIR:-$root/target}/release/prebounce
fi

world=$(mktemp -d /tmp/prebounce-bench-world.XXXXXX); chmod 755 "$world"
cleanup() { "$world_sh" stop "$world" >/dev/null 2>&1 || :; rm -rf "$world"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# smtpd "connect from" lines, once postlogd has caught up (the log has not grown for 0.5 s)
connects() {
  local last=-1 now
  for _ in $(seq 100); do
    now=$(stat -c %s "$world/maillog" 2>/dev/null || echo 0)
    [ "$now" = "$last" ] && break
    last=$now; sleep .5
  done
  local c; c=$(grep -c 'smtpd\[[0-9]*\]: connect from' "$world/maillog" 2>/dev/null) || :
  echo "${c:-0}"
}

rows=()
for mode in $MODES; do
  case $mode in
    reuse) extra=() ;;
    per-address) extra=(--no-session-reuse) ;;
    *) echo "run.sh: unknown mode $mode (reuse, per-address)" >&2; exit 2 ;;
  esac
  echo "== $mode: starting the bench world ($N_DOMAINS domains, SMTP 127.0.0.1:$SMTP_PORT, DNS 127.0.0.1:$DNS_PORT)"
  "$world_sh" stop "$world" >/dev/null 2>&1 || :
  "$world_sh" start "$world"
  n=$(wc -l < "$world/addresses.txt")
  before=$(connects)
  cmd=("$bin" check --file "$world/addresses.txt" --json --resolver "127.0.0.1:$DNS_PORT" --smtp-port "$SMTP_PORT"
       --allow-private --allow-special-use --helo bench.prebounce.test --concurrency "$CONCURRENCY" --per-mx "$PER_MX"
       --retry-window 0 "${extra[@]}")
  echo "   prebounce ${cmd[*]:1}"
  t0=$EPOCHREALTIME
  rc=0; "${cmd[@]}" > "$out/$mode.jsonl" 2> "$out/$mode.stderr" || rc=$?
  t1=$EPOCHREALTIME
  after=$(connects)
  [ $rc = 0 ] || { echo "   prebounce exited $rc; stderr:"; tail -5 "$out/$mode.stderr"; }
  secs=$(python3 -c "print(f'{$t1 - $t0:.2f}')")
  rate=$(python3 -c "print(f'{$n / max($t1 - $t0, 1e-9):.0f}')")
  sessions=$((after - before))
  python3 "$bench/score.py" "$world/truth.tsv" "$out/$mode.jsonl" | sed 's/^/   /'
  IFS=$'\t' read -r correct total missing _ < <(python3 "$bench/score.py" "$world/truth.tsv" "$out/$mode.jsonl" --tsv)
  cp "$world/maillog" "$out/$mode.maillog"
  rows+=("| $mode | $n | $secs | $rate | $sessions | $correct / $total | $rc |")
  echo "   $mode: ${secs} s, $rate addresses/s, $sessions SMTP sessions, $correct/$total correct (no verdict: $missing)"
done
"$world_sh" stop "$world"

table=$(
  echo "| mode | addresses | wall s | addresses/s | SMTP sessions | correct | exit |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
)
echo
echo "prebounce $("$bin" --version | awk '{print $2}'), concurrency $CONCURRENCY, per-MX $PER_MX, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "$table"
echo "$table" > "$out/table.md"
