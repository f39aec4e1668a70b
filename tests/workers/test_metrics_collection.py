"""Metric collection against the TikTok stand-in: the clock queues per-account batches by post age, RQ
jobs query the Display API with the channel's token, snapshots land, and a post at 0 views is alerted.
Real databases, real Redis, the Slack and TikTok stand-ins."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
from cryptography.fernet import Fernet
from sqlalchemy import select, update

from contentbot.local import LocalBot
from core.media import chunk_plan
from standins.tiktok import ManualClock, TikTokStandIn, rising, zero
from storage import accounts as store
from storage.channels import get_channel
from storage.db import session_scope
from storage.metrics import snapshots
from storage.models import PostRow
from tests.bot.slack_inputs import all_text
from tests.factories import make_post
from tests.generation_helpers import start_bot
from tests.tiktok_helpers import connect_channel
from workers.clock import Clock
from workers.tiktok import PostInfo, TikTokClient

KEY = Fernet.generate_key().decode()
H = timedelta(hours=1)
MIN = timedelta(minutes=1)
ACCOUNTS = {"Air": "open-air", "Water": "open-water"}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC).timestamp())


@pytest.fixture
def tiktok(clock: ManualClock) -> Iterator[TikTokStandIn]:
    with TikTokStandIn(clock=clock) as standin:
        for name, open_id in ACCOUNTS.items():
            standin.add_account(open_id, nickname=name, username=f"{name.lower()}.toys")
        yield standin


@pytest.fixture
def bot(database_url: str, redis_conn: redis.Redis, tiktok: TikTokStandIn) -> Iterator[LocalBot]:
    local = start_bot(
        database_url,
        redis_conn,
        tiktok_client_key=tiktok.client_key,
        tiktok_client_secret=tiktok.client_secret,
        tiktok_api_url=tiktok.base_url,
        tiktok_auth_url=tiktok.base_url,
        token_key=KEY,
    )
    for name, open_id in ACCOUNTS.items():
        connect_channel(database_url, tiktok, name, open_id, KEY)
    yield local
    local.close()


def post_on(bot: LocalBot, channel: str, public_since: datetime, **values: object) -> int:
    """A post TikTok published at `public_since` (not in the sandbox), with `values` on its row."""
    with session_scope(bot.settings.database_url) as session:
        post_id = make_post(session, channel, f"{channel} post", public_since, status="published")
        session.execute(
            update(PostRow)
            .where(PostRow.id == post_id)
            .values(
                **{
                    "published_at": public_since,
                    "sandbox": False,
                    "privacy_level": "PUBLIC_TO_EVERYONE",
                    **values,
                }
            )
        )
    return post_id


def video(tiktok: TikTokStandIn, channel: str, n: int, since: float, series: object = None) -> str:
    video_id = f"73{n:017d}"
    tiktok.add_video(
        ACCOUNTS[channel], f"{channel} video {n}", video_id=video_id, public_since=since, series=series
    )  # type: ignore[arg-type]
    return video_id


def views(bot: LocalBot, post_id: int) -> list[int]:
    with session_scope(bot.settings.database_url) as session:
        return [s.views for s in snapshots(session, post_id=post_id)]


@pytest.fixture
def ticker(bot: LocalBot) -> Clock:
    """The clock process, one for the whole test (a second would wait out the first one's leader lock)."""
    assert bot.services.redis is not None
    return Clock(bot.services.redis, bot.settings.database_url)


def monitor(bot: LocalBot, ticker: Clock, at: datetime) -> None:
    """The clock's monitoring pass at `at`, and the workers running what it queued (and what that queued)."""
    assert ticker.monitor(at)
    while bot.run_jobs():
        pass


def queried_ids(tiktok: TikTokStandIn) -> list[list[str]]:
    return [r.json["filters"]["video_ids"] for r in tiktok.requests_to("video_query")]


def alert_texts(bot: LocalBot) -> list[str]:
    return [all_text(m.blocks) for m in bot.standin.messages("C0ALERTS") if not m.is_reply]


def test_public_posts_are_measured_by_age_and_a_post_at_zero_views_is_alerted(
    bot: LocalBot, tiktok: TikTokStandIn, clock: ManualClock, ticker: Clock
) -> None:
    now = datetime.now(UTC)
    three_hours_ago = clock() - 3 * 3600
    seen = post_on(bot, "Air", now - 3 * H, public_id=video(tiktok, "Air", 1, three_hours_ago, rising(600)))
    unseen = post_on(bot, "Air", now - 3 * H, public_id=video(tiktok, "Air", 2, three_hours_ago, zero()))
    private = post_on(bot, "Air", now - 3 * H, privacy_level="SELF_ONLY")  # TikTok gives it no public id

    monitor(bot, ticker, now)
    assert queried_ids(tiktok) == [["7300000000000000001", "7300000000000000002"]]
    assert views(bot, seen) == [1800] and views(bot, unseen) == [0] and views(bot, private) == []
    [alert] = alert_texts(bot)
    assert f"Post {unseen} “Air post” on Air has 0 views 2 h after going public" in alert

    monitor(bot, ticker, now + MIN)  # measured a minute ago: not due yet
    assert len(queried_ids(tiktok)) == 1

    clock.advance(3600)  # an hour on: older posts are polled every 30 minutes
    monitor(bot, ticker, now + H)
    assert len(queried_ids(tiktok)) == 2
    assert views(bot, seen) == [1800, 2400] and views(bot, unseen) == [0, 0] and views(bot, private) == []
    assert len(alert_texts(bot)) == 1  # the same alert, not a second one


def test_due_posts_are_queried_twenty_at_a_time_per_account(
    bot: LocalBot, tiktok: TikTokStandIn, clock: ManualClock, ticker: Clock
) -> None:
    now = datetime.now(UTC)
    for n in range(25):
        post_on(bot, "Air", now - H, public_id=video(tiktok, "Air", n, clock() - 3600))
    for n in range(25, 28):
        post_on(bot, "Water", now - H, public_id=video(tiktok, "Water", n, clock() - 3600))
    monitor(bot, ticker, now)
    batches = queried_ids(tiktok)
    assert sorted(len(ids) for ids in batches) == [3, 5, 20]
    water = {f"73{n:017d}" for n in range(25, 28)}
    assert [set(ids) <= water or not set(ids) & water for ids in batches] == [True, True, True]


def test_a_public_id_that_comes_late_is_found_and_its_post_measured(
    bot: LocalBot, tiktok: TikTokStandIn, clock: ManualClock, ticker: Clock, redis_conn: redis.Redis
) -> None:
    tiktok.script_next_posts(processing_seconds=0, public_id_delay=600, series=zero())
    tokens = tiktok.issue_tokens(ACCOUNTS["Air"])
    media = b"\0" * 1000
    plan = chunk_plan(len(media))
    with TikTokClient(
        client_key=tiktok.client_key, client_secret=tiktok.client_secret, api_url=tiktok.base_url, clock=clock
    ) as client:
        started = client.init_direct_post(
            tokens["access_token"], PostInfo("PUBLIC_TO_EVERYONE", title="kite"), plan
        )
        assert started.upload_url is not None
        client.upload(started.upload_url, media, plan)
    now = datetime.now(UTC)
    post_id = post_on(bot, "Air", now - 3 * H, publish_id=started.publish_id)

    monitor(bot, ticker, now)  # TikTok has published it, but its public id has not come yet
    assert len(tiktok.requests_to("status")) == 1 and views(bot, post_id) == []
    assert alert_texts(bot) == []  # no id, no view count: "metrics unavailable", not 0 views

    clock.advance(601)
    for key in redis_conn.scan_iter("metrics-*:id:*"):
        redis_conn.delete(key)  # time passing for Redis: the post's next look is due
    monitor(bot, ticker, now + 6 * MIN)
    with session_scope(bot.settings.database_url) as session:
        public_id = session.scalar(select(PostRow.public_id).where(PostRow.id == post_id))
    assert public_id == tiktok.publish(started.publish_id).video_id
    assert views(bot, post_id) == [0]
    assert len(alert_texts(bot)) == 1


def test_posts_of_an_account_that_needs_reconnecting_are_not_polled(
    bot: LocalBot, tiktok: TikTokStandIn, clock: ManualClock, ticker: Clock
) -> None:
    now = datetime.now(UTC)
    post_id = post_on(bot, "Water", now - H, public_id=video(tiktok, "Water", 1, clock() - 3600))
    with session_scope(bot.settings.database_url) as session:
        channel = get_channel(session, "Water")
        assert channel is not None and channel.id is not None
        store.mark_needs_reconnect(session, channel.id, "TikTok refused the grant", now)
    monitor(bot, ticker, now)
    assert queried_ids(tiktok) == [] and views(bot, post_id) == []
    assert any("Water's TikTok access was revoked" in text for text in alert_texts(bot))
