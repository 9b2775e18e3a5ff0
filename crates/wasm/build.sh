#!/usr/bin/env bash
# Builds the npm package `prebounce` into crates/wasm/dist, ready for `npm pack`:
#   cargo (profile wasm-release) -> wasm-bindgen (web and nodejs targets, the
#   CLI at exactly the crate's version) -> wasm-opt -Oz from the npm binaryen
#   package (never Debian's: it writes broken modules) -> the JS wrapper,
#   types, README, package.json and the full disposable data file.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/scripts/versions.env"
target_dir=${CARGO_TARGET_DIR:-$root/target}
dist=$here/dist
wasm_opt=$root/node_modules/.bin/wasm-opt
[ -x "$wasm_opt" ] || { echo "build.sh: $wasm_opt missing; run scripts/setup.sh" >&2; exit 1; }
got=$(wasm-bindgen --version | awk '{print $2}')
[ "$got" = "$WASM_BINDGEN_VERSION" ] || { echo "build.sh: wasm-bindgen $got, need $WASM_BINDGEN_VERSION" >&2; exit 1; }

cargo build --quiet --locked --manifest-path "$root/Cargo.toml" -p prebounce-wasm \
  --target wasm32-unknown-unknown --profile wasm-release
module=$target_dir/wasm32-unknown-unknown/wasm-release/prebounce_wasm.wasm

rm -rf "$dist"
mkdir -p "$dist/wasm/web" "$dist/wasm/node"
wasm-bindgen --target web --out-dir "$dist/wasm/web" --out-name prebounce_wasm "$module"
wasm-bindgen --target nodejs --out-dir "$dist/wasm/node" --out-name prebounce_wasm "$module"
for w in "$dist"/wasm/*/prebounce_wasm_bg.wasm; do
  # --converge repeats -Oz until it stops shrinking; --gufa-optimizing adds a
  # whole-program pass over values and types. --low-memory-unused lets
  # wasm-opt fold constant addresses into loads and stores on the promise
  # that nothing lives in the lowest 1 KiB: Rust's stack sits below its
  # data (wasm-ld --stack-first) and grows down toward 0 from 1 MiB, so only
  # a stack already overflowing would reach it. Custom sections that no
  # runtime reads (producers, target_features) are dropped. Together: about
  # 1.1 KB of the gzipped budget.
  "$wasm_opt" -Oz --converge --gufa-optimizing --low-memory-unused --strip-producers --strip-target-features \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-reference-types --enable-multivalue --enable-mutable-globals "$w" -o "$w.opt"
  mv "$w.opt" "$w"
done
# wasm-bindgen's own .d.ts files describe the raw module, not the package API.
rm -f "$dist"/wasm/*/*.d.ts "$dist"/wasm/*/package.json
# The Node glue is CommonJS inside an ES-module package.
echo '{ "type": "commonjs" }' > "$dist/wasm/node/package.json"

cp "$here"/js/*.js "$here/js/index.d.ts" "$here/js/README.md" "$dist/"
cp "$root/LICENSE" "$dist/"
cp "$root/crates/core/data/disposable/filter.bin" "$dist/disposable.bin"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)
sed "s/@VERSION@/$version/" "$here/js/package.json.in" > "$dist/package.json"
echo "built $dist (prebounce $version)"
