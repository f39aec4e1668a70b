"""`/content stats` and `/content digest`: trends drawn by a worker, and the daily digest on demand."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import redis

from bot.verbs import Command, Reply, UsageError, Verb, join_channel, quote
from core.trends import DEFAULT_PERIOD_DAYS, MAX_PERIOD_DAYS, parse_period
from messages.blocks import escape
from messages.digest import digest_message
from storage.channels import list_channels
from storage.digests import load_digest
from workers.stats import StatsRequest, enqueue_stats

log = logging.getLogger(__name__)

EVERY_CHANNEL = "all"


def _period(args: list[str]) -> tuple[list[str], int]:
    """The arguments without a trailing period, and the period's days."""
    if not args:
        return args, DEFAULT_PERIOD_DAYS
    days = parse_period(args[-1])
    if days is None:
        return args, DEFAULT_PERIOD_DAYS
    if days > MAX_PERIOD_DAYS:
        raise UsageError(
            f"A period is at most {MAX_PERIOD_DAYS} days; `{escape(quote(args[-1]))}` is {days}."
        )
    return args[:-1], days


def _channel(command: Command, words: list[str]) -> str | None:
    """The channel the words name (its own spelling), or None for every channel."""
    if not words or (len(words) == 1 and words[0].lower() == EVERY_CHANNEL):
        return None
    with command.services.db() as session:
        names = [channel.name for channel in list_channels(session)]
    joined = join_channel(words, 0, names)
    if len(joined) > 1:
        raise UsageError(
            f"`{escape(quote(' '.join(joined[1:])))}` is not a period: try `7d`, `2w`, `30`, `week` or `month`."
        )
    return next(
        name for name in names if " ".join(name.lower().split()) == " ".join(joined[0].lower().split())
    )


def stats(command: Command) -> Reply:
    words, days = _period(command.args)
    channel = _channel(command, words)
    settings = command.services.settings
    now = datetime.now(UTC)
    request = StatsRequest(
        channel=channel,
        days=days,
        # Whole days: today's few hours would draw every line falling to the right.
        end=(now.astimezone(settings.tz).date() - timedelta(days=1)).isoformat(),
        slack_channel=command.channel_id or command.user_id,
        user_id=command.user_id,
        asked_at=now.strftime("%Y%m%d%H%M"),
    )
    what = escape(channel) if channel else "every channel"
    if command.services.redis is None:
        return Reply(
            text="Stats are drawn by a worker, and the queue (Redis) is unreachable right now: try again soon."
        )
    try:
        enqueue_stats(command.services.redis, settings.database_url, request)
    except redis.RedisError as exc:
        log.error("stats for %s: could not queue: %s", channel or EVERY_CHANNEL, exc)
        return Reply(
            text="Stats are drawn by a worker, and the queue (Redis) is unreachable right now: try again soon."
        )
    return Reply(
        text=f"Drawing the last {days} days for {what}: the tables and a chart arrive here in a moment."
    )


def digest(command: Command) -> Reply:
    """Yesterday's digest (or a given day's), now, for the one who asked."""
    settings = command.services.settings
    today = datetime.now(UTC).astimezone(settings.tz).date()
    day = today - timedelta(days=1)
    if command.args:
        try:
            day = date.fromisoformat(command.args[0])
        except ValueError:
            raise UsageError(
                f"`{escape(quote(command.args[0]))}` is not a day: write it as 2026-11-30."
            ) from None
        if day > today:
            raise UsageError(f"{day:%d %B %Y} has not happened yet.")
    with command.services.db() as session:
        text, blocks = digest_message(load_digest(session, day, settings.tz), settings.tz)
    return Reply(text=text, blocks=blocks)


VERBS = [
    Verb(
        ("stats",),
        "stats [channel|all] [period]",
        "views, saves and save rate per day, channel, template and variant, with a chart (period: `7d`, `2w`, `30`)",
        stats,
    ),
    Verb(
        ("digest",),
        "digest [day]",
        "the daily digest now: yesterday, or a day such as 2026-11-30",
        digest,
        max_args=1,
    ),
]
