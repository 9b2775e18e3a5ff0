#!/usr/bin/env bash
# Regenerates crates/core/data/free.txt (free mailbox provider domains) from
# pinned npm packages, reproducibly, and prints what each rule kept or dropped.
#
#   scripts/refresh-free.sh            # writes crates/core/data/free.txt
#   scripts/refresh-free.sh --check    # exits 1 if free.txt would change
#
# Needs bash, npm and node (any recent LTS). To move to newer data, bump the
# versions below, run the script, review the diff and update SOURCES.md.
#
# The rules (SOURCES.md, "Free providers", explains why):
#   1. Candidates: every domain of free-email-domains.
#   2. Drop a candidate listed as disposable by any disposable list (exact
#      entries, and suffix entries that also cover subdomains), unless it is
#      in providers.txt (a hand-checked real provider).
#   3. Keep a survivor only when a second source vouches for it: the free list
#      of freemail, the provider list of email-providers, the hand-picked
#      additions inside free-email-domains' own build script, or providers.txt.
#   4. Add every domain of providers.txt.
set -euo pipefail

FREE_EMAIL_DOMAINS=free-email-domains@1.12.6
DISPOSABLE_EMAIL_DOMAINS=disposable-email-domains@1.0.62
DISPOSABLE_DOMAINS=disposable-domains@2.0.1
MAILCHECKER=mailchecker@6.0.21
FREEMAIL=freemail@1.7.0
EMAIL_PROVIDERS=email-providers@2.26.0

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$root/crates/core/data"
check=0
[[ "${1:-}" == "--check" ]] && check=1

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

fetch() { # fetch DIR SPEC: npm pack SPEC and unpack it into $tmp/DIR
  local dir="$1" spec="$2" tgz
  mkdir -p "$tmp/$dir"
  tgz="$(cd "$tmp" && npm pack --silent "$spec" | tail -n 1)"
  tar -xzf "$tmp/$tgz" -C "$tmp/$dir"
}

fetch fed "$FREE_EMAIL_DOMAINS"
fetch ded "$DISPOSABLE_EMAIL_DOMAINS"
fetch dd "$DISPOSABLE_DOMAINS"
fetch mc "$MAILCHECKER"
fetch fm "$FREEMAIL"
fetch ep "$EMAIL_PROVIDERS"

export TMPDIR_PKGS="$tmp" DATA_DIR="$data" OUT="$tmp/free.txt"
export SOURCES_LINE="$FREE_EMAIL_DOMAINS (MIT) minus $DISPOSABLE_EMAIL_DOMAINS (MIT), $DISPOSABLE_DOMAINS (MIT), $MAILCHECKER (MIT), $FREEMAIL (ISC); vouched for by $FREEMAIL, $EMAIL_PROVIDERS (ISC)"

node <<'NODE'
'use strict';
const fs = require('fs');
const path = require('path');
const url = require('url');

const T = process.env.TMPDIR_PKGS;
const pkg = (dir, file) => path.join(T, dir, 'package', file);
const json = (dir, file) => JSON.parse(fs.readFileSync(pkg(dir, file), 'utf8'));
const lines = (file) => fs.readFileSync(file, 'utf8').split('\n')
  .map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);

// Lower-case ASCII (punycode for IDN), no trailing dot; null if unusable.
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})+$`);
function norm(d) {
  if (typeof d !== 'string') return null;
  let s = d.trim().toLowerCase().replace(/\.$/, '');
  if (/[^\x00-\x7f]/.test(s)) s = url.domainToASCII(s);
  return s && s.length <= 253 && NAME.test(s) ? s : null;
}
const set = (xs) => new Set(xs.map(norm).filter(Boolean));

const candidates = json('fed', 'domains.json');
// The hand-picked additions in free-email-domains' build script.
const script = fs.readFileSync(pkg('fed', 'scripts/postinstall.mjs'), 'utf8');
const block = script.match(/const DOMAINS = \[([\s\S]*?)\]/);
if (!block) throw new Error('free-email-domains: DOMAINS list not found in postinstall.mjs');
const curated = set([...block[1].matchAll(/'([^']+)'/g)].map((m) => m[1]));

// mailchecker ships its list inside JavaScript: read the array literal rather
// than run the package's code.
function mailcheckerList() {
  const src = fs.readFileSync(pkg('mc', 'platform/node/index.js'), 'utf8');
  const m = src.match(/var blacklist\s*=\s*new Set\((\[[^\]]*\])\)/);
  if (!m) throw new Error('mailchecker: blacklist array not found');
  return JSON.parse(m[1]);
}

const exactDisposable = set([
  ...json('ded', 'index.json'),
  ...lines(pkg('fm', 'data/disposable.txt')),
]);
const suffixDisposable = set([
  ...json('ded', 'wildcard.json'),
  ...json('dd', 'index.json'),
  ...mailcheckerList(),
]);
const vouchers = set([
  ...lines(pkg('fm', 'data/free.txt')),
  ...json('ep', 'all.json'),
]);
const providers = set(lines(path.join(process.env.DATA_DIR, 'providers.txt')));

function disposable(d) {
  if (exactDisposable.has(d)) return true;
  for (let s = d; ; ) {
    if (suffixDisposable.has(s)) return true;
    const i = s.indexOf('.');
    if (i < 0) return false;
    s = s.slice(i + 1);
  }
}

const n = { candidates: 0, unusable: 0, disposable: 0, rescued: 0, unvouched: 0, kept: 0 };
const out = new Set();
for (const raw of candidates) {
  n.candidates++;
  const d = norm(raw);
  if (!d) { n.unusable++; continue; }
  if (disposable(d)) {
    if (!providers.has(d)) { n.disposable++; continue; }
    n.rescued++;
  }
  if (!(vouchers.has(d) || curated.has(d) || providers.has(d))) { n.unvouched++; continue; }
  if (!out.has(d)) { out.add(d); n.kept++; }
}
let added = 0;
for (const d of providers) if (!out.has(d)) { out.add(d); added++; }

const sorted = [...out].sort();
const header = [
  '# Free (consumer) mailbox provider domains: anyone can open a mailbox there.',
  '# Generated by scripts/refresh-free.sh; do not edit by hand (add real providers',
  '# to providers.txt instead). Sources and licences: SOURCES.md, "Free providers".',
  `# ${process.env.SOURCES_LINE}`,
];
fs.writeFileSync(process.env.OUT, [...header, ...sorted].join('\n') + '\n');

console.log(`candidates (free-email-domains)       ${n.candidates}`);
console.log(`  dropped: not a usable domain name   ${n.unusable}`);
console.log(`  dropped: on a disposable list       ${n.disposable}`);
console.log(`  kept despite a disposable listing   ${n.rescued} (in providers.txt)`);
console.log(`  dropped: no second source vouches   ${n.unvouched}`);
console.log(`  kept                                ${n.kept}`);
console.log(`added from providers.txt              ${added}`);
console.log(`free.txt domains                      ${sorted.length}`);
NODE

if (( check )); then
  if cmp -s "$tmp/free.txt" "$data/free.txt"; then
    echo "free.txt is up to date"
  else
    echo "free.txt differs from what the pinned sources give" >&2
    exit 1
  fi
else
  cp "$tmp/free.txt" "$data/free.txt"
  echo "wrote $data/free.txt"
fi
