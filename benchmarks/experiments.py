"""How long an A/B report takes at scale: 10,000 posts with 200,000 metric snapshots.

Each timed run reduces the snapshots to one observation per post (latest snapshot for save rate, first
snapshot at 24 h or later for views at 24 h) and computes the report with the default 10,000 Monte Carlo
draws. Prints the p50 and max over several runs for both metrics and 2-4 variants; the aim is p50 < 200 ms.

Run: .venv/bin/python benchmarks/experiments.py
"""

from __future__ import annotations

import math
import random
import statistics
import time

from core.experiments import Metric, VariantSnapshot, observations_from_snapshots, report

POSTS = 10_000
SNAPSHOT_HOURS = (1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 24, 30, 36, 48, 60, 72, 96, 120, 168, 336)
RUNS = 7
TARGET_MS = 200.0


def synthesise(variants: list[str], rng: random.Random) -> list[VariantSnapshot]:
    """~20 snapshots per post with views and saves growing toward each post's final figures."""
    snapshots = []
    for post in range(POSTS):
        variant = variants[post % len(variants)]
        final_views = int(math.exp(rng.gauss(math.log(3000), 1.2)))  # heavy-tailed, like TikTok views
        save_rate = rng.uniform(0.03, 0.06)
        for hours in SNAPSHOT_HOURS:
            views = int(final_views * (1 - math.exp(-hours / 30)))  # most views arrive in the first days
            snapshots.append(
                VariantSnapshot(f"post-{post}", variant, float(hours), views, int(views * save_rate))
            )
    rng.shuffle(snapshots)  # storage gives no useful order
    return snapshots


def time_report(metric: Metric, snapshots: list[VariantSnapshot], variants: list[str]) -> list[float]:
    timings = []
    for run in range(RUNS):
        start = time.perf_counter()
        observations = observations_from_snapshots(metric, snapshots)
        report(metric, observations, variants, min_sample=20, rng=random.Random(run))
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def main() -> None:
    snapshot_count = POSTS * len(SNAPSHOT_HOURS)
    print(f"{POSTS:,} posts, {snapshot_count:,} snapshots, {RUNS} runs each, target p50 < {TARGET_MS} ms")
    print(f"{'metric':<10} {'variants':>8} {'p50 ms':>8} {'max ms':>8}")
    for count in (2, 3, 4):
        variants = [chr(ord("A") + i) for i in range(count)]
        snapshots = synthesise(variants, random.Random(count))
        for metric in Metric:
            timings = time_report(metric, snapshots, variants)
            p50 = statistics.median(timings)
            flag = "" if p50 < TARGET_MS else "  over target"
            print(f"{metric.value:<10} {count:>8} {p50:>8.1f} {max(timings):>8.1f}{flag}")


if __name__ == "__main__":
    main()
