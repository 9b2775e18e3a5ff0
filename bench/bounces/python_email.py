#!/usr/bin/env python3
"""Baseline: Python's standard-library `email` package over the same messages
as `cargo bench --bench bounces` (the corpus, LF and CRLF copies, repeated to
100,000), finding each message's delivery-status part and reading its
per-recipient Status fields. Less than prebounce does (no text bounces, no
classification), so a floor for what a stdlib script costs. One thread.
Prints one JSON line like the Rust bench."""
import email
import email.policy
import json
import pathlib
import sys
import time

MESSAGES = 100_000
RUNS = 3

corpus_dir = pathlib.Path(sys.argv[1])
files = sorted(p for p in corpus_dir.iterdir() if not p.name.endswith(".expect.json"))
corpus = []
for f in files:
    lf = f.read_bytes().replace(b"\r\n", b"\n")
    corpus.append(lf)
    if f.suffix != ".json":
        corpus.append(lf.replace(b"\n", b"\r\n"))
messages = [corpus[i % len(corpus)] for i in range(MESSAGES)]


def read(raw):
    if raw.lstrip().startswith(b"{"):
        try:
            return len(json.loads(raw).get("Message", ""))
        except ValueError:
            return 0
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    n = 0
    for part in msg.walk():
        if part.get_content_type() in ("message/delivery-status", "message/global-delivery-status"):
            payload = part.get_payload()
            if isinstance(payload, list):
                n += sum(1 for block in payload if block.get("Status"))
    return n


best = float("inf")
check = 0
for _ in range(RUNS):
    start = time.perf_counter()
    for m in messages:
        check += read(m)
    best = min(best, time.perf_counter() - start)
size = sum(len(m) for m in messages)
print(json.dumps({
    "what": "python3 email (stdlib) parse + delivery-status walk",
    "messages": len(messages),
    "best_s": round(best, 4),
    "messages_per_s": round(len(messages) / best),
    "mb_per_s": round(size / best / 1e6, 1),
    "check": check,
}))
