#!/usr/bin/env bash
# The main job.
#   scripts/start.sh                 builds the CLI and the npm package, then serves
#                                    the pages under www/ on 127.0.0.1 and prints
#                                    their URL (Ctrl-C stops it; PORT=8080 fixes the port)
#   scripts/start.sh ADDRESS|FLAGS…  runs `prebounce check --offline` with them,
#                                    e.g. scripts/start.sh --file list.csv --json
# It grows into the list checker page and the local edge API as they land;
# until the edge API exists, a stand-in answers the form demo's deep check.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh" >&2
cargo build --release --quiet --locked --manifest-path "$root/Cargo.toml" -p prebounce-probe
if [ $# -gt 0 ]; then
  [ "$1" = check ] && shift
  exec "${CARGO_TARGET_DIR:-$root/target}/release/prebounce" check --offline "$@"
fi
bash "$root/crates/wasm/build.sh" >&2
echo "CLI: ${CARGO_TARGET_DIR:-$root/target}/release/prebounce check --offline ADDRESS..." >&2
exec node "$root/tests/browser/server.mjs"
