"""App Home's figures: per channel the last 7 days against the 7 before, and the week's best and worst posts.

The dashboard is rendered whenever someone opens App Home, so it must not read every snapshot of
two weeks. `core.trends` only ever looks, per post, at its last snapshot before each edge of a
period (and the last one that knew saves), so those are all `week_boundaries` asks storage for;
the figures are then exactly what the daily series of the same weeks add up to.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from core.alert_lifecycle import Alert
from core.channels import Channel
from core.digest import PostLine
from core.metrics import MetricSnapshot
from core.posts import Post
from core.trends import Comparison, Gain, PostResult, best_and_worst, post_results

WEEK = timedelta(days=7)


def week_boundaries(now: datetime) -> tuple[datetime, datetime, datetime]:
    """The start of the week before, the start of this week (the last 7 days), and now."""
    return now - 2 * WEEK, now - WEEK, now


@dataclass(frozen=True)
class ChannelWeek:
    comparison: Comparison  # the last 7 days against the 7 before
    best: tuple[PostResult, ...]
    worst: tuple[PostResult, ...]


def channel_weeks(
    snapshots: Iterable[MetricSnapshot], channel_of: Mapping[int, int], now: datetime, top: int = 3
) -> dict[int, ChannelWeek]:
    """Per channel id (`channel_of` maps post id → channel id): the comparison and the week's posts ranked.

    `snapshots` must hold, per post, at least its last snapshot before each of `week_boundaries(now)`
    and its last one with saves before each; more does no harm.
    """
    before, start, end = week_boundaries(now)
    snaps = list(snapshots)
    this_week = post_results(snaps, start, end)
    last_week = post_results(snaps, before, start)
    channels = set(channel_of.values())
    current = _per_channel(this_week, channel_of)
    previous = _per_channel(last_week, channel_of)
    weeks = {}
    for channel in channels:
        results = [r for r in this_week if channel_of.get(r.post_id) == channel]
        best, worst = best_and_worst(results, top)
        comparison = Comparison(
            current=sum((r.gain for r in current.get(channel, [])), Gain()),
            previous=sum((r.gain for r in previous.get(channel, [])), Gain()),
        )
        weeks[channel] = ChannelWeek(comparison, tuple(best), tuple(worst))
    return weeks


def _per_channel(results: Sequence[PostResult], channel_of: Mapping[int, int]) -> dict[int, list[PostResult]]:
    grouped: dict[int, list[PostResult]] = {}
    for result in results:
        channel = channel_of.get(result.post_id)
        if channel is not None:
            grouped.setdefault(channel, []).append(result)
    return grouped


@dataclass(frozen=True)
class ChannelBoard:
    """One channel's block on App Home."""

    channel: Channel
    next_posts: tuple[Post, ...]
    scheduled_this_week: int
    week: Comparison
    best: tuple[PostLine, ...]
    worst: tuple[PostLine, ...]
    alerts: tuple[Alert, ...]  # firing about this channel's posts
    pending_reviews: int


@dataclass(frozen=True)
class Dashboard:
    channels: tuple[ChannelBoard, ...]
    other_alerts: tuple[Alert, ...]  # firing about no post: accounts, the clock, the workers
    pending_reviews: int  # across channels, content with no channel included
    figures_as_of: datetime  # when the weeks' figures were worked out
    notes: tuple[str, ...]  # parts switched off, and why


def weeks_to_json(weeks: Mapping[int, ChannelWeek], computed_at: datetime) -> str:
    """The weeks as JSON, to keep between renders (App Home reads them far more often than they change)."""
    return json.dumps(
        {"computed_at": computed_at.isoformat(), "weeks": {str(c): asdict(week) for c, week in weeks.items()}}
    )


def weeks_from_json(text: str) -> tuple[datetime, dict[int, ChannelWeek]]:
    data = json.loads(text)

    def comparison(raw: dict[str, dict[str, int]]) -> Comparison:
        return Comparison(Gain(**raw["current"]), Gain(**raw["previous"]))

    def result(raw: dict[str, Any]) -> PostResult:
        return PostResult(raw["post_id"], Gain(**raw["gain"]), raw["views"], raw["save_rate"])

    weeks = {
        int(channel): ChannelWeek(
            comparison(week["comparison"]),
            tuple(result(r) for r in week["best"]),
            tuple(result(r) for r in week["worst"]),
        )
        for channel, week in data["weeks"].items()
    }
    return datetime.fromisoformat(data["computed_at"]), weeks
