#!/usr/bin/env python3
"""score.py TRUTH.tsv VERDICTS.jsonl [--tsv] -- how many probe verdicts match the bench world's truth.

TRUTH.tsv: address<TAB>class (tests/peers/bench-world.sh); VERDICTS.jsonl: `prebounce check --json` output.
Expected verdict per class:
    deliverable -> valid/ok
    unknown     -> invalid/does_not_exist
    disabled    -> invalid/mailbox_disabled
    full        -> risky/mailbox_full
Prints the count correct, a tally of (class -> status/reason), and the first mismatches. Verdicts are matched
by their "input" field, so order does not matter; a truth address with no verdict counts as wrong.
--tsv prints one line instead: correct<TAB>total<TAB>missing<TAB>extra. Standard library only."""
import json
import sys
from collections import Counter

EXPECT = {
    "deliverable": ("valid", "ok"),
    "unknown": ("invalid", "does_not_exist"),
    "disabled": ("invalid", "mailbox_disabled"),
    "full": ("risky", "mailbox_full"),
}
SHOW = 8


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 2:
        sys.exit(__doc__)
    truth = {}
    with open(args[0], encoding="utf-8") as f:
        for line in f:
            if line.strip():
                addr, cls = line.rstrip("\n").split("\t")
                truth[addr] = cls
    verdicts, bad_lines = {}, 0
    with open(args[1], encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            try:
                v = json.loads(line)
            except ValueError:
                bad_lines += 1
                continue
            verdicts[v.get("input")] = v
    correct, mismatches, tally = 0, [], Counter()
    missing = 0
    for addr, cls in truth.items():
        v = verdicts.get(addr)
        if v is None:
            missing += 1
            tally[(cls, "(no verdict)")] += 1
            if len(mismatches) < SHOW:
                mismatches.append(f"{addr} ({cls}): no verdict")
            continue
        got = (v.get("status"), v.get("reason"))
        tally[(cls, f"{got[0]}/{got[1]}")] += 1
        if got == EXPECT[cls]:
            correct += 1
        elif len(mismatches) < SHOW:
            smtp = v.get("smtp") or {}
            mismatches.append(
                f"{addr} ({cls}): got {got[0]}/{got[1]}, want {'/'.join(EXPECT[cls])}; "
                f"smtp {smtp.get('code')} {smtp.get('reply')!r}; detail {v.get('detail')!r}"
            )
    extra = len(set(verdicts) - set(truth))
    if "--tsv" in argv:
        print(f"{correct}\t{len(truth)}\t{missing}\t{extra}")
        return
    print(f"correct: {correct} of {len(truth)} ({100.0 * correct / max(len(truth), 1):.2f}%)")
    if missing or extra or bad_lines:
        print(f"no verdict: {missing}; verdicts for addresses not in the truth: {extra}; unparsable lines: {bad_lines}")
    for (cls, got), n in sorted(tally.items()):
        mark = "ok " if got == "/".join(EXPECT.get(cls, ("?", "?"))) else "BAD"
        print(f"  {mark} {cls:<11} -> {got:<28} {n}")
    if mismatches:
        print("first mismatches:")
        for m in mismatches:
            print("  " + m)


if __name__ == "__main__":
    main(sys.argv[1:])
