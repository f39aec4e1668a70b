"""One sweep of every alert rule over 10,000 live posts (issue 17's benchmark (c); aim: under 1 s).

10,000 posts published over the last 30 days on the four channels, about 20 snapshots each
(200,000 rows); 1% stuck at 0 views, 2% private (no public id), 1% failed, 1% late. A sweep
is what the alert job does: read the facts (storage.alerts.gather_facts), evaluate the
default rules of data/alerts.yaml (core.alerts.evaluate), and apply the conditions
(storage.alerts.sweep). Printed: each step's p50 and max over several runs, for the first
sweep (which opens the alerts) and the steady state (nothing new).

Run: .venv/bin/python benchmarks/alert_sweep.py [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scratch_db import scratch_postgres  # this folder is on sys.path when run as a script
from sqlalchemy import insert, text

from contentbot.seed import seed
from core.alerts import evaluate
from core.metrics import MetricSnapshot
from data import alert_rules
from storage.alerts import gather_facts, sweep
from storage.channels import list_channels
from storage.contents import add_version, create_content
from storage.db import session_scope
from storage.heartbeats import beat
from storage.metrics import record_snapshots
from storage.migrate import upgrade
from storage.models import PostRow

POSTS = 10_000
SNAPSHOTS_PER_POST = 20
RUNS = 5
TARGET_MS = 1000.0
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def fill(url: str) -> None:
    rng = random.Random(17)
    with session_scope(url) as session:
        channels = [c.id for c in list_channels(session)]
        content = create_content(
            session, agent="bench", channel_id=channels[0], requester_id="bench", status="approved"
        )
        version = add_version(
            session, content.id, {"caption": "bench kite day"}, author_kind="person", author_id="bench"
        )
        posts: list[dict[str, Any]] = []
        for i in range(POSTS):
            age = timedelta(minutes=rng.randrange(10, 30 * 24 * 60))
            roll = rng.random()
            status = "failed" if roll < 0.01 else "queued" if roll < 0.02 else "published"
            due = NOW - age
            posts.append(
                {
                    "content_id": content.id,
                    "version_id": version.id,
                    "channel_id": channels[i % len(channels)],
                    "scheduled_at": due,
                    "status": status,
                    "published_at": due if status == "published" else None,
                    "tiktok_video_id": None if 0.02 <= roll < 0.04 else f"73{i:017d}",
                    "created_by": "bench",
                }
            )
        session.execute(insert(PostRow), posts)
        ids = session.scalars(text("SELECT id FROM posts ORDER BY id")).all()
        snapshots = []
        for post_id, post in zip(ids, posts, strict=True):
            if post["published_at"] is None or post["tiktok_video_id"] is None:
                continue
            zero = rng.random() < 0.01
            final = int(rng.lognormvariate(8, 1.2))
            age = NOW - post["published_at"]
            for n in range(1, SNAPSHOTS_PER_POST + 1):
                taken = post["published_at"] + age * n / SNAPSHOTS_PER_POST
                views = 0 if zero else int(final * n / SNAPSHOTS_PER_POST)
                saves = None if n % 4 else views // 50
                snapshots.append(MetricSnapshot(post_id, taken, views, saves=saves, source="bench"))
        for start in range(0, len(snapshots), 50_000):
            record_snapshots(session, snapshots[start : start + 50_000])
        beat(session, "clock", NOW)
        beat(session, "worker", NOW - timedelta(minutes=1))


def measure(name: str, url: str) -> None:
    upgrade(url)
    seed(url)
    fill(url)
    rules = alert_rules()
    for phase in ("first", "steady"):
        rows: dict[str, list[float]] = {"gather_facts": [], "evaluate": [], "sweep (db)": [], "whole": []}
        changed = conditions = 0
        for _ in range(1 if phase == "first" else RUNS):
            with session_scope(url) as session:
                started = time.perf_counter()
                facts = gather_facts(session, NOW)
                read = time.perf_counter()
                found = evaluate(rules, facts, NOW)
                evaluated = time.perf_counter()
                actions = sweep(session, found, NOW)
                done = time.perf_counter()
            conditions, changed = len(found), len(actions)
            steps = (read - started, evaluated - read, done - evaluated, done - started)
            for key, seconds in zip(rows, steps, strict=True):
                rows[key].append(seconds * 1000)
        for what, timings in rows.items():
            flag = "  over target" if what == "whole" and statistics.median(timings) > TARGET_MS else ""
            print(
                f"{name:<10} {phase:<7} {what:<13} {conditions:>10,} {changed:>8,} "
                f"{statistics.median(timings):>8.1f} {max(timings):>8.1f}{flag}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="an admin URL of a PostgreSQL server to measure too")
    args = parser.parse_args()
    print(
        f"{POSTS:,} posts, ~{POSTS * SNAPSHOTS_PER_POST:,} snapshots, default rules; aim: whole sweep < {TARGET_MS:.0f} ms"
    )
    print(
        f"{'database':<10} {'sweep':<7} {'step':<13} {'conditions':>10} {'changed':>8} {'p50 ms':>8} {'max ms':>8}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        measure("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}")
    if args.postgres:
        with scratch_postgres(args.postgres) as url:
            measure("postgresql", url)


if __name__ == "__main__":
    main()
