#!/usr/bin/env python3
"""Time python email-validator's validate_email() over a corpus file.

    bench/.venv/bin/python bench/baselines/python/run.py CORPUS [--runs 3] [--limit N]

Reads CORPUS once (UTF-8, one address per line, split on "\\n" only, never
stripped; not timed), warms up on the first 10,000 addresses, then times
`validate_email(s, check_deliverability=False)` over the addresses RUNS
times (best and median reported), counting the ones it accepts
(EmailNotValidError = rejected; any other exception is counted in "errors").

With --limit N only the first N addresses are timed and "extrapolated" is
true: "seconds" is then the measured time scaled to the full corpus, and
"measured_addresses" / "measured_seconds" hold what was actually run.
"accepted" is always counted over the addresses actually run.

Prints one JSON line, same shape as bench/baselines/node/run.mjs:
{"library":"email_validator.validate_email","addresses":N,"seconds":S,"per_second":R,"accepted":A,...}

With --by-category (needs CORPUS's .labels.txt from gen_corpus.py), an extra
untimed pass adds "accepted_by_category": {"free": [accepted, total], ...}.
"""

import argparse
import hashlib
import json
import os
import platform
import statistics
import sys
import time

import email_validator
from email_validator import EmailNotValidError, validate_email

LIBRARY = "email_validator.validate_email"
WARMUP = 10_000


def load(path):
    with open(path, "rb") as fh:
        raw = fh.read()
    text = raw.decode("utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines, hashlib.sha256(raw).hexdigest()


def one_pass(addresses):
    accepted = 0
    errors = 0
    v = validate_email
    for s in addresses:
        try:
            v(s, check_deliverability=False)
            accepted += 1
        except EmailNotValidError:
            pass
        except Exception:  # a crash in the library on odd input: count, don't abort
            errors += 1
    return accepted, errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--limit", type=int, default=0, help="time only the first N addresses and extrapolate")
    ap.add_argument("--by-category", action="store_true",
                    help="untimed extra pass: accepted counts per corpus category (needs .labels.txt)")
    args = ap.parse_args()

    addresses, digest = load(args.corpus)
    total = len(addresses)
    run_set = addresses[: args.limit] if args.limit and args.limit < total else addresses
    n = len(run_set)

    one_pass(run_set[:WARMUP])

    times = []
    accepted = errors = 0
    for _ in range(max(1, args.runs)):
        t0 = time.perf_counter_ns()
        accepted, errors = one_pass(run_set)
        times.append((time.perf_counter_ns() - t0) / 1e9)

    best = min(times)
    median = statistics.median(times)
    scale = total / n
    out = {
        "library": LIBRARY,
        "addresses": total,
        "seconds": round(best * scale, 6),
        "per_second": round(n / best),
        "accepted": accepted,
        "rejected": n - accepted - errors,
        "errors": errors,
        "seconds_median": round(median * scale, 6),
        "per_second_median": round(n / median),
        "runs": [round(t, 6) for t in times],
        "extrapolated": n != total,
        "measured_addresses": n,
        "measured_seconds": round(best, 6),
        "package": "email-validator==" + email_validator.__version__,
        "options": "check_deliverability=False",
        "checks": "syntax",
        "runtime": "%s %s" % (platform.python_implementation(), platform.python_version()),
        "lang": "python",
        "corpus": os.path.basename(args.corpus),
        "corpus_sha256": digest,
    }

    if args.by_category:
        labels_path = os.path.splitext(args.corpus)[0] + ".labels.txt"
        with open(labels_path, encoding="utf-8") as fh:
            cats = [l.split("\t", 1)[0] for l in fh.read().split("\n")[: len(addresses)]]
        by = {}
        for s, c in zip(run_set, cats):
            a, _ = one_pass((s,))
            slot = by.setdefault(c, [0, 0])
            slot[0] += a
            slot[1] += 1
        out["accepted_by_category"] = by

    print(json.dumps(out, ensure_ascii=False, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
