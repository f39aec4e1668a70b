"""App Home reads a few snapshots per post; its figures must be what the whole history's daily series say."""

from __future__ import annotations

import random
from dataclasses import astuple
from datetime import UTC, datetime, timedelta

from contentbot.seed import seed
from core.dashboard import channel_weeks, week_boundaries
from core.metrics import MetricSnapshot
from core.trends import compare, daily_series, post_results
from storage.channels import list_channels
from storage.dashboard import snapshots_before
from storage.db import session_scope
from storage.metrics import record_snapshots
from storage.trends import post_groups, snapshots_with_baseline
from tests.factories import make_post

# Midnight, so the two weeks are whole days of the daily series.
NOW = datetime(2026, 11, 30, tzinfo=UTC)


def test_the_weeks_from_a_few_snapshots_equal_the_daily_series_of_every_snapshot(database_url: str) -> None:
    seed(database_url)
    rng = random.Random(17)
    with session_scope(database_url) as session:
        channels = [c.name for c in list_channels(session)]
        snaps = []
        for n in range(40):
            published = NOW - timedelta(hours=rng.uniform(1, 30 * 24))
            post = make_post(session, rng.choice(channels), f"caption {n}", published, status="published")
            views, saves, at = 0, 0, published
            while True:
                at += timedelta(hours=rng.uniform(1, 40))
                if at >= NOW:
                    break
                views += rng.randrange(0, 500)
                saves = min(views, saves + rng.randrange(0, 20))
                # The Display API knows no saves: about half the snapshots lack them.
                snaps.append(MetricSnapshot(post, at, views, saves=saves if rng.random() < 0.5 else None))
        record_snapshots(session, snaps)
    before, start, end = week_boundaries(NOW)
    with session_scope(database_url) as session:
        few, channel_of = snapshots_before(session, (before, start, end))
        every = snapshots_with_baseline(session, before, end)
        names = post_groups(session, "channel")
        ids = {c.name: c.id for c in list_channels(session)}
    assert len(few) < len(every)
    weeks = channel_weeks(few, channel_of, NOW, top=100)
    last_day = (end - timedelta(seconds=1)).date()
    series = daily_series(every, names, before.date(), last_day)
    for name, line in series.items():
        expected = compare(line, last_day)
        week = weeks.get(ids[name])
        # A daily series counts a post once per day it was measured; the dashboard once per week.
        got = [astuple(g)[:3] for g in (week.comparison.current, week.comparison.previous)] if week else None
        want = [astuple(g)[:3] for g in (expected.current, expected.previous)]
        assert (got if week else [(0, 0, 0), (0, 0, 0)]) == want, name
    this_week = sorted(post_results(every, start, end), key=lambda r: r.post_id)
    ranked = sorted((r for w in weeks.values() for r in w.best + w.worst), key=lambda r: r.post_id)
    assert ranked == this_week
