#!/usr/bin/env python3
"""Merges the unpacked disposable-domain packages into our two lists.

Usage: merge-disposable.py UNPACKED_DIR DATA_DIR

Policy (documented in crates/core/data/SOURCES.md):
- full list (domains.txt): a domain listed by at least MIN_SOURCES of the six
  sources, or by the vetted CC0 list (disposable-email-domains-js), or in our
  hand-kept extra.txt; minus our allowlist.txt and every domain the core treats
  as a real provider (providers.txt, free.txt) ; minus entries whose parent
  domain is already listed (the core matches subdomains).
- curated list (curated.txt, built into the browser module): domains every
  one of the six sources lists, plus extra.txt.
"""
import collections
import glob
import json
import os
import re
import sys

MIN_SOURCES = 3

unpacked, data = sys.argv[1], sys.argv[2]


def pkg(pattern):
    hits = glob.glob(os.path.join(unpacked, pattern, "package"))
    if len(hits) != 1:
        sys.exit(f"expected one package matching {pattern}, found {hits}")
    return hits[0]


def norm(domains):
    out = set()
    for d in domains:
        d = d.strip().lower().rstrip(".")
        if d and not d.startswith("#") and re.fullmatch(r"[a-z0-9.-]+", d) and "." in d:
            out.add(d)
    return out


def read_list(path):
    with open(path, encoding="utf-8") as f:
        return norm(line.split("#", 1)[0] for line in f)


def mailchecker_list(path):
    src = open(path, encoding="utf-8").read()
    m = re.search(r'\[("[^\]]*)\]', src)
    if not m:
        sys.exit("mailchecker: list not found")
    return norm(json.loads("[" + m.group(1) + "]"))


sources = {
    "disposable-email-domains": norm(
        json.load(open(os.path.join(pkg("disposable-email-domains-1*"), "index.json")))
        + json.load(open(os.path.join(pkg("disposable-email-domains-1*"), "wildcard.json")))
    ),
    "disposable-domains": norm(json.load(open(os.path.join(pkg("disposable-domains-*"), "index.json")))),
    "@dahoom/disposable-email": norm(json.load(open(os.path.join(pkg("dahoom-disposable-email-*"), "domains.json")))),
    "disposable-email-domains-js": norm(
        json.load(open(os.path.join(pkg("disposable-email-domains-js-*"), "dist/dict/disposable_email_blocklist.json")))
    ),
    "freemail": read_list(os.path.join(pkg("freemail-*"), "data/disposable.txt")),
    "mailchecker": mailchecker_list(os.path.join(pkg("mailchecker-*"), "platform/node/index.js")),
}
for name, s in sources.items():
    print(f"{name}: {len(s)}")

support = collections.Counter()
for s in sources.values():
    support.update(s)

core_data = os.path.dirname(data)
extra = read_list(os.path.join(data, "extra.txt"))
allow = read_list(os.path.join(data, "allowlist.txt"))
for real in ("providers.txt", "free.txt"):
    p = os.path.join(core_data, real)
    if os.path.exists(p):
        allow |= read_list(p)

full = {d for d, n in support.items() if n >= MIN_SOURCES}
full |= sources["disposable-email-domains-js"]
full |= extra
full -= allow


def has_listed_parent(d, listed):
    labels = d.split(".")
    return any(".".join(labels[i:]) in listed for i in range(1, len(labels) - 1))


full = {d for d in full if not has_listed_parent(d, full)}
curated = {d for d, n in support.items() if n == len(sources)} | extra
curated = {d for d in curated - allow if d in full}


def write(path, header, domains):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for line in header:
            f.write(f"# {line}\n")
        for d in sorted(domains):
            f.write(d + "\n")


versions = ", ".join(sorted(sources))
write(
    os.path.join(data, "domains.txt"),
    [
        "Disposable email domains: the full list (generated; do not edit).",
        "Regenerate with scripts/refresh-disposable.sh; sources and licences in ../SOURCES.md.",
        f"Policy: listed by >= {MIN_SOURCES} of {len(sources)} sources, or by the vetted",
        "disposable-email-domains-js list, or in extra.txt; minus allowlist.txt and",
        "known providers; subdomains of listed domains dropped (matched anyway).",
    ],
    full,
)
write(
    os.path.join(data, "curated.txt"),
    [
        "Disposable email domains built into the browser module (generated; do not edit).",
        f"Policy: listed by all {len(sources)} sources, plus extra.txt, minus allowlist.txt.",
    ],
    curated,
)
print(f"full: {len(full)}  curated: {len(curated)}  allowlisted: {len(allow)}")
