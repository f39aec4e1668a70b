"""Save rate, its change, per-day totals, and reading CSV exports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.metrics import MetricsFileError, MetricSnapshot, change, daily, parse_metrics_csv, save_rate, totals

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def snap(post: int, hours: float, views: int, saves: int | None) -> MetricSnapshot:
    return MetricSnapshot(post_id=post, taken_at=T0 + timedelta(hours=hours), views=views, saves=saves)


def test_save_rate_is_saves_per_view_and_unknown_without_views_or_saves() -> None:
    assert save_rate(25, 1000) == 0.025
    assert save_rate(0, 0) is None
    assert save_rate(None, 1000) is None
    assert snap(1, 0, 400, 10).save_rate == 0.025


def test_change_is_the_difference_in_rate() -> None:
    assert change(0.03, 0.02) == pytest.approx(0.01)
    assert change(0.03, None) is None


def test_totals_count_each_post_once_at_its_latest_snapshot() -> None:
    result = totals([snap(1, 0, 100, 1), snap(1, 5, 1000, 30), snap(2, 1, 500, 10)])
    assert (result.posts, result.views, result.saves) == (2, 1500, 40)
    assert result.save_rate == pytest.approx(40 / 1500)


def test_a_post_without_saves_does_not_dilute_the_save_rate() -> None:
    result = totals([snap(1, 0, 1000, 50), snap(2, 0, 9000, None)])
    assert result.views == 10_000
    assert result.save_rate == pytest.approx(0.05)
    assert totals([snap(3, 0, 100, None)]).save_rate is None


def test_daily_series_gives_each_local_day_and_the_change() -> None:
    days = daily([snap(1, 0, 1000, 20), snap(1, 24, 2000, 60), snap(2, 26, 1000, 40)])
    assert [d.day.isoformat() for d in days] == ["2026-11-20", "2026-11-21"]
    assert days[0].totals.save_rate == pytest.approx(0.02)
    assert days[0].save_rate_change is None
    assert days[1].totals.save_rate == pytest.approx(100 / 3000)
    assert days[1].save_rate_change == pytest.approx(100 / 3000 - 0.02)


def test_daily_uses_the_local_day() -> None:
    late = MetricSnapshot(post_id=1, taken_at=datetime(2026, 11, 20, 23, 30, tzinfo=UTC), views=10, saves=1)
    assert daily([late], ZoneInfo("Asia/Tokyo"))[0].day.isoformat() == "2026-11-21"


def test_csv_with_our_columns() -> None:
    rows = parse_metrics_csv(
        "post_id,taken_at,views,likes,comments,shares,saves\n7,2026-11-20T18:00:00+00:00,1200,80,5,3,30\n",
        default_taken_at=T0,
    )
    assert len(rows) == 1
    row = rows[0]
    assert (row.post_ref, row.views, row.likes, row.comments, row.shares, row.saves) == (
        "7",
        1200,
        80,
        5,
        3,
        30,
    )
    assert row.taken_at == datetime(2026, 11, 20, 18, tzinfo=UTC)


def test_csv_in_studio_style_headings_with_abbreviated_counts() -> None:
    text = (
        "\ufeffVideo link,Date,Video views,Likes,Comments,Shares,Add to Favorites\n"
        "https://www.tiktok.com/@toyshop/video/7312345678901234567,2026-11-19,1.2K,98,4,2,31\n"
    )
    row = parse_metrics_csv(text, default_taken_at=T0, tz=ZoneInfo("Europe/London"))[0]
    assert row.post_ref == "video:7312345678901234567"
    assert (row.views, row.saves) == (1200, 31)
    assert row.taken_at.tzinfo is not None


def test_missing_saves_column_means_unknown_saves() -> None:
    row = parse_metrics_csv("post_id,views\n3,500\n", default_taken_at=T0)[0]
    assert row.saves is None and row.taken_at == T0


def test_every_bad_line_is_reported_at_once() -> None:
    text = "post_id,views,saves\n1,100,5\n,200,3\n2,lots,1\n3,300,\n4,400,2x\n"
    with pytest.raises(MetricsFileError) as info:
        parse_metrics_csv(text, default_taken_at=T0)
    assert info.value.problems == [
        "line 3: no post id and no TikTok video id",
        "line 4: views 'lots' is not a count",
        "line 6: saves '2x' is not a count",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("title,likes\nx,1\n", "no post_id or video_id column"),
        ("post_id,likes\n1,1\n", "no views column"),
        ("post_id,views\n", "the file has a header but no rows"),
    ],
)
def test_a_file_without_the_needed_columns_is_refused(text: str, problem: str) -> None:
    with pytest.raises(MetricsFileError, match=problem):
        parse_metrics_csv(text, default_taken_at=T0)
