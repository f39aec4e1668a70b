"""Trend and digest inputs read from the database, fed to core.trends, core.digest and core.polling."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from contentbot.seed import seed
from core.digest import build_digest, day_bounds
from core.metrics import MetricSnapshot
from core.polling import due_batches
from core.trends import compare, daily_series
from storage.db import session_scope
from storage.metrics import record_snapshot
from storage.models import PostRow
from storage.trends import pending_reviews, poll_targets, post_groups, posts_of_day, snapshots_with_baseline
from tests.factories import make_post

DAY = date(2026, 11, 30)
START = datetime(2026, 11, 30, tzinfo=UTC)
H = timedelta(hours=1)


def publish(session: Session, post: int, at: datetime, video: str | None) -> None:
    session.execute(
        update(PostRow).where(PostRow.id == post).values(status="published", published_at=at, public_id=video)
    )


def test_a_week_of_snapshots_becomes_series_and_a_digest(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        old = make_post(session, "Air", "kite caption", START - 10 * 24 * H)
        new = make_post(session, "Water", "splash caption", START + 9 * H)
        failed = make_post(session, "Fire", "racer caption", START + 10 * H, status="failed")
        publish(session, old, START - 10 * 24 * H, "7300000000000000001")
        publish(session, new, START + 9 * H, "7300000000000000002")
        record_snapshot(session, MetricSnapshot(old, START - 9 * 24 * H, 5000, saves=50))  # long before
        record_snapshot(session, MetricSnapshot(old, START - 12 * H, 6000, saves=60))  # the day before
        record_snapshot(session, MetricSnapshot(old, START + 12 * H, 6500, saves=70))
        record_snapshot(session, MetricSnapshot(new, START + 20 * H, 800, saves=16))
    since = START - 24 * H
    with session_scope(database_url) as session:
        snaps = snapshots_with_baseline(session, since, START + 24 * H)
        groups = post_groups(session, "channel")
        start, end = day_bounds(DAY, UTC)
        posts = posts_of_day(session, start, end)
        reviews = pending_reviews(session)
    # The baseline (5000) is there so the day before gains 1000, not 6000.
    assert [s.views for s in snaps if s.post_id == old] == [5000, 6000, 6500]
    series = daily_series(snaps, groups, DAY - timedelta(days=1), DAY)
    assert [p.gain.views for p in series["Air"].points] == [1000, 500]
    assert compare(series["Air"], DAY, days=1).views_change == -0.5
    assert {p.post_id for p in posts} == {old, new, failed}
    digest = build_digest(DAY, channels=["Air", "Water", "Fire", "Earth"], posts=posts, snapshots=snaps)
    assert [(c.channel, c.posts, c.comparison.current.views) for c in digest.channels] == [
        ("Air", 0, 500), ("Water", 1, 800), ("Fire", 0, 0), ("Earth", 0, 0),
    ]  # fmt: skip
    assert [p.post_id for p in digest.top_posts] == [new, old]
    assert [(p.post_id, p.problem) for p in digest.problems] == [(failed, "failed")]
    assert reviews == 0


def test_poll_targets_batch_public_posts_only(database_url: str) -> None:
    seed(database_url)
    now = START
    with session_scope(database_url) as session:
        public = [make_post(session, "Air", f"kite {n}", now - 2 * H) for n in range(25)]
        private = make_post(session, "Water", "splash", now - 2 * H)
        for n, post in enumerate(public):
            publish(session, post, now - 2 * H, f"73000000000000001{n:02d}")
        publish(session, private, now - 2 * H, None)
        record_snapshot(session, MetricSnapshot(public[0], now - 2 * timedelta(minutes=1), 10))
    with session_scope(database_url) as session:
        targets = poll_targets(session, now)
    assert len(targets) == 26
    batches = due_batches(targets, now)
    assert [len(b.post_ids) for b in batches] == [20, 4]  # public[0] was polled 2 min ago
    assert private not in {p for b in batches for p in b.post_ids}
    assert public[0] not in {p for b in batches for p in b.post_ids}
