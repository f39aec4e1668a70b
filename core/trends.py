"""Trends from metric snapshots: what posts gained per day, week against week, best and worst posts.

Snapshots hold running totals (a post's views so far). A day's figure is what the totals
grew by that day: the last snapshot of the day minus the last one before it. A post's first
snapshot counts from zero, so pass each post's last snapshot before the period too
(`storage.metrics.snapshots_with_baseline`), or its earlier life lands on the first day.

Saves come from fewer sources than views (the Display API has none), so a day's save rate
is saves gained over the views gained *between the same snapshots that carried saves*,
never over views measured where saves were not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo

from core.metrics import MetricSnapshot, change, save_rate


@dataclass(frozen=True)
class Gain:
    """What one post, or a group of posts, gained over some time."""

    views: int = 0
    saves: int = 0
    views_with_saves: int = 0  # the save rate's denominator
    posts: int = 0  # posts measured in that time

    @property
    def save_rate(self) -> float | None:
        return save_rate(self.saves if self.views_with_saves else None, self.views_with_saves)

    def __add__(self, other: Gain) -> Gain:
        return Gain(
            self.views + other.views,
            self.saves + other.saves,
            self.views_with_saves + other.views_with_saves,
            self.posts + other.posts,
        )


@dataclass(frozen=True)
class DayPoint:
    day: date
    gain: Gain


@dataclass(frozen=True)
class Series:
    """One line on a chart: a day per point, every day of the period, empty days as zero."""

    key: str  # a channel name, a template, an experiment variant...
    points: tuple[DayPoint, ...]

    def total(self, start: date, end: date) -> Gain:
        """The sum over [start, end] (both included)."""
        return sum((p.gain for p in self.points if start <= p.day <= end), Gain())


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _post_days(snapshots: Sequence[MetricSnapshot], tz: tzinfo) -> dict[date, Gain]:
    """One post's gains per local day, from its snapshots in time order."""
    gains: dict[date, Gain] = {}
    views = 0
    with_saves: tuple[int, int] | None = None  # (views, saves) at the last snapshot that had saves
    for snap in snapshots:
        day = snap.taken_at.astimezone(tz).date()
        gain = Gain(views=snap.views - views, posts=1)
        views = snap.views
        if snap.saves is not None:
            before_views, before_saves = with_saves or (0, 0)
            gain = Gain(gain.views, snap.saves - before_saves, snap.views - before_views, 1)
            with_saves = (snap.views, snap.saves)
        # A post counts once a day however often it was measured.
        gains[day] = replace(gains.get(day, Gain()) + gain, posts=1)
    return gains


def _by_post(snapshots: Iterable[MetricSnapshot]) -> dict[int, list[MetricSnapshot]]:
    per_post: dict[int, list[MetricSnapshot]] = {}
    for snap in snapshots:
        per_post.setdefault(snap.post_id, []).append(snap)
    for snaps in per_post.values():
        snaps.sort(key=lambda s: s.taken_at)
    return per_post


def daily_series(
    snapshots: Iterable[MetricSnapshot],
    group_of: Mapping[int, str],
    start: date,
    end: date,
    tz: tzinfo = UTC,
) -> dict[str, Series]:
    """Per group (`group_of` maps post id → channel, template, variant...), each day's gains in [start, end].

    Posts not in `group_of` are left out; every group named there gets a series, empty or not.
    """
    days = _days(start, end)
    totals: dict[str, dict[date, Gain]] = {group: {} for group in sorted(set(group_of.values()))}
    for post_id, snaps in _by_post(snapshots).items():
        group = group_of.get(post_id)
        if group is None:
            continue
        for day, gain in _post_days(snaps, tz).items():
            if start <= day <= end:
                totals[group][day] = totals[group].get(day, Gain()) + gain
    return {
        group: Series(group, tuple(DayPoint(day, per_day.get(day, Gain())) for day in days))
        for group, per_day in totals.items()
    }


@dataclass(frozen=True)
class Comparison:
    """A period against the one just before it, of the same length."""

    current: Gain
    previous: Gain

    @property
    def views_change(self) -> float | None:
        """Relative: +0.25 is a quarter more views; None when there were none before."""
        return relative(self.current.views, self.previous.views)

    @property
    def saves_change(self) -> float | None:
        return relative(self.current.saves, self.previous.saves)

    @property
    def save_rate_change(self) -> float | None:
        """Absolute, in rate units (0.01 is one percentage point)."""
        return change(self.current.save_rate, self.previous.save_rate)


def relative(current: int, previous: int) -> float | None:
    return (current - previous) / previous if previous > 0 else None


def compare(series: Series, end: date, days: int = 7) -> Comparison:
    """The `days` ending with `end` (included) against the `days` before them."""
    span = timedelta(days=days)
    return Comparison(
        current=series.total(end - span + timedelta(days=1), end),
        previous=series.total(end - 2 * span + timedelta(days=1), end - span),
    )


@dataclass(frozen=True)
class PostResult:
    post_id: int
    gain: Gain
    views: int  # its total at the end of the period
    save_rate: float | None  # over its whole life, at the end of the period


def post_results(snapshots: Iterable[MetricSnapshot], start: datetime, end: datetime) -> list[PostResult]:
    """Each post measured in [start, end): what it gained then, and where it stood at the end."""
    results = []
    for post_id, snaps in _by_post(snapshots).items():
        before = [s for s in snaps if s.taken_at < start]
        during = [s for s in snaps if start <= s.taken_at < end]
        if not during:
            continue
        views_before = before[-1].views if before else 0
        saved_before = [s for s in before if s.saves is not None]
        saved_during = [s for s in during if s.saves is not None]
        gain = Gain(views=during[-1].views - views_before, posts=1)
        if saved_during:
            first = saved_before[-1] if saved_before else MetricSnapshot(post_id, start, 0, saves=0)
            last = saved_during[-1]
            saves = (last.saves or 0) - (first.saves or 0)
            gain = Gain(gain.views, saves, last.views - first.views, 1)
        rate = saved_during[-1].save_rate if saved_during else None
        results.append(PostResult(post_id, gain, during[-1].views, rate))
    return results


def best_and_worst(results: Sequence[PostResult], n: int = 3) -> tuple[list[PostResult], list[PostResult]]:
    """The `n` posts that gained most views, and the `n` that gained least (never the same post twice)."""
    ranked = sorted(results, key=lambda r: (-r.gain.views, r.post_id))
    best = ranked[:n]
    rest = ranked[n:]
    worst = sorted(rest, key=lambda r: (r.gain.views, r.post_id))[:n]
    return best, worst


DEFAULT_PERIOD_DAYS = 14
MAX_PERIOD_DAYS = 92
_PERIOD_WORDS = {"week": 7, "fortnight": 14, "month": 30, "quarter": 91}
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30}


def parse_period(word: str) -> int | None:
    """Days in a period as people type it (`7d`, `2w`, `3m`, `30`, `week`, `month`); None when it is not one.

    A period beyond MAX_PERIOD_DAYS is one too: the caller says what the limit is.
    """
    word = word.strip().lower()
    if word in _PERIOD_WORDS:
        return _PERIOD_WORDS[word]
    number, unit = (word[:-1], word[-1]) if word[-1:] in _UNIT_DAYS else (word, "d")
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    if not number.isdecimal() or not 0 < int(number) <= 1000:
        return None
    return int(number) * _UNIT_DAYS[unit]
