"""App Home: publish the dashboard whenever someone opens it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from slack_bolt import App
from slack_sdk import WebClient

from bot.services import Services
from bot.views.home import ChannelStats, home_view
from core.channels import Channel
from core.metrics import totals
from storage.channels import list_channels
from storage.metrics import snapshots
from storage.posts import count_scheduled
from workers.queues import live_workers


def week_bounds(now: datetime, services: Services) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday, in the team's time zone."""
    local = now.astimezone(services.settings.tz)
    monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return monday, monday + timedelta(days=7)


def dashboard_stats(services: Services, now: datetime) -> tuple[list[Channel], dict[int, ChannelStats]]:
    start, end = week_bounds(now, services)
    with services.db() as session:
        channels = list_channels(session)
        scheduled = count_scheduled(session, start, end)
        stats = {
            c.id: ChannelStats(
                scheduled_this_week=scheduled.get(c.id, 0),
                last_7_days=totals(snapshots(session, channel_id=c.id, since=now - timedelta(days=7))),
            )
            for c in channels
            if c.id is not None
        }
    return channels, stats


def stalled(services: Services) -> str | None:
    """Why queued work is not moving, when it is not."""
    try:
        if services.redis is not None and live_workers(services.redis) > 0:
            return None
    except redis.RedisError:
        return "Generation is stalled: the queue (Redis) is unreachable. Requests are kept and queued once it is back."
    return "Generation is stalled: no worker is running, so requests wait in the queue. Start `contentbot worker`."


def publish_home(services: Services, client: WebClient, user_id: str) -> None:
    channels, stats = dashboard_stats(services, datetime.now(UTC))
    problem = stalled(services)
    notes = [problem, *services.settings.missing()] if problem else services.settings.missing()
    client.views_publish(user_id=user_id, view=home_view(channels, stats, notes))


def register(app: App, services: Services) -> None:
    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") == "home":
            publish_home(services, client, event["user"])
