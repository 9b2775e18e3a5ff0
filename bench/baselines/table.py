#!/usr/bin/env python3
"""Print benchmark JSON lines side by side.

    python3 bench/baselines/table.py bench/out/baselines.jsonl [more.jsonl ...]
    ... | python3 bench/baselines/table.py -

Each input line is one JSON object with at least "library", "addresses",
"seconds", "per_second" and "accepted" (the shape printed by
bench/baselines/node/run.mjs and bench/baselines/python/run.py; any other
producer, e.g. the Rust benchmark, can print the same keys to join the
table). Optional keys shown when present: "package", "checks",
"per_second_median", "wall_seconds", "extrapolated", "accepted_by_category".
Standard library only.
"""

import json
import sys


def fmt_int(n):
    return "{:,}".format(int(round(n)))


def read(paths):
    rows = []
    for p in paths:
        fh = sys.stdin if p == "-" else open(p, encoding="utf-8")
        with fh:
            for line in fh:
                line = line.strip()
                if line.startswith("{"):
                    rows.append(json.loads(line))
    return rows


def main(argv):
    rows = read(argv or ["-"])
    if not rows:
        print("no results")
        return 1
    head = ["library", "package", "checks", "addresses/s", "median/s", "best s", "accepted", "accepted %", "wall s"]
    body = []
    for r in rows:
        n = r["addresses"]
        body.append([
            r["library"],
            r.get("package", ""),
            r.get("checks", ""),
            fmt_int(r["per_second"]) + ("*" if r.get("extrapolated") else ""),
            fmt_int(r["per_second_median"]) if "per_second_median" in r else "",
            "%.3f" % r["seconds"],
            fmt_int(r["accepted"]) + ("/" + fmt_int(r["measured_addresses"]) if r.get("extrapolated") else ""),
            "%.2f" % (100.0 * r["accepted"] / (r.get("measured_addresses") or n)),
            "%.1f" % r["wall_seconds"] if "wall_seconds" in r else "",
        ])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    right = {3, 4, 5, 6, 7, 8}

    def line(cells):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    corpora = sorted({"%s (%s addresses, sha256 %s)" % (r.get("corpus", "?"), fmt_int(r["addresses"]),
                                                          r.get("corpus_sha256", "?")[:12]) for r in rows})
    for c in corpora:
        print("corpus: " + c)
    print(line(head))
    print(line(["-" * w for w in widths]))
    for b in body:
        print(line(b))
    if any(r.get("extrapolated") for r in rows):
        print("* measured on the first measured_addresses lines, seconds extrapolated to the whole corpus")

    with_cats = [r for r in rows if r.get("accepted_by_category")]
    if with_cats:
        cats = []
        for r in with_cats:
            for c in r["accepted_by_category"]:
                if c not in cats:
                    cats.append(c)
        order = ["free", "corporate", "other_valid", "typo", "disposable", "idn", "smtputf8", "invalid"]
        cats.sort(key=lambda c: order.index(c) if c in order else len(order))
        print("")
        print("accepted % by corpus category")
        head2 = ["category", "lines"] + [r["library"] for r in with_cats]
        body2 = []
        for c in cats:
            total = max(r["accepted_by_category"].get(c, [0, 0])[1] for r in with_cats)
            cells = [c, fmt_int(total)]
            for r in with_cats:
                a, t = r["accepted_by_category"].get(c, [0, 0])
                cells.append("%.2f" % (100.0 * a / t) if t else "-")
            body2.append(cells)
        widths2 = [max(len(str(x)) for x in col) for col in zip(head2, *body2)]
        fmt = lambda cells: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                                      for i, (c, w) in enumerate(zip(cells, widths2)))
        print(fmt(head2))
        print(fmt(["-" * w for w in widths2]))
        for b in body2:
            print(fmt(b))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
