"""App Home: publish the dashboard whenever someone opens it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.models.views import View

from bot.services import Services
from bot.views.home import home_view
from core.alerts import PostFacts
from core.dashboard import ChannelBoard, ChannelWeek, Dashboard
from core.digest import PostLine
from core.trends import Comparison, Gain, PostResult
from storage.channels import list_channels
from storage.dashboard import alerts_by_channel, pending_reviews_by_channel, post_labels
from storage.posts import count_scheduled, upcoming
from workers.dashboard import current_weeks
from workers.queues import live_workers

NEXT_POSTS = 3


def week_bounds(now: datetime, services: Services) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday, in the team's time zone."""
    local = now.astimezone(services.settings.tz)
    monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return monday, monday + timedelta(days=7)


def dashboard(services: Services, now: datetime) -> Dashboard:
    """Everything App Home shows, read in one session."""
    start, end = week_bounds(now, services)
    as_of, weeks = current_weeks(services.redis, services.settings.database_url, now)
    with services.db() as session:
        channels = list_channels(session)
        scheduled = count_scheduled(session, start, end)
        named = {r.post_id for week in weeks.values() for r in (*week.best, *week.worst)}
        labels = post_labels(session, sorted(named))
        alerts = alerts_by_channel(session)
        reviews = pending_reviews_by_channel(session)
        boards = []
        for channel in channels:
            assert channel.id is not None
            week = weeks.get(channel.id) or ChannelWeek(Comparison(Gain(), Gain()), (), ())
            boards.append(
                ChannelBoard(
                    channel=channel,
                    next_posts=tuple(upcoming(session, channel.id, limit=NEXT_POSTS)),
                    scheduled_this_week=scheduled.get(channel.id, 0),
                    week=week.comparison,
                    best=tuple(_line(r, labels) for r in week.best),
                    worst=tuple(_line(r, labels) for r in week.worst),
                    alerts=tuple(alerts.get(channel.id, ())),
                    pending_reviews=reviews.get(channel.id, 0),
                )
            )
    known = {c.id for c in channels}
    return Dashboard(
        channels=tuple(boards),
        other_alerts=tuple(a for channel, found in alerts.items() if channel not in known for a in found),
        pending_reviews=sum(reviews.values()),
        figures_as_of=as_of,
        notes=(),
    )


def _line(result: PostResult, labels: dict[int, PostFacts]) -> PostLine:
    facts = labels.get(result.post_id)
    return PostLine(
        result.post_id,
        facts.channel if facts else "",
        facts.label if facts else "",
        result.gain.views,
        result.views,
        result.save_rate,
    )


def stalled(services: Services) -> str | None:
    """Why queued work is not moving, when it is not."""
    try:
        if services.redis is not None and live_workers(services.redis) > 0:
            return None
    except redis.RedisError:
        return "Generation is stalled: the queue (Redis) is unreachable. Requests are kept and queued once it is back."
    return "Generation is stalled: no worker is running, so requests wait in the queue. Start `contentbot worker`."


def home_for(services: Services, now: datetime) -> View:
    """The dashboard as App Home shows it, with every part switched off and why."""
    problem = stalled(services)
    notes = [problem, *services.settings.missing()] if problem else services.settings.missing()
    return home_view(replace(dashboard(services, now), notes=tuple(notes)), services.settings.tz)


def publish_home(services: Services, client: WebClient, user_id: str) -> None:
    client.views_publish(user_id=user_id, view=home_for(services, datetime.now(UTC)))


def register(app: App, services: Services) -> None:
    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") == "home":
            publish_home(services, client, event["user"])
