#!/usr/bin/env bash
# The main job. For now: build the `prebounce` CLI and check addresses
# offline (syntax, IDN, disposable, free, role, typos). With no arguments it
# checks a few samples; otherwise it passes its arguments to
# `prebounce check --offline`, e.g. `scripts/start.sh --file list.csv --json`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh" >&2
cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p prebounce-probe
bin=$root/target/release/prebounce
if [ $# -eq 0 ]; then
  set -- john@gmial.com John.Doe@Bücher.DE someone@mailinator.com 'broken..dots@example.com' info@example.com
  echo "# prebounce check --offline $*" >&2
fi
exec "$bin" check --offline "$@"
