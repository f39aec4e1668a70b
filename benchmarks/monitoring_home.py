"""App Home render on PostgreSQL with 4 channels, 10,000 posts and 1,000,000 snapshots (issue 17's benchmark
(b); aim: p95 under 300 ms, the plan's bar 2 s).

10,000 posts published over the last 180 days, round the four channels, with 100 snapshots each
(core.polling's schedule up to its 90-day horizon, topped up with CSV imports; one in four knows
saves), 40 posts still to come, 30 drafts in review and 40 firing alerts. Each run is what
opening App Home does: read the dashboard (bot.home.home_for: the weeks' figures, next posts,
alerts, reviews), build its Block Kit and publish it with views.publish to the local Slack
stand-in. The weeks' figures are kept in Redis by a job the clock queues every minute
(workers.dashboard); printed are renders with them kept (the usual case), renders that work
them out inline (nothing kept: a fresh start, or Redis down), and the refresh itself.

Run: .venv/bin/python benchmarks/monitoring_home.py [--postgres ADMIN_URL]   (default: the test server)
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# The test helpers (a redis-server of its own) live beside the packages, not in them.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis
from scratch_db import scratch_postgres  # this folder is on sys.path when run as a script
from slack_sdk import WebClient
from sqlalchemy import create_engine, insert, text

from bot.home import home_for
from bot.services import Services
from config.settings import Settings
from contentbot.seed import seed
from core.alerts import Condition, Route, Severity
from core.polling import HORIZON, interval_for
from standins.slack import SlackStandIn, User
from storage.alerts import sweep
from storage.channels import list_channels
from storage.contents import add_version, create_content
from storage.db import session_scope
from storage.migrate import upgrade
from storage.models import PostRow
from tests.redis_server import RedisServer
from workers.dashboard import compute_weeks, weeks_key

POSTS = 10_000
SNAPSHOTS_PER_POST = 100
UPCOMING = 40
REVIEWS = 30
ALERTS = 40
RUNS = 40
TARGET_MS = 300.0
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
USER = User("U0ALICE", "alice", "Alice Ames")


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
        for i in range(POSTS + UPCOMING):
            upcoming = i >= POSTS
            at = (
                NOW + timedelta(hours=i - POSTS + 1)
                if upcoming
                else NOW - timedelta(minutes=rng.randrange(60, 180 * 24 * 60))
            )
            posts.append(
                {
                    "content_id": content.id,
                    "version_id": version.id,
                    "channel_id": channels[i % len(channels)],
                    "scheduled_at": at,
                    "status": "scheduled" if upcoming else "published",
                    "published_at": None if upcoming else at,
                    "public_id": None if upcoming else f"73{i:017d}",
                    "caption": f"bench caption {i}",
                    "created_by": "bench",
                }
            )
        session.execute(insert(PostRow), posts)
        published = session.execute(
            text("SELECT id, published_at FROM posts WHERE status = 'published' ORDER BY id")
        ).all()
        for _ in range(REVIEWS):
            create_content(
                session,
                agent="bench",
                channel_id=rng.choice(channels),
                requester_id="bench",
                status="in_review",
            )
        cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
        columns = "post_id, taken_at, views, likes, comments, shares, saves, source"
        with cursor.copy(f"COPY metric_snapshots ({columns}) FROM STDIN") as copy:
            for post_id, published_at in published:
                final = int(rng.lognormvariate(8, 1.2))
                for taken in poll_times(published_at, rng):
                    share = (taken - published_at) / (NOW - published_at)
                    views = int(final * min(1.0, share) ** 0.5)
                    saves = views // 40 if rng.random() < 0.25 else None
                    copy.write_row((post_id, taken, views, 0, 0, 0, saves, "bench"))
        session.execute(
            text(
                f"INSERT INTO latest_snapshots ({columns}) SELECT DISTINCT ON (post_id) {columns} "
                "FROM metric_snapshots ORDER BY post_id, taken_at DESC"
            )
        )
        chosen = rng.sample([post_id for post_id, _ in published], ALERTS)
        sweep(
            session,
            [
                Condition(
                    "zero_views",
                    f"post:{p}",
                    Severity.CRITICAL,
                    (Route.CHANNEL,),
                    f"Post {p} has 0 views",
                    post_id=p,
                )
                for p in chosen
            ],
            NOW,
        )
    with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))


def poll_times(published: datetime, rng: random.Random) -> list[datetime]:
    """100 moments a post was measured: its polls (core.polling's schedule, up to its 90-day horizon),
    thinned or topped up with Studio CSV imports at random moments of its life to make 100."""
    polls, at = [], published
    end = min(NOW, published + HORIZON)
    while (step := interval_for(at - published)) is not None and at + step <= end:
        at += step
        polls.append(at)
    if len(polls) >= SNAPSHOTS_PER_POST:
        return [*sorted(rng.sample(polls[:-1], SNAPSHOTS_PER_POST - 1)), polls[-1]]
    life = (NOW - published).total_seconds()
    imports = {
        published + timedelta(seconds=rng.uniform(1, life)) for _ in range(SNAPSHOTS_PER_POST - len(polls))
    }
    return sorted(set(polls) | imports)[:SNAPSHOTS_PER_POST]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(url: str) -> None:
    upgrade(url)
    seed(url)
    started = time.perf_counter()
    fill(url)
    with session_scope(url) as session:
        counts = session.execute(
            text("SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM metric_snapshots)")
        ).one()
    print(f"filled {counts[0]:,} posts and {counts[1]:,} snapshots in {time.perf_counter() - started:.0f} s")
    server = RedisServer().start()
    connection = redis.Redis.from_url(server.url)
    try:
        with SlackStandIn(users=(USER,)) as slack:
            settings = Settings(
                database_url=url, slack_bot_token=slack.bot_token, slack_api_url=slack.api_url
            )
            client = WebClient(token=slack.bot_token, base_url=slack.api_url)
            kept = Services(settings, connection)
            runs = {
                "figures kept (the usual)": renders(kept, client, lambda: None),
                "figures worked out inline": renders(kept, client, lambda: connection.delete(weeks_key(url))),
            }
            refresh = []
            for _ in range(10):
                began = time.perf_counter()
                compute_weeks(url, NOW)
                refresh.append((time.perf_counter() - began) * 1000)
    finally:
        server.stop()
    print(
        f"{'App Home render':<32} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}   ({RUNS} runs each, read + Block Kit + views.publish)"
    )
    for name, timings in runs.items():
        p95 = percentile(timings, 0.95)
        flag = "  over target" if p95 > TARGET_MS else ""
        print(f"{name:<32} {statistics.median(timings):>8.1f} {p95:>8.1f} {max(timings):>8.1f}{flag}")
    print(
        f"{'refresh job (every minute)':<32} {statistics.median(refresh):>8.1f} {percentile(refresh, 0.95):>8.1f} "
        f"{max(refresh):>8.1f}"
    )


def renders(services: Services, client: WebClient, before_each: Callable[[], object]) -> list[float]:
    """Milliseconds per App Home render, after a few that warm the caches."""
    timings = []
    for run in range(RUNS + 3):
        before_each()
        began = time.perf_counter()
        client.views_publish(user_id=USER.id, view=home_for(services, NOW))
        if run >= 3:
            timings.append((time.perf_counter() - began) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="an admin URL of the PostgreSQL server to measure on",
    )
    args = parser.parse_args()
    print(
        f"App Home: 4 channels, {POSTS:,} posts, {POSTS * SNAPSHOTS_PER_POST:,} snapshots; aim: p95 < {TARGET_MS:.0f} ms"
    )
    with scratch_postgres(args.postgres) as url:
        measure(url)


if __name__ == "__main__":
    main()
