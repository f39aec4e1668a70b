"""Our own cost per generated piece, and the queue's throughput with two real forking RQ workers.

1. Overhead per piece: the generation job run in this process for N requests, with the Anthropic
   stand-in answering at once and the Slack stand-in taking the review messages. Overhead is the job's
   wall time minus the model call's own latency (the version's latency_ms): claiming the row, rendering
   the prompts, validating, categorising, writing the version with its fingerprint, posting and
   threading the review message. The offline writer's whole time is ours, so it is shown too.
2. Throughput: M requests queued at once (mixed priorities) and drained by two `contentbot worker`
   processes, each forking a work horse per job as in production. Slack's real limit of about one
   message a second per channel is lifted in the stand-in: it measures us, not Slack.

Aim: overhead under 50 ms a piece.

    .venv/bin/python benchmarks/generation.py [--pieces 200] [--burst 200] [--database-url URL]

REDIS_URL (default redis://127.0.0.1:6379/12) is flushed first: don't point it at data you keep.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from sqlalchemy import func, select

from config.settings import Settings
from contentbot.seed import seed
from core.agents import AgentKind, Product
from core.content import Content, ContentStatus, Priority
from standins.anthropic import AnthropicStandIn
from standins.slack import Channel, SlackStandIn
from storage.contents import create_request, latest_version
from storage.db import session_scope
from storage.migrate import upgrade
from storage.models import ContentRow
from workers import runtime
from workers.generate import enqueue_generation, generate_content

API_KEY = "bench-key"
PRODUCT = Product(
    "Tidepool Bath Boat", "Toys > Bath > Water Toys", ("Ages 3-6", "Squirts water from its funnel")
)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def queue_requests(settings: Settings, count: int, priorities: list[Priority]) -> list[Content]:
    agents = list(AgentKind)
    with session_scope(settings.database_url) as session:
        return [
            create_request(
                session,
                agent=agents[i % len(agents)],
                channel_id=1 + i % 4,
                brief=f"bath boat that squirts, take {i}",
                product=PRODUCT,
                priority=priorities[i % len(priorities)],
                requester_id="U0BOB",
            )
            for i in range(count)
        ]


def overhead(settings: Settings, count: int) -> tuple[list[float], list[float]]:
    """(wall ms, wall minus the model's ms) per piece, the job run in this process."""
    runtime.use(settings)
    walls, ours = [], []
    for content in queue_requests(settings, count, [Priority.NORMAL]):
        started = time.perf_counter()
        outcome = generate_content(content.id, 1)
        wall = (time.perf_counter() - started) * 1000
        assert isinstance(outcome, str) and "in review" in outcome, outcome
        with session_scope(settings.database_url) as session:
            version = latest_version(session, content.id)
        assert version is not None
        walls.append(wall)
        ours.append(wall - (version.latency_ms or 0))
    return walls, ours


def throughput(settings: Settings, connection: redis.Redis, count: int, workers: int = 2) -> float:
    """Pieces a second from a burst of `count`, drained by `workers` forking worker processes."""
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "SLACK_BOT_TOKEN": settings.slack_bot_token or "",
        "SLACK_API_URL": settings.slack_api_url,
        "REVIEW_CHANNEL": settings.review_channel or "",
        "ANTHROPIC_API_KEY": settings.anthropic_api_key or "",
        "ANTHROPIC_BASE_URL": settings.anthropic_base_url or "",
    }
    command = [sys.executable, "-c", "from contentbot.cli import main; main(['worker'])"]
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(workers)
    ]
    try:
        burst = queue_requests(settings, count, [Priority.LOW, Priority.NORMAL, Priority.HIGH])
        time.sleep(3)  # both workers imported and listening before the clock starts
        started = time.perf_counter()
        for content in burst:
            enqueue_generation(connection, settings.database_url, content)
        ids = [c.id for c in burst]
        while _in_review(settings, ids) < count:
            time.sleep(0.01)
        return count / (time.perf_counter() - started)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait()


def _in_review(settings: Settings, ids: list[int]) -> int:
    with session_scope(settings.database_url) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(ContentRow)
                .where(ContentRow.id.in_(ids), ContentRow.status == ContentStatus.IN_REVIEW.value)
            )
            or 0
        )


def report(name: str, values: list[float]) -> None:
    print(
        f"{name:<44} p50 {statistics.median(values):6.1f} ms   p99 {percentile(values, 99):6.1f} ms"
        f"   max {max(values):6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pieces", type=int, default=200, help="pieces for the overhead measurement")
    parser.add_argument("--burst", type=int, default=200, help="requests in the throughput burst")
    parser.add_argument("--database-url", help="default: a new SQLite file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/12")
    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()
    database_url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    upgrade(database_url)
    seed(database_url)
    with (
        SlackStandIn(
            channels=[Channel("C0REVIEW", "content-review")], posts_per_second_per_channel=10**6
        ) as slack,
        AnthropicStandIn(api_key=API_KEY) as claude,
    ):
        base = Settings(
            database_url=database_url,
            redis_url=redis_url,
            slack_bot_token=slack.bot_token,
            slack_api_url=slack.api_url,
            review_channel="C0REVIEW",
        )
        with_claude = base.model_copy(
            update={"anthropic_api_key": API_KEY, "anthropic_base_url": claude.base_url}
        )
        print(f"database {database_url.split(':')[0]}, {args.pieces} pieces each, run in this process")
        overhead(with_claude, 5)  # warm-up: imports, compiled templates, connections
        walls, ours = overhead(with_claude, args.pieces)
        report("Claude (stand-in): whole job", walls)
        report("Claude (stand-in): ours (job - model call)", ours)
        offline, _ = overhead(base, args.pieces)
        report("offline writer: whole job (all ours)", offline)
        rate = throughput(with_claude, connection, args.burst)
        print(f"throughput, 2 forking workers, burst of {args.burst}: {rate:.1f} pieces/s")
    connection.flushdb()


if __name__ == "__main__":
    main()
