"""The daily digest: the clock asks for it once the set local time has passed, and a job posts it.

    schedule_digest(connection, database_url, now)   from the clock's tick
    enqueue_digest(connection, database_url, day)    the job `digest-<installation>-<day>`

The job id is the day's, so two clocks (or a restarted one) queue one job; the job claims the
day's row before posting, so a job that runs twice posts once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import redis
from rq.job import Job
from slack_sdk.errors import SlackApiError

from core.digest import due_day
from messages.digest import digest_message
from messages.slack import slack_client
from storage import digests
from storage.db import session_scope
from storage.installation import installation_id
from workers.queues import enqueue_once
from workers.runtime import settings as current_settings
from workers.stats import trend_series, upload_chart

CHART_DAYS = 14
NO_CHART = ""  # what the row keeps for a day with nothing to draw


def schedule_digest(connection: redis.Redis, database_url: str, now: datetime) -> Job | None:
    """Queue yesterday's digest once DIGEST_TIME has passed today, unless it went out already."""
    settings = current_settings()
    if not settings.digest_channel:
        return None
    day = due_day(now, settings.tz, settings.digest_at)
    if day is None:
        return None
    with session_scope(database_url) as session:
        if digests.sent(session, day):
            return None
    return enqueue_digest(connection, database_url, day)


def enqueue_digest(connection: redis.Redis, database_url: str, day: date) -> Job:
    return enqueue_once(
        connection,
        "low",
        post_digest,
        day.isoformat(),
        job_id=f"digest-{installation_id(database_url)}-{day.isoformat()}",
        job_timeout=300,
    )


def post_digest(day_iso: str) -> str:
    """The RQ job: the day's digest in DIGEST_CHANNEL, then its trend chart in the digest's thread."""
    settings = current_settings()
    if not settings.digest_channel:
        return "no DIGEST_CHANNEL: nothing posted"
    day = date.fromisoformat(day_iso)
    with session_scope(settings.database_url) as session:
        claimed = digests.claim(session, day, settings.digest_channel)
    if claimed is None:
        return f"digest for {day}: already posted"
    with session_scope(settings.database_url) as session:
        digest = digests.load_digest(session, day, settings.tz)
    client = slack_client(settings)
    ts = claimed.slack_ts
    if ts is None:
        text, blocks = digest_message(digest, settings.tz)
        try:
            ts = str(client.chat_postMessage(channel=claimed.slack_channel, text=text, blocks=blocks)["ts"])
        except SlackApiError:
            with session_scope(settings.database_url) as session:
                digests.release(session, day)
            raise
        with session_scope(settings.database_url) as session:
            digests.record(session, day, slack_ts=ts)
    chart = NO_CHART
    if digest.has_data:
        start = day - timedelta(days=CHART_DAYS - 1)
        series = trend_series(settings.database_url, None, start, day, settings.tz)["channel"]
        title = f"Views per day per channel, {start:%d %b}–{day:%d %b}"
        chart = upload_chart(
            client, claimed.slack_channel, [series[k] for k in sorted(series)], title, thread_ts=ts
        )
    with session_scope(settings.database_url) as session:
        digests.record(session, day, chart_file_id=chart)
    return f"digest for {day}: posted" + (" with its chart" if chart else " (no data)")
