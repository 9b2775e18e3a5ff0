#!/usr/bin/env bash
# Installs Debian's chromium and chromium-driver for the browser tests
# (tests/browser/), idempotently: does nothing when /usr/bin/chromium exists.
# Playwright's own browser download does not work on these machines; the
# tests drive this Debian build through playwright-core instead.
set -euo pipefail

say() { printf '[install-chromium] %s\n' "$*"; }

if [ -x /usr/bin/chromium ]; then
  say "chromium present ($(/usr/bin/chromium --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: apt-get not found; install Chromium at /usr/bin/chromium by hand" >&2
  exit 1
fi

sudo=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "install-chromium: need root (or sudo) to install chromium with apt-get" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
say "apt-get update"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
say "apt-get install chromium chromium-driver"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver

[ -x /usr/bin/chromium ] || { echo "install-chromium: /usr/bin/chromium still missing after install" >&2; exit 1; }
say "ok ($(/usr/bin/chromium --version 2>/dev/null || echo 'installed'))"
