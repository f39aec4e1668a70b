"""The daily digest: per channel yesterday, top posts, problems, alerts, and a day with no data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.alert_lifecycle import Alert, AlertState
from core.alerts import PostFacts, Severity
from core.digest import Winner, build_digest, day_bounds, digest_text
from core.metrics import MetricSnapshot

DAY = date(2026, 11, 30)
START = datetime(2026, 11, 30, tzinfo=UTC)
H = timedelta(hours=1)
CHANNELS = ["Air", "Water", "Fire", "Earth"]


def post(
    post_id: int, channel: str, state: str, due: datetime, public: datetime | None = None, **kw: str
) -> PostFacts:
    return PostFacts(
        post_id,
        channel,
        state,
        due,
        public_since=public,
        public_id="v" if public else None,
        label=f"post {post_id}",
        **kw,
    )


def test_a_day_with_no_data_says_so() -> None:
    digest = build_digest(DAY, channels=CHANNELS, posts=[], snapshots=[], pending_reviews=2)
    assert not digest.has_data
    assert [c.channel for c in digest.channels] == CHANNELS
    text = digest_text(digest)
    assert "No data for that day" in text and "Pending reviews: 2" in text


def test_yesterday_per_channel_with_its_change_top_posts_and_problems() -> None:
    posts = [
        post(1, "Air", "published", START + 9 * H, START + 9 * H),
        post(2, "Air", "published", START - 30 * H, START - 30 * H),
        post(3, "Water", "failed", START + 12 * H, failure="spam_risk_too_many_posts"),
        post(4, "Fire", "queued", START + 20 * H),
        post(5, "Earth", "published", START + 15 * H, START + 15 * H + 25 * timedelta(minutes=1)),
        post(6, "Earth", "scheduled", START + 30 * H),  # today: not yesterday's problem
    ]
    snaps = [
        MetricSnapshot(2, START - 20 * H, 400, saves=4),  # the day before: 400 views
        MetricSnapshot(1, START + 20 * H, 1000, saves=20),
        MetricSnapshot(2, START + 20 * H, 600, saves=5),
        MetricSnapshot(5, START + 23 * H, 50),
    ]
    alert = Alert(
        "post_failed:post:3", "post_failed", "post:3", Severity.CRITICAL, AlertState.ACKNOWLEDGED,
        "Post 3 on Water failed to publish.", START + 12 * H, START + 12 * H,
    )  # fmt: skip
    old_alert = Alert(
        "x:y", "x", "y", Severity.INFO, AlertState.FIRING, "old", START - 48 * H, START - 48 * H
    )
    digest = build_digest(
        DAY, channels=CHANNELS, posts=posts, snapshots=snaps, alerts=[alert, old_alert], pending_reviews=1,
        winners=[Winner("Hooks Nov", "B", "save rate")],
    )  # fmt: skip
    assert digest.has_data
    air = digest.channels[0]
    assert (air.posts, air.comparison.current.views, air.comparison.previous.views) == (1, 1200, 400)
    assert air.comparison.views_change == pytest.approx(2.0)
    assert air.comparison.current.save_rate == pytest.approx(21 / 1200)
    assert [(p.post_id, p.views) for p in digest.top_posts] == [(1, 1000), (2, 200), (5, 50)]
    assert [(p.post_id, p.problem, p.detail) for p in digest.problems] == [
        (3, "failed", "spam_risk_too_many_posts"),
        (5, "late", "out 25 min late"),
        (4, "late", "still queued"),
    ]
    assert digest.alerts == (alert,)
    text = digest_text(digest)
    assert "Air: 1 post · 1,200 views (+200%) · 21 saves · save rate 1.75% (+0.75 pts)" in text
    assert "• Post 1 on Air “post 1”: +1,000 views (1,000 in all), save rate 2.00%" in text
    assert "• [critical] Post 3 on Water failed to publish. (acknowledged)" in text
    assert "Experiment “Hooks Nov” found a winner: variant B (save rate)" in text


def test_the_day_is_the_team_local_day() -> None:
    from zoneinfo import ZoneInfo

    start, end = day_bounds(date(2026, 10, 25), ZoneInfo("Europe/London"))  # clocks go back: 25 hours
    assert (start, end - start) == (datetime(2026, 10, 24, 23, tzinfo=UTC), timedelta(hours=25))
