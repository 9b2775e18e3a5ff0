#!/usr/bin/env bash
# Every figure of the syntax benchmark, side by side, in one run:
#   1. the corpus (bench/gen_corpus.py, deterministic);
#   2. criterion: `cargo bench -p prebounce-core --bench syntax`;
#   3. prebounce-core assess and verdict, timed like the baselines (examples/throughput.rs);
#   4. the JavaScript and Python baselines (bench/run-baselines.sh);
#   5. one table (bench/baselines/table.py).
# Options are passed on to run-baselines.sh (e.g. --count 10000 for a smoke run).
set -euo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$bench/.." && pwd)
count=1000000
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [ "${args[$i]}" = --count ] && count=${args[$((i + 1))]}
done
if [ "$count" = 1000000 ]; then corpus=$bench/corpus/corpus-1m.txt; else corpus=$bench/corpus/corpus-$count.txt; fi
out=$bench/out; mkdir -p "$out"

"$bench/run-baselines.sh" --setup-only "${args[@]}"
[ -f "$corpus" ] || { echo "run.sh: corpus $corpus missing" >&2; exit 1; }

echo "== criterion (cargo bench -p prebounce-core --bench syntax)"
PREBOUNCE_CORPUS=$corpus cargo bench --manifest-path "$root/Cargo.toml" -p prebounce-core --bench syntax 2>&1 \
  | grep -E '^syntax/|time:|thrpt:' || true

echo "== prebounce-core, timed like the baselines"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p prebounce-core --example throughput
: > "$out/rust.jsonl"
for mode in assess verdict; do
  "${CARGO_TARGET_DIR:-$root/target}/release/examples/throughput" "$corpus" --mode "$mode" --runs 5 | tee -a "$out/rust.jsonl"
done

"$bench/run-baselines.sh" "${args[@]}"
python3 "$bench/baselines/table.py" "$out/rust.jsonl" "$out/baselines.jsonl"
