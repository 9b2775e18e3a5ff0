#!/usr/bin/env bash
# Measures the browser-side sizes the npm package has budgets for:
#   - the core compiled to wasm32 with only the curated disposable list inside
#     (a throwaway cdylib that exports one check function, release, opt-level
#     "z", LTO; no wasm-bindgen glue yet — that comes with crates/wasm);
#   - the full disposable filter file the browser loads on demand.
# Prints raw and gzip -9 sizes in bytes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh" >/dev/null
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
cat > "$work/Cargo.toml" <<TOML
[package]
name = "size-probe"
version = "0.0.0"
edition = "2021"
publish = false
[lib]
crate-type = ["cdylib"]
[dependencies]
prebounce-core = { path = "$root/crates/core", default-features = false }
[profile.release]
opt-level = "z"
lto = true
codegen-units = 1
panic = "abort"
strip = true
[workspace]
TOML
cat > "$work/src/lib.rs" <<'RS'
//! Exports the syntax-depth check so the linker keeps all of it.
#[no_mangle]
pub extern "C" fn check(ptr: *const u8, len: usize) -> u32 {
    // SAFETY: the caller passes a valid UTF-8 buffer (size probe only).
    let s = unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(ptr, len)) };
    let v = prebounce_core::check(s, &prebounce_core::Options::default());
    u32::from(v.reason.code()) | (v.message.map_or(0, |m| m.len() as u32) << 8)
}
RS
CARGO_TARGET_DIR="$work/target" cargo build --quiet --release --target wasm32-unknown-unknown --manifest-path "$work/Cargo.toml"
wasm=$work/target/wasm32-unknown-unknown/release/size_probe.wasm
filter=$root/crates/core/data/disposable/filter.bin
domains=$(grep -vc '^#' "$root/crates/core/data/disposable/domains.txt")
row() { printf '%-58s %9s bytes raw %9s bytes gzipped\n' "$1" "$(stat -c %s "$2")" "$(gzip -9c "$2" | wc -c)"; }
row "core as wasm32 (curated list inside, no bindings)" "$wasm"
row "full disposable filter ($domains domains)" "$filter"
awk -v g="$(gzip -9c "$filter" | wc -c)" -v n="$domains" 'BEGIN { printf "full filter: %.2f bytes a domain gzipped\n", g / n }'
