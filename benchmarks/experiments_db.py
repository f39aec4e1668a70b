"""How long an A/B report takes when it reads the database: 10,000 posts with 200,000 snapshots.

benchmarks/experiments.py times the pure core on snapshots already in memory; this times what
`/content experiments <id>` does: storage.experiments.experiment_report (the query that narrows each
post to the snapshot its metric reads, then core's report with 10,000 Monte Carlo draws), and
bot.generate.template_for (what each new content request for the channel pays to get its variant). Prints p50 and max over several
runs per metric and database; the aim is p50 < 200 ms for the report.

Run: .venv/bin/python benchmarks/experiments_db.py [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
With --postgres, a scratch database is created beside the one named and dropped afterwards.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scratch_db import scratch_postgres  # this folder is on sys.path when run as a script
from sqlalchemy import insert, text

from bot.generate import template_for
from contentbot.seed import seed
from core.agents import AgentKind
from core.experiments import Allocation, Metric
from storage.channels import get_channel
from storage.contents import add_version, create_content
from storage.db import session_scope
from storage.experiments import create_experiment, experiment_report
from storage.library import list_active
from storage.migrate import upgrade
from storage.models import MetricSnapshotRow, PostRow

POSTS = 10_000
SNAPSHOT_HOURS = (1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 24, 30, 36, 48, 60, 72, 96, 120, 168, 336)
VARIANTS = 3
RUNS = 7
TARGET_MS = 200.0


def fill(url: str, metric: Metric) -> int:
    """An experiment with POSTS published posts, ~20 snapshots each; returns its id."""
    rng = random.Random(1)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with session_scope(url) as session:
        channel = get_channel(session, "Fire")
        assert channel is not None and channel.id is not None
        hooks = list_active(session)[:VARIANTS]
        experiment = create_experiment(
            session,
            name=f"bench {metric.value}",
            template_ids=[t.id for t in hooks],
            metric=metric,
            allocation=Allocation.THOMPSON,
            min_sample=20,
            channel_id=channel.id,
            created_by="bench",
        )
        content = create_content(
            session, agent="bench", channel_id=channel.id, requester_id="bench", status="approved"
        )
        version = add_version(
            session, content.id, {"caption": "bench"}, author_kind="person", author_id="bench"
        )
        posts = []
        for i in range(POSTS):
            variant = experiment.variants[i % VARIANTS]
            published = start + timedelta(minutes=7 * i)
            posts.append(
                {
                    "content_id": content.id,
                    "version_id": version.id,
                    "channel_id": channel.id,
                    "scheduled_at": published,
                    "published_at": published,
                    "status": "published",
                    "template_version_id": variant.template_version_id,
                    "experiment_variant_id": variant.id,
                    "created_by": "bench",
                }
            )
        session.execute(insert(PostRow), posts)
        post_ids = session.scalars(
            text("SELECT id FROM posts WHERE experiment_variant_id IS NOT NULL ORDER BY id")
        ).all()
        snapshots = []
        for post_id, post in zip(post_ids, posts, strict=True):
            final_views = int(math.exp(rng.gauss(math.log(3000), 1.2)))  # heavy-tailed, like TikTok views
            rate = rng.uniform(0.03, 0.06)
            for hours in SNAPSHOT_HOURS:
                views = int(final_views * (1 - math.exp(-hours / 30)))
                snapshots.append(
                    {
                        "post_id": post_id,
                        "taken_at": post["published_at"] + timedelta(hours=hours),
                        "views": views,
                        "likes": 0,
                        "comments": 0,
                        "shares": 0,
                        "saves": int(views * rate),
                        "source": "bench",
                    }
                )
        session.execute(insert(MetricSnapshotRow), snapshots)
        return experiment.id


def timed(runs: int, work: Callable[[], object]) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def measure(name: str, url: str, metric: Metric) -> None:
    """Time the report and an assignment on a fresh database holding one experiment on `metric`."""
    upgrade(url)
    seed(url)
    experiment_id = fill(url, metric)
    with session_scope(url) as session:
        fire = get_channel(session, "Fire")
        assert fire is not None and fire.id is not None
        measured = sum(v.posts for v in experiment_report(session, experiment_id).report.variants)
        report_ms = timed(RUNS, lambda: experiment_report(session, experiment_id))
        assign_ms = timed(RUNS, lambda: template_for(session, AgentKind.TIKTOK_HOOK, fire.id))  # type: ignore[arg-type]
    for what, timings in (("report", report_ms), ("template_for", assign_ms)):
        p50 = statistics.median(timings)
        flag = "" if what != "report" or p50 < TARGET_MS else "  over target"
        print(
            f"{name:<10} {metric.value:<10} {what:<15} {measured:>8,} {p50:>8.1f} {max(timings):>8.1f}{flag}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="an admin URL of a PostgreSQL server to measure too")
    args = parser.parse_args()
    snapshot_count = POSTS * len(SNAPSHOT_HOURS)
    print(
        f"{POSTS:,} posts, {snapshot_count:,} snapshots, {VARIANTS} variants, {RUNS} runs each, "
        f"target report p50 < {TARGET_MS} ms"
    )
    print(f"{'database':<10} {'metric':<10} {'what':<15} {'measured':>8} {'p50 ms':>8} {'max ms':>8}")
    for metric in Metric:
        with tempfile.TemporaryDirectory() as tmp:
            measure("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", metric)
    if args.postgres:
        for metric in Metric:
            with scratch_postgres(args.postgres) as url:
                measure("postgresql", url, metric)


if __name__ == "__main__":
    main()
