#!/usr/bin/env bash
# Installs what prebounce needs to build and test, idempotently: each step
# checks first and skips what is already there. Safe to run any number of
# times; used by scripts/start.sh and tests/run.sh.
#
# Pinned tool versions live in scripts/versions.env.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=versions.env
. "$root/scripts/versions.env"

say() { printf '[setup] %s\n' "$*"; }

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install Rust with rustup first" >&2
  exit 1
fi

# rustfmt and clippy run in the test suite; a minimal rustup profile lacks them.
if command -v rustup >/dev/null 2>&1; then
  for c in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$c"; then
      say "adding rustup component $c"
      rustup component add "$c"
    fi
  done
fi

# A C/C++ compiler: some dependencies build C (and the fuzz targets' libFuzzer C++).
if ! command -v cc >/dev/null 2>&1 || ! command -v c++ >/dev/null 2>&1; then
  say "installing a C/C++ compiler (Debian build-essential)"
  sudo=; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q build-essential
fi

# Node.js 20 or newer runs the package's tests and tools.
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then
  echo "setup: Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# The core must build for the browser.
if command -v rustup >/dev/null 2>&1; then
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding rustup target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
else
  say "rustup not found; assuming the wasm32-unknown-unknown target is installed"
fi

# wasm-bindgen-cli at exactly the crate's version (builds from source once).
"$root/scripts/install-wasm-bindgen.sh"

# worker-build builds the edge API (worker/build.sh); from source once, about 8 minutes.
if ! command -v worker-build >/dev/null 2>&1 \
  || [ "$(worker-build --version 2>/dev/null)" != "$WORKER_BUILD_VERSION" ]; then
  say "installing worker-build $WORKER_BUILD_VERSION from source (about 8 minutes)"
  cargo install --quiet --locked worker-build --version "$WORKER_BUILD_VERSION"
fi

# Pinned JavaScript tools (binaryen's wasm-opt, playwright-core, wrangler,
# miniflare with its workerd, esbuild): `npm ci` when node_modules is missing
# or was installed from another lock file.
if ! command -v npm >/dev/null 2>&1; then
  echo "setup: npm not found; install Node.js 20 or newer" >&2
  exit 1
fi
stamp=$root/node_modules/.prebounce-lock
lock_sum=$(sha256sum "$root/package-lock.json" | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  say "npm ci (pinned build and test tools)"
  (cd "$root" && npm ci --silent --no-audit --no-fund)
  echo "$lock_sum" > "$stamp"
fi
# The worker tools must be the versions scripts/versions.env names (Node 20 pins).
for pair in "wrangler=$WRANGLER_VERSION" "miniflare=$MINIFLARE_VERSION" "esbuild=$ESBUILD_VERSION"; do
  pkg=${pair%%=*}; want=${pair#*=}
  have=$(node -p "require('$root/node_modules/$pkg/package.json').version" 2>/dev/null || echo none)
  if [ "$have" != "$want" ]; then
    echo "setup: node_modules has $pkg $have, scripts/versions.env wants $want: fix package.json and the lock file" >&2
    exit 1
  fi
done

# Debian's Chromium for the browser tests (skipped when /usr/bin/chromium exists).
"$root/scripts/install-chromium.sh"

# Real peers for the end-to-end tests and the probe benchmark (tests/peers/):
# Postfix, unbound, dnsdist (DoH front), the milter bindings and openssl, from
# Debian. Postfix is preseeded "No configuration" so that it never configures
# itself as this machine's mail server; the tests run every daemon from a
# private config on a port of their own. Package daemons must not start on
# install: without systemd, invoke-rc.d would run their init scripts (a system
# unbound on :53, dnsdist), so a policy-rc.d that says "no" is put in place for
# the install when none exists. Nothing here uses port 25 or 53.
peer_pkgs=(postfix unbound dnsdist python3-milter openssl)
peer_missing=()
for p in "${peer_pkgs[@]}"; do
  dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || peer_missing+=("$p")
done
if [ "${#peer_missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "apt-get not found: install ${peer_missing[*]} by hand (the end-to-end tests skip without them outside CI)"
  else
    sudo=; [ "$(id -u)" -ne 0 ] && sudo=sudo
    say "installing ${peer_missing[*]} (Debian)"
    echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
    policy_rc=/usr/sbin/policy-rc.d; made_policy=0
    if [ ! -d /run/systemd/system ] && [ ! -e "$policy_rc" ]; then
      printf '#!/bin/sh\n# prebounce setup.sh: no daemon starts while packages install\nexit 101\n' \
        | $sudo tee "$policy_rc" >/dev/null
      $sudo chmod 755 "$policy_rc"; made_policy=1
    fi
    rc=0
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q || rc=$?
    [ $rc = 0 ] && { $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      "${peer_missing[@]}" || rc=$?; }
    [ $made_policy = 1 ] && $sudo rm -f "$policy_rc"
    [ $rc = 0 ] || { echo "setup: installing ${peer_missing[*]} failed" >&2; exit 1; }
  fi
fi

# Benchmarks compare against other validators (node and python); tests do not need them.
if [ "${PREBOUNCE_SETUP_BENCH:-0}" = 1 ]; then
  "$root/bench/run-baselines.sh" --setup-only
fi
say "ok"
