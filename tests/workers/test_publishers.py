"""TikTokPublisher against the TikTok stand-in: every call paced inside the token's limits (a wait,
never a 429), and a token TikTok refuses refreshed once under the account's lock.

The stand-in, the token lifetimes and the pacer share one manual clock, so a minute's wait is instant."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis
from cryptography.fernet import Fernet

from contentbot.seed import seed
from core.accounts import Creator
from core.media import chunk_plan
from core.posts import Post, PostStatus
from standins.tiktok import ManualClock, TikTokStandIn
from storage import accounts as store
from storage.channels import get_channel
from storage.crypto import TokenCipher
from storage.db import session_scope
from workers.accounts import ChannelToken
from workers.pacing import Pacer
from workers.publishers import PACE_WINDOW_SECONDS, TikTokPublisher
from workers.tiktok import TikTokClient

OPEN_ID = "open-fire"
CIPHER = TokenCipher(Fernet.generate_key().decode())


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC).timestamp())


@pytest.fixture
def tiktok(clock: ManualClock) -> Iterator[TikTokStandIn]:
    with TikTokStandIn(clock=clock, processing_seconds=0) as standin:
        standin.add_account(OPEN_ID, nickname="Fire", username="fire.toys")
        yield standin


@pytest.fixture
def publisher(
    database_url: str, tiktok: TikTokStandIn, clock: ManualClock, redis_conn: redis.Redis
) -> Iterator[TikTokPublisher]:
    seed(database_url)
    issued = tiktok.issue_tokens(OPEN_ID)
    now = datetime.fromtimestamp(clock(), UTC)
    with session_scope(database_url) as session:
        channel = get_channel(session, "Fire")
        assert channel is not None and channel.id is not None
        store.save_account(
            session,
            channel.id,
            open_id=OPEN_ID,
            scopes=frozenset(issued["scope"].split(",")),
            tokens=store.StoredTokens(
                issued["access_token"],
                now.replace(year=now.year + 1),
                issued["refresh_token"],
                now.replace(year=now.year + 1),
            ),
            creator=Creator("Fire", "fire.toys", ("PUBLIC_TO_EVERYONE", "SELF_ONLY")),
            user_id="U0ALICE",
            cipher=CIPHER,
            now=now,
        )
        channel_id = channel.id
    with TikTokClient(
        client_key=tiktok.client_key,
        client_secret=tiktok.client_secret,
        api_url=tiktok.base_url,
        auth_url=tiktok.base_url,
        clock=clock,
    ) as client:
        token = ChannelToken(database_url, channel_id, client, CIPHER)
        yield TikTokPublisher(client, token, Pacer(redis_conn, clock=clock, sleep=clock.advance))


def a_post(number: int) -> Post:
    now = datetime.now(UTC)
    return Post(
        id=number,
        content_id=1,
        version_id=1,
        channel_id=1,
        channel_name="Fire",
        scheduled_at=now,
        status=PostStatus.PUBLISHING,
        posting_mode="direct",
        caption=f"Post {number}",
        media=None,
        privacy_level="SELF_ONLY",
        sandbox=False,
        attempts=1,
        publish_id=None,
        public_id=None,
        product_id=None,
        failure=None,
        log_id=None,
        created_by="U0ALICE",
        slack_channel=None,
        slack_ts=None,
        started_at=now,
        published_at=None,
    )


def test_seven_inits_on_one_token_wait_for_the_window_instead_of_meeting_a_429(
    publisher: TikTokPublisher, tiktok: TikTokStandIn, clock: ManualClock
) -> None:
    started = clock()
    ids = [publisher.init(a_post(n), chunk_plan(1000)).publish_id for n in range(7)]
    assert len(set(ids)) == 7 and len(tiktok.requests_to("init")) == 7  # every one answered, none refused
    assert clock() - started == pytest.approx(PACE_WINDOW_SECONDS)  # the 7th waited for the 1st to age out


def test_thirty_one_status_fetches_wait_for_the_window(
    publisher: TikTokPublisher, tiktok: TikTokStandIn, clock: ManualClock
) -> None:
    publish_id = publisher.init(a_post(1), chunk_plan(1000)).publish_id
    started = clock()
    statuses = {publisher.status(publish_id).status for _ in range(31)}
    assert statuses == {"PROCESSING_UPLOAD"} and len(tiktok.requests_to("status")) == 31
    assert clock() - started == pytest.approx(PACE_WINDOW_SECONDS)


def test_a_token_tiktok_refuses_is_refreshed_once_and_the_call_made_again(
    publisher: TikTokPublisher, tiktok: TikTokStandIn
) -> None:
    publish_id = publisher.init(a_post(1), chunk_plan(1000)).publish_id
    [first] = tiktok.requests_to("init")
    tiktok.expire_access_token(first.headers["authorization"].removeprefix("Bearer "))
    assert publisher.status(publish_id).status == "PROCESSING_UPLOAD"
    assert len(tiktok.requests_to("token")) == 1 and len(tiktok.requests_to("init")) == 1
    assert publisher.status(publish_id).status == "PROCESSING_UPLOAD"  # the new token is kept
    assert len(tiktok.requests_to("token")) == 1
