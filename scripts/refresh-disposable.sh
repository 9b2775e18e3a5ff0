#!/usr/bin/env bash
# Rebuilds crates/core/data/disposable/{domains.txt,curated.txt,filter.bin} from
# maintained public lists published as npm packages (versions pinned below; bump
# them to refresh). Needs node/npm (for `npm pack`), python3 and cargo.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=$root/crates/core/data/disposable
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# name@version of each source; licences are recorded in data/SOURCES.md.
sources=(
  disposable-email-domains@1.0.62
  disposable-domains@2.0.1
  @dahoom/disposable-email@0.3.253
  disposable-email-domains-js@1.26.0
  freemail@1.7.0
  mailchecker@6.0.21
)
for s in "${sources[@]}"; do
  (cd "$work" && npm pack --silent "$s" >/dev/null)
done
for t in "$work"/*.tgz; do d=${t%.tgz}; mkdir -p "$d"; tar xzf "$t" -C "$d"; done

python3 "$root/scripts/merge-disposable.py" "$work" "$data"
(cd "$root" && cargo run -q -p xtask -- build-disposable-filter \
  "$data/domains.txt" "$data/filter.bin")
echo "refreshed: $(grep -vc '^#' "$data/domains.txt") domains, filter $(stat -c %s "$data/filter.bin") bytes"
