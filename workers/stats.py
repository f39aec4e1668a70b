"""`/content stats`: the series and the chart, drawn here and not in the listener (Slack waits 3 s).

enqueue_stats(connection, database_url, request)   the job `stats-<installation>-<request key>`
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import redis
from rq.job import Job
from slack_sdk import WebClient

from core.digest import day_bounds
from core.trends import Series, daily_series
from messages.slack import slack_client
from messages.stats import EVERY_CHANNEL, stats_message
from storage.db import session_scope
from storage.installation import installation_id
from storage.trends import GroupBy, post_groups, snapshots_with_baseline
from workers.charts import trend_chart
from workers.queues import enqueue_once
from workers.runtime import settings as current_settings


@dataclass(frozen=True)
class StatsRequest:
    """What someone asked for: a channel (None: every channel), the days up to `end`, and where to answer."""

    channel: str | None
    days: int
    end: str  # the last local day, ISO
    slack_channel: str
    user_id: str
    asked_at: str  # to the minute: the same request twice in a minute is one job

    @property
    def key(self) -> str:
        return f"{self.channel or 'all'}-{self.days}-{self.end}-{self.slack_channel}-{self.asked_at}"


def enqueue_stats(connection: redis.Redis, database_url: str, request: StatsRequest) -> Job:
    return enqueue_once(
        connection,
        "default",
        stats_report,
        asdict(request),
        job_id=f"stats-{installation_id(database_url)}-{request.key}",
        job_timeout=300,
    )


GROUPINGS: tuple[GroupBy, ...] = ("channel", "template", "variant")


def trend_series(
    database_url: str, channel: str | None, start: date, end: date, tz: ZoneInfo
) -> dict[GroupBy, dict[str, Series]]:
    """Per channel, template and experiment variant, each day's gains in [start, end]; only `channel`'s
    posts when one is named."""
    since, _ = day_bounds(start, tz)
    _, until = day_bounds(end, tz)
    with session_scope(database_url) as session:
        snapshots = snapshots_with_baseline(session, since, until)
        groups = {by: post_groups(session, by) for by in GROUPINGS}
    if channel is not None:
        ours = {post for post, name in groups["channel"].items() if name == channel}
        groups = {by: {p: g for p, g in found.items() if p in ours} for by, found in groups.items()}
    return {by: daily_series(snapshots, found, start, end, tz) for by, found in groups.items()}


def upload_chart(
    client: WebClient, channel: str, series: list[Series], title: str, *, thread_ts: str | None = None
) -> str:
    """Draw the views per day of `series` and share the PNG in `channel`; the file's id."""
    png = trend_chart(series, "views", title=title)
    uploaded = client.files_upload_v2(
        channel=channel,
        thread_ts=thread_ts,
        content=png,
        filename="trend.png",
        title=title,
        alt_txt=f"{title}: one line per " + ("channel" if len(series) > 1 else "series"),
    )
    return str(uploaded["file"]["id"])


def stats_report(request: dict[str, str | int | None]) -> str:
    """The RQ job: the tables as a message and the chart as an image, in the channel the command came from."""
    asked = StatsRequest(**request)  # type: ignore[arg-type]
    settings = current_settings()
    end = date.fromisoformat(asked.end)
    start = end - timedelta(days=asked.days - 1)
    found = trend_series(settings.database_url, asked.channel, start, end, settings.tz)
    title = asked.channel or EVERY_CHANNEL
    text, blocks = stats_message(title, start, end, found["channel"], found["template"], found["variant"])
    client = slack_client(settings)
    lines = [found["channel"][key] for key in sorted(found["channel"])]
    if asked.channel is not None and found["template"]:
        lines = [found["template"][key] for key in sorted(found["template"])]
    measured = any(p.gain.posts for line in lines for p in line.points)
    client.chat_postMessage(channel=asked.slack_channel, text=text, blocks=blocks)
    if measured:
        by = "template" if asked.channel is not None and found["template"] else "channel"
        upload_chart(
            client, asked.slack_channel, lines, f"Views per day per {by}, {title}, {start:%d %b}–{end:%d %b}"
        )
    return f"stats for {title}, {asked.days} days: {'chart' if measured else 'no data'}"
