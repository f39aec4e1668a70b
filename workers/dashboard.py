"""App Home's weekly figures, worked out by a worker every minute and kept in Redis for the renders.

Reading two weeks of snapshots for every post measured in them takes about a second with 10,000
posts; App Home is opened far more often than metrics change (polls are minutes apart), so a
render reads what the last refresh kept. When nothing is kept (a fresh start, Redis down, the
worker behind), the render works the figures out itself and keeps them.

    schedule_refresh(connection, database_url, now)   from the clock: the job `dashboard-<installation>-<minute>`
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import redis
from rq import get_current_job
from rq.job import Job

from core.dashboard import ChannelWeek, channel_weeks, week_boundaries, weeks_from_json, weeks_to_json
from storage.dashboard import snapshots_before
from storage.db import session_scope
from storage.installation import installation_id
from workers.queues import enqueue_every
from workers.runtime import settings as current_settings

log = logging.getLogger(__name__)

REFRESH_SECONDS = 60
# Kept figures older than this are worked out again at the next render.
KEEP_SECONDS = 600
RANKED = 2  # best and worst posts per channel


def weeks_key(database_url: str) -> str:
    return f"contentbot:dashboard-weeks:{installation_id(database_url)}"


def compute_weeks(database_url: str, now: datetime) -> dict[int, ChannelWeek]:
    with session_scope(database_url) as session:
        snapshots, channel_of = snapshots_before(session, week_boundaries(now))
    return channel_weeks(snapshots, channel_of, now, top=RANKED)


def keep(connection: redis.Redis, database_url: str, weeks: dict[int, ChannelWeek], now: datetime) -> None:
    connection.set(weeks_key(database_url), weeks_to_json(weeks, now), ex=KEEP_SECONDS)


def refresh_weeks() -> str:
    """The RQ job: work the figures out and keep them."""
    settings = current_settings()
    now = datetime.now(UTC)
    weeks = compute_weeks(settings.database_url, now)
    job = get_current_job()
    assert job is not None
    keep(job.connection, settings.database_url, weeks, now)
    return f"dashboard figures for {len(weeks)} channels as of {now:%H:%M:%S}"


def schedule_refresh(connection: redis.Redis, database_url: str, now: datetime) -> Job | None:
    return enqueue_every(
        connection,
        "low",
        refresh_weeks,
        name=f"dashboard-{installation_id(database_url)}",
        seconds=REFRESH_SECONDS,
        now=now,
    )


def current_weeks(
    connection: redis.Redis | None, database_url: str, now: datetime
) -> tuple[datetime, dict[int, ChannelWeek]]:
    """The kept figures and when they were worked out; worked out now when none are kept."""
    if connection is not None:
        try:
            kept = connection.get(weeks_key(database_url))
            if kept:
                return weeks_from_json(kept.decode() if isinstance(kept, bytes) else str(kept))
        except redis.RedisError as exc:
            log.warning("dashboard: cannot read the kept figures: %s", exc)
    weeks = compute_weeks(database_url, now)
    if connection is not None:
        try:
            keep(connection, database_url, weeks, now)
        except redis.RedisError as exc:
            log.warning("dashboard: cannot keep the figures: %s", exc)
    return now, weeks
