#!/usr/bin/env bash
# The whole test suite: set-up (idempotent), formatting, lints, every
# workspace test, and the core built for wasm32. CI runs exactly this.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh"

step() { printf '\n== %s\n' "$*"; }

step "rustfmt"
cargo fmt --all -- --check

step "clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "prebounce-core for wasm32 (with and without the embedded full disposable list)"
cargo build --locked -p prebounce-core --target wasm32-unknown-unknown
cargo build --locked -p prebounce-core --target wasm32-unknown-unknown --no-default-features

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
node --test tests/browser/

step "worker: build, then Miniflare tests (local workerd; real DoH, Postfix and probe peers)"
# The Workers glue (worker/src/glue.rs) only compiles for wasm32: lint it there.
cargo clippy --locked -p prebounce-worker --target wasm32-unknown-unknown -- -D warnings
bash worker/build.sh
cargo build --locked -p prebounce-probe
WRANGLER_SEND_METRICS=false WRANGLER_HIDE_BANNER=true CLOUDFLARE_CF_FETCH_ENABLED=false \
  node --test tests/worker/
