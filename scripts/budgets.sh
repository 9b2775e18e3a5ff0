#!/usr/bin/env bash
# The npm package's budgets, measured on the built package (crates/wasm/dist;
# build it with crates/wasm/build.sh):
#   - the .wasm <= 150 KB gzipped (with the curated disposable list inside);
#   - the full disposable data file <= 300 KB gzipped and <= 2.5 bytes a domain;
#   - the filter's false-positive rate <= 1 in 30,000 per address checked
#     (every parent domain looked up counts; examples/filter_fpr.rs).
# Sizes and the rate are deterministic, so --check fails the run when one is
# over budget. Speed (checkMany >= 2M addresses/s) is a benchmark, not a
# check: bench/npm/run.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dist=$root/crates/wasm/dist
check=0; [ "${1:-}" = --check ] && check=1
[ -f "$dist/package.json" ] || { echo "budgets: build the package first (crates/wasm/build.sh)" >&2; exit 1; }

gz() { gzip -9c "$1" | wc -c; }
wasm=$dist/wasm/web/prebounce_wasm_bg.wasm
data=$dist/disposable.bin
domains=$(grep -vc '^#' "$root/crates/core/data/disposable/domains.txt")
wasm_gz=$(gz "$wasm"); data_gz=$(gz "$data")
fpr=$(cargo run --quiet --release --locked --manifest-path "$root/Cargo.toml" -p prebounce-core --example filter_fpr)
one_in=$(printf '%s' "$fpr" | sed -n 's/.*"one_in":\([0-9]*\).*/\1/p')

fail=0
row() { # name value limit unit [min]: the value must be <= limit, or >= it with "min"
  local ok=ok cmp='v <= l' word='at most'
  [ "${5:-}" = min ] && cmp='v >= l' word='at least'
  awk -v v="$2" -v l="$3" "BEGIN { exit !($cmp) }" || { ok=OVER; fail=1; }
  printf '%-50s %10s %-6s (budget: %s %s) %s\n' "$1" "$2" "$4" "$word" "$3" "$ok"
}
row ".wasm, gzipped ($(stat -c %s "$wasm") raw)" "$wasm_gz" 150000 bytes
row "full disposable data, gzipped ($domains domains)" "$data_gz" 300000 bytes
row "full disposable data, per domain" "$(awk -v g="$data_gz" -v n="$domains" 'BEGIN { printf "%.2f", g / n }')" 2.5 bytes
if [ -n "$one_in" ]; then
  row "filter false positive: 1 in N addresses" "$one_in" 30000 "" min
fi
echo "filter measurement: $fpr"
[ $check = 1 ] && [ $fail = 1 ] && { echo "budgets: over budget" >&2; exit 1; }
exit 0
