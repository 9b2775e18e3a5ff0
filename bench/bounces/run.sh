#!/usr/bin/env bash
# Bounces parsed per second, on one core (taskset -c 0), side by side:
#   - prebounce's bounce::parse (core, release build),
#   - mail-parser's MIME parse alone (the floor prebounce stands on),
#   - Python's stdlib email parse + delivery-status walk (a baseline),
#   - the CLI end to end: `prebounce bounces` over an mbox of 100,000
#     messages, with and without `--suppress` (SQLite, WAL, batches of 500).
# Target (issue 7): >= 20,000 messages/s on one core for bounce::parse.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/bench/out/bounces"
mkdir -p "$out"
cd "$root"
pin=(taskset -c 0)
command -v taskset >/dev/null || pin=()

cargo build -q --release -p prebounce-cli
cargo bench -q -p prebounce-core --bench bounces --no-run
"${pin[@]}" cargo bench -q -p prebounce-core --bench bounces | tee "$out/parse.jsonl"
"${pin[@]}" python3 bench/bounces/python_email.py crates/core/tests/bounces/corpus | tee -a "$out/parse.jsonl"

# The CLI over an mbox of 100,000 messages built from the corpus.
python3 - "$out/corpus-100k.mbox" <<'PY'
import pathlib, sys
src = sorted(p for p in pathlib.Path("crates/core/tests/bounces/corpus").iterdir()
             if p.suffix == ".eml")
msgs = [p.read_bytes().replace(b"\r\n", b"\n") for p in src]
with open(sys.argv[1], "wb") as f:
    for i in range(100_000):
        m = msgs[i % len(msgs)]
        # A distinct Message-ID per copy, so the store sees 100,000 messages.
        m = m.replace(b"Message-ID: <", b"Message-ID: <c%d." % i, 1).replace(b"Message-Id: <", b"Message-Id: <c%d." % i, 1)
        body = b"\n".join((b">" + l if l.startswith(b"From ") else l) for l in m.split(b"\n"))
        f.write(b"From MAILER-DAEMON Sat Mar 14 10:26:53 2026\n" + body + b"\n\n")
PY
for mode in plain suppress; do
  rm -f "$out/bench.db" "$out/bench.db-wal" "$out/bench.db-shm"
  args=(bounces "$out/corpus-100k.mbox")
  [ "$mode" = suppress ] && args+=(--suppress "$out/bench.db")
  start=$(date +%s.%N)
  "${pin[@]}" target/release/prebounce "${args[@]}" >/dev/null 2>"$out/cli-$mode.txt"
  end=$(date +%s.%N)
  python3 -c "import json,sys; s=float(sys.argv[2])-float(sys.argv[1]); print(json.dumps({'what': 'prebounce bounces CLI (' + sys.argv[3] + ')', 'messages': 100000, 'best_s': round(s, 3), 'messages_per_s': round(100000 / s)}))" "$start" "$end" "$mode" | tee -a "$out/parse.jsonl"
  tail -1 "$out/cli-$mode.txt"
done
rm -f "$out/corpus-100k.mbox" "$out/bench.db" "$out/bench.db-wal" "$out/bench.db-shm"
