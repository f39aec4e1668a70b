"""App Home's weeks kept as JSON, the digest's due day, and periods as people type them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.dashboard import channel_weeks, weeks_from_json, weeks_to_json
from core.digest import due_day
from core.metrics import MetricSnapshot
from core.trends import parse_period

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def test_the_weeks_come_back_from_json_as_they_were() -> None:
    snapshots = [
        MetricSnapshot(1, NOW - timedelta(days=10), 1000, saves=10),
        MetricSnapshot(1, NOW - timedelta(days=2), 3000, saves=None),
        MetricSnapshot(2, NOW - timedelta(days=1), 50, saves=1),
    ]
    weeks = channel_weeks(snapshots, {1: 7, 2: 7}, NOW)
    assert weeks_from_json(weeks_to_json(weeks, NOW)) == (NOW, weeks)
    assert weeks[7].comparison.current.views == 2050 and weeks[7].comparison.previous.views == 1000


def test_the_digest_of_yesterday_is_due_once_the_local_time_has_passed() -> None:
    london = ZoneInfo("Europe/London")
    at_nine = time(9, 0)
    assert due_day(datetime(2026, 11, 30, 8, 59, tzinfo=london), london, at_nine) is None
    assert due_day(datetime(2026, 11, 30, 9, 0, tzinfo=london), london, at_nine) == date(2026, 11, 29)
    # 01:30 UTC is already the next day in Tokyo.
    tokyo = ZoneInfo("Asia/Tokyo")
    assert due_day(datetime(2026, 11, 30, 1, 30, tzinfo=UTC), tokyo, at_nine) == date(2026, 11, 29)


@pytest.mark.parametrize(
    ("word", "days"),
    [("7d", 7), ("2w", 14), ("3m", 90), ("30", 30), ("Week", 7), ("month", 30), ("500d", 500)],
)
def test_periods_as_people_type_them(word: str, days: int) -> None:
    assert parse_period(word) == days


@pytest.mark.parametrize(
    "word", ["soon", "0d", "-3", "7x", "", "d", "1.5w", "²", "²d", "99999999999999999999"]
)
def test_what_is_not_a_period(word: str) -> None:
    assert parse_period(word) is None
