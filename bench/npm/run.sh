#!/usr/bin/env bash
# checkMany in Node against the JavaScript validators, side by side in one run
# on the same 1,000,000-address corpus: prebounce (array and string input),
# validator.isEmail, email-validator, mailchecker and mailcheck.
#   bench/npm/run.sh [--count N] [--runs N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bench=$(cd "$here/.." && pwd)
root=$(cd "$bench/.." && pwd)
count=1000000; runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: bench/npm/run.sh [--count N] [--runs N]" >&2; exit 2 ;;
  esac
done
# The corpus and the JavaScript baselines' node_modules, made by run-baselines.sh:
# the 1,000,000-line corpus is its default (corpus-1m.txt); --count N makes corpus-N.txt.
if [ "$count" = 1000000 ]; then corpus=$bench/corpus/corpus-1m.txt; sized=(); else corpus=$bench/corpus/corpus-$count.txt; sized=(--count "$count"); fi
"$bench/run-baselines.sh" --setup-only --only validator,email-validator,mailchecker,mailcheck ${sized[@]+"${sized[@]}"} >/dev/null
[ -f "$corpus" ] || { echo "bench/npm/run.sh: corpus $corpus missing" >&2; exit 1; }
[ -f "$root/crates/wasm/dist/package.json" ] || bash "$root/crates/wasm/build.sh"
out=$bench/out; mkdir -p "$out"
node "$here/checkmany.mjs" "$corpus" --runs "$runs" | tee "$out/npm.jsonl"
for lib in validator email-validator mailchecker mailcheck; do
  node "$bench/baselines/node/run.mjs" "$lib" "$corpus" --runs "$runs" | tee -a "$out/npm.jsonl"
done
python3 "$bench/baselines/table.py" "$out/npm.jsonl"
python3 - "$out/npm.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
base = next(r for r in rows if r["library"].startswith("validator.isEmail"))
for r in rows:
    if r["library"].startswith("prebounce"):
        print(f'{r["library"]}: {r["per_second"]:,}/s = {r["per_second"] / base["per_second"]:.1f}x validator.isEmail')
PY
