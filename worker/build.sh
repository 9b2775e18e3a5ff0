#!/usr/bin/env bash
# Builds the edge API into worker/build/ (index.js + index_bg.wasm) with
# worker-build, using local tools only: the pinned wasm-bindgen CLI, and
# wasm-opt (binaryen) and esbuild from the root node_modules. Without them
# worker-build would try to download its own copies, which fails here.
#
#   bash worker/build.sh          # release build (what deploys and what tests run)
#   bash worker/build.sh --quiet  # no size report
#
# Needs scripts/setup.sh first (worker-build, wasm-bindgen, npm ci).
# Prints the bundle size, raw and gzipped: Cloudflare's free plan allows
# 3 MB compressed (10 MB on paid plans).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../scripts/versions.env
. "$root/scripts/versions.env"
quiet=0; [ "${1:-}" = --quiet ] && quiet=1

fail() { echo "worker/build.sh: $*" >&2; exit 1; }
command -v worker-build >/dev/null 2>&1 \
  || fail "worker-build not found: run scripts/setup.sh"
[ "$(worker-build --version)" = "$WORKER_BUILD_VERSION" ] \
  || fail "worker-build $(worker-build --version) found, $WORKER_BUILD_VERSION wanted: run scripts/setup.sh"
command -v wasm-bindgen >/dev/null 2>&1 \
  && [ "$(wasm-bindgen --version | awk '{print $2}')" = "$WASM_BINDGEN_VERSION" ] \
  || fail "wasm-bindgen $WASM_BINDGEN_VERSION not found: run scripts/setup.sh"
bin=$root/node_modules/.bin
for t in wasm-opt esbuild; do
  [ -x "$bin/$t" ] || fail "$bin/$t missing: run scripts/setup.sh (npm ci)"
done

cd "$root/worker"
# --locked is passed on to cargo: the build uses Cargo.lock as committed.
WASM_BINDGEN_BIN=$(command -v wasm-bindgen) \
WASM_OPT_BIN=$bin/wasm-opt \
ESBUILD_BIN=$bin/esbuild \
  worker-build --release --locked

[ $quiet = 1 ] && exit 0
js=build/index.js; wasm=build/index_bg.wasm
size() { stat -c %s "$1"; }
gz() { gzip -9c "$@" | wc -c; }
raw=$(( $(size $js) + $(size $wasm) ))
zipped=$(( $(gz $js) + $(gz $wasm) ))
printf '[worker] %s %d bytes (gzip %d), %s %d bytes (gzip %d)\n' \
  $js "$(size $js)" "$(gz $js)" $wasm "$(size $wasm)" "$(gz $wasm)"
printf '[worker] bundle %d bytes, %d gzipped (free plan limit: 3 MB gzipped)\n' $raw $zipped
[ "$zipped" -lt $((3 * 1024 * 1024)) ] || echo "[worker] WARNING: over the free plan's 3 MB" >&2
