"""`access_token`: one refresh under the account's lock, rotation stored first, lapsed grants marked;
the single-use Connect states. Real databases (SQLite and PostgreSQL) and the TikTok stand-in."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet

from contentbot.seed import seed
from core.accounts import Creator
from standins.tiktok import ManualClock, TikTokStandIn
from storage import accounts as store
from storage.channels import get_channel
from storage.crypto import TokenCipher
from storage.db import session_scope
from workers.accounts import AccountError, ChannelToken, access_token
from workers.tiktok import TikTokClient, TikTokError

OPEN_ID = "open-fire"
CIPHER = TokenCipher(Fernet.generate_key().decode())


@pytest.fixture
def clock() -> ManualClock:
    """TikTok's time and ours: token lifetimes count from it on both sides."""
    return ManualClock(datetime.now(UTC).timestamp())


def at(clock: ManualClock) -> datetime:
    return datetime.fromtimestamp(clock(), UTC)


@pytest.fixture
def tiktok(clock: ManualClock) -> Iterator[TikTokStandIn]:
    with TikTokStandIn(clock=clock) as standin:
        standin.add_account(OPEN_ID, nickname="Fire", username="fire.toys")
        yield standin


@pytest.fixture
def client(tiktok: TikTokStandIn, clock: ManualClock) -> Iterator[TikTokClient]:
    with TikTokClient(
        clock=clock,
        client_key=tiktok.client_key,
        client_secret=tiktok.client_secret,
        api_url=tiktok.base_url,
        auth_url=tiktok.base_url,
    ) as tiktok_client:
        yield tiktok_client


def connect(database_url: str, tiktok: TikTokStandIn, *, refresh_lifetime: int | None = None) -> int:
    """The Fire channel, connected with tokens as TikTok's token endpoint issued them."""
    seed(database_url)
    issued = tiktok.issue_tokens(OPEN_ID)
    now = datetime.fromtimestamp(tiktok.clock(), UTC)
    refresh_seconds = issued["refresh_expires_in"] if refresh_lifetime is None else refresh_lifetime
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
                now + timedelta(seconds=issued["expires_in"]),
                issued["refresh_token"],
                now + timedelta(seconds=refresh_seconds),
            ),
            creator=Creator("Fire", "fire.toys", ("PUBLIC_TO_EVERYONE", "SELF_ONLY")),
            user_id="U0ALICE",
            cipher=CIPHER,
            now=now,
        )
        return channel.id


def stored(database_url: str, channel_id: int) -> store.StoredTokens:
    with session_scope(database_url) as session:
        return store.account_tokens(session, channel_id, CIPHER)


def test_two_workers_asking_at_once_refresh_once(
    database_url: str, tiktok: TikTokStandIn, client: TikTokClient, clock: ManualClock
) -> None:
    channel_id = connect(database_url, tiktok)
    old = stored(database_url, channel_id)
    clock.advance(2 * 3600 - 5 * 60)  # the 2 h token has 5 minutes left: due for its refresh
    # The refresh takes a while at TikTok: the second worker arrives while the first holds the lock.
    tiktok.slow_next("token", 0.5)
    start = threading.Barrier(2)
    got: list[str] = []
    errors: list[BaseException] = []

    def ask() -> None:
        start.wait()
        try:
            got.append(access_token(database_url, channel_id, client, CIPHER, at(clock)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert errors == []
    assert len(tiktok.requests_to("token")) == 1
    new = stored(database_url, channel_id)
    assert got == [new.access_token, new.access_token]
    assert new.access_token != old.access_token and new.refresh_token != old.refresh_token
    # The rotated-out refresh token is dead at TikTok; the stored one is the live one.
    assert old.refresh_token not in tiktok.state.refresh_tokens
    assert new.refresh_token in tiktok.state.refresh_tokens


def test_a_fresh_token_is_used_without_asking_tiktok(
    database_url: str, tiktok: TikTokStandIn, client: TikTokClient, clock: ManualClock
) -> None:
    channel_id = connect(database_url, tiktok)
    token = stored(database_url, channel_id).access_token
    clock.advance(2 * 3600 - 11 * 60)  # 11 minutes left: more than the 10-minute margin
    assert access_token(database_url, channel_id, client, CIPHER, at(clock)) == token
    assert tiktok.requests_to("token") == []


def test_a_refused_token_is_refreshed_once_even_when_asked_twice(
    database_url: str, tiktok: TikTokStandIn, client: TikTokClient
) -> None:
    channel_id = connect(database_url, tiktok)
    token = ChannelToken(database_url, channel_id, client, CIPHER)
    refused = token()  # far from expiry: only the refusal makes it refresh
    first = token.refused(refused)
    # A second job that saw the same refusal gets the token the first one stored.
    assert token.refused(refused) == first == token()
    assert first != refused and len(tiktok.requests_to("token")) == 1


def test_a_failed_refresh_that_is_no_refusal_stores_nothing_and_marks_nothing(
    database_url: str, tiktok: TikTokStandIn, client: TikTokClient, clock: ManualClock
) -> None:
    channel_id = connect(database_url, tiktok)
    before = stored(database_url, channel_id)
    clock.advance(2 * 3600)
    tiktok.server_error_next("token", status=503)
    with pytest.raises(TikTokError) as raised:
        access_token(database_url, channel_id, client, CIPHER, at(clock))
    assert not raised.value.needs_reconnect
    assert stored(database_url, channel_id) == before
    with session_scope(database_url) as session:
        account = store.get_account(session, channel_id)
    assert account is not None and account.connected


def test_a_lapsed_refresh_token_marks_the_account_without_asking_tiktok(
    database_url: str, tiktok: TikTokStandIn, client: TikTokClient, clock: ManualClock
) -> None:
    channel_id = connect(database_url, tiktok, refresh_lifetime=60)
    later = at(clock) + timedelta(hours=2)
    with pytest.raises(AccountError, match="grant expired") as raised:
        access_token(database_url, channel_id, client, CIPHER, later)
    assert raised.value.needs_reconnect and tiktok.requests_to("token") == []
    with session_scope(database_url) as session:
        account = store.get_account(session, channel_id)
    assert account is not None and not account.connected and "grant expired" in (account.reason or "")


def test_a_state_is_single_use_and_lapses_after_ten_minutes(database_url: str) -> None:
    seed(database_url)
    now = datetime.now(UTC)
    with session_scope(database_url) as session:
        air = get_channel(session, "Air")
        assert air is not None and air.id is not None
        used = store.create_state(session, air.id, "U0ALICE", now)
        old = store.create_state(session, air.id, "U0ALICE", now)
    with session_scope(database_url) as session:
        taken = store.take_state(session, used, now + timedelta(minutes=9))
        assert taken == store.OAuthState(air.id, "U0ALICE")
        assert store.take_state(session, used, now + timedelta(minutes=9)) is None
        assert store.take_state(session, old, now + timedelta(minutes=10)) is None
        assert store.take_state(session, "never-issued", now) is None
