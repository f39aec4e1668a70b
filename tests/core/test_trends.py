"""Trends: daily gains per group, week against week, best and worst posts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.metrics import MetricSnapshot
from core.trends import Gain, best_and_worst, compare, daily_series, post_results

D0 = date(2026, 11, 20)
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def snap(post: int, at: datetime, views: int, saves: int | None = None) -> MetricSnapshot:
    return MetricSnapshot(post, at, views, saves=saves, source="display" if saves is None else "csv")


def test_daily_gains_per_group() -> None:
    snaps = [
        snap(1, T0, 100),
        snap(1, T0 + timedelta(hours=5), 300),  # same day: the day gained 300
        snap(1, T0 + DAY, 500, saves=10),  # next day: +200 views, +10 saves over 500 views
        snap(2, T0 + DAY, 1000, saves=5),
        snap(3, T0, 50),  # not in any group
    ]
    series = daily_series(snaps, {1: "Air", 2: "Water", 9: "Fire"}, D0, D0 + 2 * DAY)
    assert set(series) == {"Air", "Water", "Fire"}
    air = [p.gain for p in series["Air"].points]
    assert [p.day for p in series["Air"].points] == [D0, D0 + DAY, D0 + 2 * DAY]
    assert air == [Gain(300, 0, 0, 1), Gain(200, 10, 500, 1), Gain()]
    assert series["Water"].points[1].gain.save_rate == pytest.approx(0.005)
    assert all(p.gain == Gain() for p in series["Fire"].points)


def test_a_baseline_before_the_period_is_not_counted_in_it() -> None:
    snaps = [snap(1, T0 - 10 * DAY, 9000, saves=90), snap(1, T0, 9100, saves=92)]
    [point] = daily_series(snaps, {1: "Air"}, D0, D0)["Air"].points
    assert point.gain == Gain(100, 2, 100, 1)


def test_days_follow_the_team_time_zone() -> None:
    late_evening = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)  # 20 Nov in UTC, 21 Nov in Berlin
    berlin = daily_series([snap(1, late_evening, 10)], {1: "Air"}, D0, D0 + DAY, ZoneInfo("Europe/Berlin"))
    assert [p.gain.views for p in berlin["Air"].points] == [0, 10]


def test_saves_are_rated_only_over_views_measured_with_them() -> None:
    # Display API polls (no saves) between two CSV imports must not dilute the rate.
    snaps = [
        snap(1, T0, 1000, saves=10),
        snap(1, T0 + DAY, 5000),
        snap(1, T0 + DAY + timedelta(hours=1), 2000, saves=30),
    ]
    [_, day2] = daily_series(snaps, {1: "Air"}, D0, D0 + DAY)["Air"].points
    assert day2.gain.views == 1000  # 5000 was a glitch the next poll corrected: net counts
    assert (day2.gain.saves, day2.gain.views_with_saves) == (20, 1000)


def test_week_against_the_week_before() -> None:
    snaps = [snap(1, T0 + n * DAY, (n + 1) * 100, saves=(n + 1) * 2) for n in range(14)]
    series = daily_series(snaps, {1: "Air"}, D0, D0 + 13 * DAY)["Air"]
    week = compare(series, D0 + 13 * DAY)
    assert week.current.views == 700 and week.previous.views == 700  # 100 a day (the first day too)
    assert week.views_change == 0 and week.save_rate_change == pytest.approx(0)
    grown = daily_series(
        [*snaps, snap(1, T0 + 13 * DAY + timedelta(hours=1), 1470, saves=28)], {1: "Air"}, D0, D0 + 13 * DAY
    )
    assert compare(grown["Air"], D0 + 13 * DAY).views_change == pytest.approx(0.1)
    empty = compare(daily_series([], {1: "Air"}, D0, D0)["Air"], D0)
    assert (empty.views_change, empty.save_rate_change) == (None, None)


def test_best_and_worst_posts() -> None:
    start, end = T0, T0 + 7 * DAY
    snaps = [snap(p, T0 - DAY, 1000) for p in range(1, 6)]
    snaps += [snap(p, T0 + DAY, 1000 + p * 100, saves=p) for p in range(1, 6)]
    snaps += [snap(9, T0 + 8 * DAY, 50)]  # after the period
    results = post_results(snaps, start, end)
    assert {r.post_id for r in results} == {1, 2, 3, 4, 5}
    best, worst = best_and_worst(results, n=2)
    assert [r.post_id for r in best] == [5, 4] and [r.post_id for r in worst] == [1, 2]
    assert (
        best[0].gain.views == 500 and best[0].views == 1500 and best[0].save_rate == pytest.approx(5 / 1500)
    )
    few_best, few_worst = best_and_worst(results[:3], n=2)
    assert len(few_best) == 2 and len(few_worst) == 1  # never the same post in both


@given(
    st.lists(st.tuples(st.integers(1, 4), st.integers(0, 60 * 24 * 10), st.integers(0, 10**6)), max_size=60)
)
def test_gains_add_up_to_each_posts_last_total(rows: list[tuple[int, int, int]]) -> None:
    snaps = [snap(post, T0 + timedelta(minutes=m), views) for post, m, views in rows]
    series = daily_series(snaps, {p: "all" for p in range(1, 5)}, D0, D0 + 10 * DAY)
    last = {}
    for s in sorted(snaps, key=lambda s: s.taken_at):
        last[s.post_id] = s.views
    assert series["all"].total(D0, D0 + 10 * DAY).views == sum(last.values())
