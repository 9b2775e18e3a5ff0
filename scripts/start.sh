#!/usr/bin/env bash
# The main job.
#   scripts/start.sh                 sets up and builds everything, then starts the whole
#                                    local system (scripts/local.mjs): the pages under www/,
#                                    the edge API in local workerd, and — as root with the
#                                    Debian peers — a local mail world (unbound + DoH,
#                                    Postfix) with the probe backend wired to it. Prints the
#                                    URLs and keys; Ctrl-C stops it all (PORT=8080 fixes the
#                                    pages' port).
#   scripts/start.sh ADDRESS|FLAGS…  runs `prebounce check` with them (DNS and SMTP),
#                                    e.g. scripts/start.sh --offline --file list.csv --json
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh" >&2
cargo build --release --quiet --locked --manifest-path "$root/Cargo.toml" -p prebounce-cli
if [ $# -gt 0 ]; then
  [ "$1" = check ] && shift
  exec "${CARGO_TARGET_DIR:-$root/target}/release/prebounce" check "$@"
fi
# The local system runs the probe from the debug build (as the tests do).
cargo build --quiet --locked --manifest-path "$root/Cargo.toml" -p prebounce-cli
bash "$root/crates/wasm/build.sh" >&2
bash "$root/worker/build.sh" --quiet >&2
echo "CLI: ${CARGO_TARGET_DIR:-$root/target}/release/prebounce check ADDRESS..." >&2
cd "$root"
export WRANGLER_SEND_METRICS=false WRANGLER_HIDE_BANNER=true CLOUDFLARE_CF_FETCH_ENABLED=false
exec node "$root/scripts/local.mjs"
