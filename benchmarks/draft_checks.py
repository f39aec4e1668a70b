"""How well the rules checker finds the problems in a labelled set of drafts, and how fast.

    .venv/bin/python benchmarks/draft_checks.py            # the held-out part (never used to tune)
    .venv/bin/python benchmarks/draft_checks.py --split tune

tests/data/draft_checks.jsonl holds drafts for the four channels, each labelled with the flags a
reviewer would raise (none for a clean draft). Precision and recall are per draft and flag: a draft
labelled `sales_pressure` and flagged `sales_pressure` is one true positive, however many phrases
raised it. Rules alone: the Claude checker is not measured here.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.draft_checks import FLAGS, draft_from_json
from core.draft_checks.rules import RulesChecker
from templates import draft_rules

REPEATS = 5
DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "draft_checks.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="heldout", choices=["heldout", "tune", "all"])
    parser.add_argument("--misses", action="store_true", help="print each draft the rules got wrong")
    args = parser.parse_args()
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if args.split == "all" or r["split"] == args.split]
    checker = RulesChecker(draft_rules())
    for row in rows[:5]:  # compile and warm the caches, as a running worker has them
        checker.check(draft_from_json(row))

    timings, predicted = [], []
    for row in rows:
        draft = draft_from_json(row)
        runs = []
        for _ in range(REPEATS):  # the median of a few runs: the cores are shared and noisy
            started = time.perf_counter()
            found = checker.check(draft)
            runs.append((time.perf_counter() - started) * 1000)
        timings.append(statistics.median(runs))
        predicted.append({f.flag for f in found})

    print(f"{args.split}: {len(rows)} drafts, {sum(1 for r in rows if not r['labels'])} clean")
    print(f"{'flag':<26}{'labelled':>9}{'flagged':>9}{'precision':>11}{'recall':>8}")
    for flag in FLAGS:
        labelled = sum(1 for r in rows if flag in r["labels"])
        flagged = sum(1 for p in predicted if flag in p)
        hits = sum(1 for r, p in zip(rows, predicted, strict=True) if flag in r["labels"] and flag in p)
        print(f"{flag:<26}{labelled:>9}{flagged:>9}{_ratio(hits, flagged):>11}{_ratio(hits, labelled):>8}")
    problems = sum(len(r["labels"]) for r in rows)
    found = sum(len(set(r["labels"]) & p) for r, p in zip(rows, predicted, strict=True))
    clean = [p for r, p in zip(rows, predicted, strict=True) if not r["labels"]]
    print(f"problems found (recall over every label): {_ratio(found, problems)} ({found}/{problems})")
    print(f"clean drafts flagged: {_ratio(sum(1 for p in clean if p), len(clean))}")
    print(
        f"time per draft: median {statistics.median(timings):.2f} ms, "
        f"slowest draft {max(timings):.2f} ms (rules alone, one core, median of {REPEATS} runs each)"
    )
    if args.misses:
        for row, flags in zip(rows, predicted, strict=True):
            if set(row["labels"]) != flags:
                print(f"- labelled {sorted(row['labels'])} flagged {sorted(flags)}: {row['caption'][:100]}")


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"


if __name__ == "__main__":
    main()
