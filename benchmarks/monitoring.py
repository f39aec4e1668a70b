"""Monitoring benchmarks (issue 17), one function per part, printed and never asserted:

    (a) zero_views_latency  from a snapshot showing 0 views to its alert in Slack, p50 and p99 (aim: < 2 s):
                            a collection job on RQ measures a post at 0 views through the TikTok stand-in,
                            the post sweep it queues runs on a worker and posts to the Slack stand-in
    (b) app_home_render     App Home with 4 channels, 10,000 posts and 1,000,000 snapshots (the dashboard's)
    (c) alert_sweep         one sweep of every alert rule over 10,000 live posts (aim: < 1 s)
    (d) collection_round    a full collection round of 10,000 posts against the TikTok stand-in, within its
                            rate limits (600 video queries a minute per token), and the time it needs

(a) and (d) run `contentbot worker` processes (forking a work horse per job, as in production) against
their own redis-server, SQLite (and PostgreSQL with --postgres), and the Slack and TikTok stand-ins in
this process. The machine's load average is printed with each part: the figures mean little without it.

Run: .venv/bin/python benchmarks/monitoring.py [a b c d] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
from cryptography.fernet import Fernet
from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import monitoring_home  # this folder is on sys.path when run as a script
from scratch_db import scratch_postgres

from config.settings import Settings
from contentbot.local import CHANNELS, USERS
from contentbot.seed import seed
from core.alerts import evaluate
from core.metrics import MetricSnapshot
from standins.slack import SlackStandIn
from standins.tiktok import TikTokStandIn, rising, zero
from storage.alerts import gather_facts, sweep
from storage.channels import list_channels
from storage.contents import add_version, create_content
from storage.db import dispose_all, session_scope
from storage.heartbeats import beat
from storage.metrics import record_snapshots
from storage.migrate import upgrade
from storage.models import MetricSnapshotRow, PostRow
from templates import alert_rules
from tests.redis_server import RedisServer
from tests.tiktok_helpers import connect_channel
from workers import metrics, runtime
from workers.metrics import collect
from workers.queues import QUEUE_NAMES, enqueue_once
from workers.tiktok import RATE_LIMITS

POSTS = 10_000
ALERTS_CHANNEL = "C0ALERTS"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def quantile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


# ---- a database, Redis, the stand-ins and worker processes ----------------------------------------


@contextmanager
def database(kind: str, postgres: str | None) -> Iterator[str]:
    """A migrated, seeded, empty database of `kind` (sqlite, or postgresql through the admin URL)."""
    if kind == "postgresql":
        assert postgres is not None
        with scratch_postgres(postgres) as url:
            upgrade(url)
            seed(url)
            yield url
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        seed(url)
        yield url
        dispose_all()


@dataclass
class Stack:
    settings: Settings
    connection: redis.Redis
    slack: SlackStandIn
    tiktok: TikTokStandIn
    channels: dict[str, int]  # name -> id, each connected to its own TikTok account


@contextmanager
def stack(database_url: str, workers: int) -> Iterator[Stack]:
    """Redis, the Slack and TikTok stand-ins, the four channels connected, and `workers` worker processes."""
    key = Fernet.generate_key().decode()
    with (
        RedisServer() as redis_server,
        SlackStandIn(users=USERS, channels=CHANNELS) as slack,
        TikTokStandIn() as tiktok,
    ):
        slack.posts_per_second_per_channel = 10_000
        settings = Settings(
            database_url=database_url,
            redis_url=redis_server.url,
            slack_bot_token=slack.bot_token,
            slack_api_url=slack.api_url,
            alert_channel=ALERTS_CHANNEL,
            tiktok_client_key=tiktok.client_key,
            tiktok_client_secret=tiktok.client_secret,
            tiktok_api_url=tiktok.base_url,
            tiktok_auth_url=tiktok.base_url,
            token_key=key,
        )
        runtime.use(settings)
        channels = connect_all(settings, tiktok)
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("SLACK_", "TIKTOK_", "SMTP_", "ALERT"))
            },
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_server.url,
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_API_URL": slack.api_url,
            "ALERT_CHANNEL": ALERTS_CHANNEL,
            "TIKTOK_CLIENT_KEY": tiktok.client_key,
            "TIKTOK_CLIENT_SECRET": tiktok.client_secret,
            "TIKTOK_API_URL": tiktok.base_url,
            "TIKTOK_AUTH_URL": tiktok.base_url,
            "TOKEN_KEY": key,
        }
        cli = [sys.executable, "-c", "import sys; from contentbot.cli import main; main(sys.argv[1:])"]
        processes = [
            subprocess.Popen(
                [*cli, "worker"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            for _ in range(workers)
        ]
        connection = redis.Redis.from_url(redis_server.url)
        try:
            yield Stack(settings, connection, slack, tiktok, channels)
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
            runtime.use(None)


def connect_all(settings: Settings, tiktok: TikTokStandIn) -> dict[str, int]:
    with session_scope(settings.database_url) as session:
        names = [channel.name for channel in list_channels(session)]
    channels = {}
    for name in names:
        open_id = f"open-{name.lower()}"
        tiktok.add_account(open_id, nickname=name)
        channels[name] = connect_channel(settings.database_url, tiktok, name, open_id, settings.token_key)
    return channels


def add_posts(
    stack: Stack, count: int, public_since: datetime, series: Callable[[], Any] = rising
) -> list[tuple[int, int, str]]:
    """`count` public posts spread over the channels, each with its video on TikTok: (post, channel, video)."""
    names = sorted(stack.channels)
    with session_scope(stack.settings.database_url) as session:
        content = create_content(
            session,
            agent="bench",
            channel_id=stack.channels[names[0]],
            requester_id="bench",
            status="approved",
        )
        version = add_version(
            session, content.id, {"caption": "bench"}, author_kind="person", author_id="bench"
        )
        first = session.scalar(select(func.coalesce(func.max(PostRow.id), 0))) or 0
        rows = [
            {
                "content_id": content.id,
                "version_id": version.id,
                "channel_id": stack.channels[names[i % len(names)]],
                "scheduled_at": public_since,
                "status": "published",
                "published_at": public_since,
                "public_id": f"74{first + i:017d}",
                "privacy_level": "PUBLIC_TO_EVERYONE",
                "posting_mode": "direct",
                "created_by": "bench",
            }
            for i in range(count)
        ]
        session.execute(insert(PostRow), rows)
        ids = session.scalars(select(PostRow.id).where(PostRow.id > first).order_by(PostRow.id)).all()
    since = public_since.timestamp()
    made = []
    for post_id, row in zip(ids, rows, strict=True):
        open_id = f"open-{next(n for n, c in stack.channels.items() if c == row['channel_id']).lower()}"
        stack.tiktok.add_video(
            open_id, "bench", video_id=row["public_id"], public_since=since, series=series()
        )
        made.append((post_id, row["channel_id"], row["public_id"]))
    return made


# ---- (a) from a snapshot at 0 views to the Slack alert ----------------------------------------------


def zero_views_latency(database_url: str, *, samples: int = 50, workers: int = 2) -> None:
    with stack(database_url, workers) as s:
        posts = add_posts(s, samples, datetime.now(UTC) - timedelta(hours=3), series=zero)
        time.sleep(2)  # the workers are up and waiting
        latencies = []
        for post_id, channel_id, video_id in posts:
            before = len(s.slack.messages(ALERTS_CHANNEL))
            enqueue_once(
                s.connection,
                "default",
                collect,
                channel_id,
                [[post_id, video_id]],
                [],
                job_id=f"bench-{post_id}",
            )
            deadline = time.time() + 30
            while len(s.slack.messages(ALERTS_CHANNEL)) == before and time.time() < deadline:
                time.sleep(0.002)
            seen = time.time()
            with session_scope(database_url) as session:
                taken = session.scalar(
                    select(MetricSnapshotRow.taken_at).where(MetricSnapshotRow.post_id == post_id)
                )
            if taken is None or seen >= deadline:
                print(f"  post {post_id}: no alert within 30 s")
                continue
            latencies.append(seen - taken.timestamp())
    print(
        f"(a) 0 views → Slack alert, {len(latencies)} posts, {workers} worker processes: "
        f"p50 {quantile(latencies, 50) * 1000:.0f} ms, p99 {quantile(latencies, 99) * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms (aim: under 2 s; {load()})"
    )


# ---- (c) one sweep of every rule over 10,000 live posts ---------------------------------------------

SNAPSHOTS_PER_POST = 20
SWEEP_RUNS = 5
SWEEP_AIM_MS = 1000.0
SWEEP_NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def fill_for_sweep(url: str) -> None:
    """10,000 posts over the last 30 days on the four channels, ~20 snapshots each (a quarter knowing saves);
    1% stuck at 0 views, 2% with no public id, 1% failed, 1% late."""
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
            due = SWEEP_NOW - age
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
            stuck = rng.random() < 0.01
            final = int(rng.lognormvariate(8, 1.2))
            age = SWEEP_NOW - post["published_at"]
            for n in range(1, SNAPSHOTS_PER_POST + 1):
                taken = post["published_at"] + age * n / SNAPSHOTS_PER_POST
                views = 0 if stuck else int(final * n / SNAPSHOTS_PER_POST)
                saves = None if n % 4 else views // 50
                snapshots.append(MetricSnapshot(post_id, taken, views, saves=saves, source="bench"))
        for start in range(0, len(snapshots), 50_000):
            record_snapshots(session, snapshots[start : start + 50_000])
        beat(session, "clock", SWEEP_NOW)
        beat(session, "worker", SWEEP_NOW - timedelta(minutes=1))


def alert_sweep(database_url: str) -> None:
    fill_for_sweep(database_url)
    rules = alert_rules()
    print(
        f"(c) one sweep of {len(rules)} rules over {POSTS:,} posts, ~{POSTS * SNAPSHOTS_PER_POST:,} snapshots ({load()})"
    )
    print(f"    {'sweep':<7} {'step':<13} {'conditions':>10} {'changed':>8} {'p50 ms':>8} {'max ms':>8}")
    for phase in ("first", "steady"):
        rows: dict[str, list[float]] = {"gather_facts": [], "evaluate": [], "sweep (db)": [], "whole": []}
        changed = conditions = 0
        for _ in range(1 if phase == "first" else SWEEP_RUNS):
            with session_scope(database_url) as session:
                started = time.perf_counter()
                facts = gather_facts(session, SWEEP_NOW)
                read = time.perf_counter()
                found = evaluate(rules, facts, SWEEP_NOW)
                evaluated = time.perf_counter()
                actions = sweep(session, found, SWEEP_NOW)
                done = time.perf_counter()
            conditions, changed = len(found), len(actions)
            for key, seconds in zip(
                rows, (read - started, evaluated - read, done - evaluated, done - started), strict=True
            ):
                rows[key].append(seconds * 1000)
        for what, timings in rows.items():
            flag = "  over the aim" if what == "whole" and statistics.median(timings) > SWEEP_AIM_MS else ""
            print(
                f"    {phase:<7} {what:<13} {conditions:>10,} {changed:>8,} "
                f"{statistics.median(timings):>8.1f} {max(timings):>8.1f}{flag}"
            )


# ---- (d) a full collection round of 10,000 posts ----------------------------------------------------


def collection_round(database_url: str, *, workers: int = 4) -> None:
    with stack(database_url, workers) as s:
        add_posts(s, POSTS, datetime.now(UTC) - timedelta(minutes=30))
        time.sleep(2)  # the workers are up and waiting
        started = time.perf_counter()
        jobs = metrics.schedule(s.connection, database_url, datetime.now(UTC))
        scheduled = time.perf_counter()
        while True:
            with session_scope(database_url) as session:
                done = session.scalar(select(func.count()).select_from(MetricSnapshotRow)) or 0
            if done >= POSTS or time.perf_counter() - started > 900:
                break
            time.sleep(0.2)
        measured = time.perf_counter()
        while (
            any(s.connection.llen(f"rq:queue:{name}") for name in QUEUE_NAMES)
            and time.perf_counter() - measured < 300
        ):
            time.sleep(0.2)  # the post sweeps the collection queued
        swept = time.perf_counter()
        calls = s.tiktok.requests_to("video_query")
    per_token: dict[str, list[float]] = defaultdict(list)
    for call in calls:
        per_token[call.headers.get("authorization", "")].append(call.at)
    busiest = max(
        max(sum(1 for t in times if at <= t < at + 60) for at in times) for times in per_token.values()
    )
    ids = sum(len(call.json["filters"]["video_ids"]) for call in calls)
    print(
        f"(d) a collection round of {POSTS:,} posts, {workers} worker processes ({load()}):\n"
        f"    the clock's pass queued {jobs} jobs in {(scheduled - started) * 1000:.0f} ms; "
        f"{done:,} snapshots in {measured - started:.1f} s "
        f"({len(calls)} video queries of {ids / max(len(calls), 1):.1f} ids on average), "
        f"the post sweeps done after {swept - started:.1f} s\n"
        f"    busiest token: {busiest} queries in a minute (limit {RATE_LIMITS['video_query']})"
    )


def app_home_render(database_url: str) -> None:
    """(b): PostgreSQL only, since a million snapshots is a production-sized database
    (benchmarks/monitoring_home.py says how it is filled and what each figure means)."""
    if not database_url.startswith("postgresql"):
        print("    (b) measures PostgreSQL only: add --postgres URL")
        return
    monitoring_home.measure(database_url)


PARTS: dict[str, Callable[[str], None]] = {
    "a": zero_views_latency,
    "b": app_home_render,
    "c": alert_sweep,
    "d": collection_round,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "parts", nargs="*", default=sorted(PARTS), help="which parts: " + ", ".join(sorted(PARTS))
    )
    parser.add_argument("--postgres", help="an admin URL of a PostgreSQL server to measure on too")
    args = parser.parse_args()
    kinds = ["sqlite", *(["postgresql"] if args.postgres else [])]
    for part in args.parts:
        for kind in kinds:
            print(f"--- ({part}) on {kind}")
            with database(kind, args.postgres) as url:
                PARTS[part](url)


if __name__ == "__main__":
    main()
