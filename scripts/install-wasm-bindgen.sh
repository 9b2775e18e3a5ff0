#!/usr/bin/env bash
# Installs wasm-bindgen-cli at exactly the wasm-bindgen version the project
# locks (scripts/versions.env), from its source in the cargo registry, with one
# lock-file fix: the webpki-roots its lock names cannot be had, so the copy is
# pinned to one that can. Skips when the right version is already installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/versions.env"
want=$WASM_BINDGEN_VERSION
if command -v wasm-bindgen >/dev/null 2>&1 && [ "$(wasm-bindgen --version | awk '{print $2}')" = "$want" ]; then
  exit 0
fi
echo "[setup] installing wasm-bindgen-cli $want from source (about 2 minutes)"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/fetch/src"
cat > "$work/fetch/Cargo.toml" <<TOML
[package]
name = "fetch-wasm-bindgen-cli"
version = "0.0.0"
edition = "2021"
[dependencies]
wasm-bindgen-cli = "=$want"
[workspace]
TOML
: > "$work/fetch/src/lib.rs"
cargo fetch --quiet --manifest-path "$work/fetch/Cargo.toml"
src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/wasm-bindgen-cli-"$want" | head -1)
cp -r "$src" "$work/cli"
# Its own lock first; where the registry lacks a crate that lock names (here:
# webpki-roots), the pinned replacement.
if ! cargo install --quiet --locked --path "$work/cli" 2>/dev/null; then
  (cd "$work/cli" && cargo update --quiet -p webpki-roots --precise "$WASM_BINDGEN_WEBPKI_ROOTS")
  cargo install --quiet --locked --path "$work/cli"
fi
wasm-bindgen --version
