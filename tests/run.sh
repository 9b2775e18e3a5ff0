#!/usr/bin/env bash
# The whole test suite: set-up (idempotent), formatting, lints, every
# workspace test, and the core built for wasm32. CI runs exactly this.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh"

step() { printf '\n== %s (%s, %ss in)\n' "$*" "$(date -u +%T)" "$SECONDS"; }

# CI builds from a clean clone: incremental caches are never reused, and
# full debug info mostly costs link time (line tables keep backtraces
# readable). Locally the profiles stay as they are, so this suite shares the
# target directory with everyday builds.
if [ "${CI:-}" = true ]; then
  export CARGO_INCREMENTAL=0 CARGO_PROFILE_DEV_DEBUG=line-tables-only
fi

step "rustfmt"
cargo fmt --all -- --check

step "clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "prebounce-core for wasm32 (with and without the embedded full disposable list)"
# The npm package and the worker build it for wasm32 in release below; here
# both feature sets only need to compile.
cargo check --locked -p prebounce-core --target wasm32-unknown-unknown
cargo check --locked -p prebounce-core --target wasm32-unknown-unknown --no-default-features

step "tests"
cargo test --workspace --locked

step "fuzz targets still build (running them needs nightly: fuzz/README.md)"
cargo check --locked --quiet --manifest-path fuzz/Cargo.toml

step "wasm bindings (wasm-bindgen-test in Node)"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --locked -p prebounce-wasm --target wasm32-unknown-unknown --test bindings

step "npm package: build, budgets, node tests (both entry points; CLI equivalence)"
bash crates/wasm/build.sh
bash scripts/budgets.sh --check
node --test tests/npm/

step "browser: the form helper and the list checker in headless Chromium"
# The worker's release build (CPU) runs meanwhile: the browser tests mostly
# wait on Chromium. Its output is shown in the worker step.
mkdir -p target
nice -n 10 bash worker/build.sh > target/worker-build.log 2>&1 &
worker_build=$!
browser_status=0
node --test tests/browser/ || browser_status=$?
worker_status=0
wait "$worker_build" || worker_status=$?
[ "$browser_status" = 0 ] || exit "$browser_status"

step "worker: build, then Miniflare tests (local workerd; real DoH, Postfix and probe peers)"
cat target/worker-build.log
[ "$worker_status" = 0 ] || { echo "worker/build.sh failed" >&2; exit "$worker_status"; }
# The Workers glue (worker/src/glue.rs) only compiles for wasm32: lint it there.
cargo clippy --locked -p prebounce-worker --target wasm32-unknown-unknown -- -D warnings
# The CLI and `serve` the tests drive: target/debug/prebounce, built by the
# workspace tests above.
test -x "${CARGO_TARGET_DIR:-target}/debug/prebounce" || cargo build --locked -p prebounce-cli
# Two test files at a time: most of their time is spent waiting on peers.
WRANGLER_SEND_METRICS=false WRANGLER_HIDE_BANNER=true CLOUDFLARE_CF_FETCH_ENABLED=false \
  node --test --test-concurrency=2 tests/worker/
