"""Connecting a channel's TikTok account through Slack: Connect in the setup modal, TikTok's consent page
(the stand-in), the redirect to `web`'s /tiktok/callback over real HTTP, and what Slack shows after."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import redis
from cryptography.fernet import Fernet
from sqlalchemy import select, update

from contentbot.local import LocalBot
from core.accounts import Account, AccountState
from standins.slack import Message
from standins.tiktok import TikTokStandIn
from storage.accounts import get_account
from storage.channels import get_channel
from storage.crypto import TokenCipher
from storage.db import session_scope
from storage.models import OAuthStateRow, TikTokAccountRow
from tests.bot.slack_inputs import all_text
from tests.generation_helpers import start_bot
from tests.tiktok_helpers import consent, link_in
from workers.accounts import AccountError, access_token
from workers.tiktok import TikTokClient

ADMIN = "U0ALICE"
NOT_ADMIN = "U0BOB"
OPEN_ID = "open-air"
OUR_LOGGERS = {"bot", "workers", "storage", "core", "config", "contentbot"}


@pytest.fixture
def tiktok() -> Iterator[TikTokStandIn]:
    with TikTokStandIn() as standin:
        standin.add_account(OPEN_ID, nickname="Air <Kids>", username="air.toys", private=True)
        yield standin


@pytest.fixture
def connect_bot(database_url: str, redis_conn: redis.Redis, tiktok: TikTokStandIn) -> Iterator[LocalBot]:
    bot = start_bot(
        database_url,
        redis_conn,
        tiktok_client_key=tiktok.client_key,
        tiktok_client_secret=tiktok.client_secret,
        tiktok_api_url=tiktok.base_url,
        tiktok_auth_url=tiktok.base_url,
        token_key=Fernet.generate_key().decode(),
    )
    yield bot
    bot.close()


def press_connect(bot: LocalBot, user: str = ADMIN, channel: str = "Air") -> Any:
    """Open the channel's setup and press Connect; the modal pushed above it."""
    bot.workspace.slash(user, f"channel setup {channel}")
    [setup] = bot.standin.wait_for(lambda: bot.standin.modals(user))
    assert bot.workspace.click(user, action_id="channel_connect_tiktok", view_id=setup.id).status == 200
    stack = bot.standin.wait_for(lambda: len(bot.standin.modals(user)) == 2 and bot.standin.modals(user))
    return stack[-1]


def dms(bot: LocalBot, user: str) -> list[Message]:
    return bot.standin.messages(bot.standin.dm_channel(user))


def channel_id(bot: LocalBot, name: str = "Air") -> int:
    with session_scope(bot.settings.database_url) as session:
        found = get_channel(session, name)
    assert found is not None and found.id is not None
    return found.id


def reconnect(bot: LocalBot, told: Message) -> Account | None:
    """Press Reconnect on the DM `told`, follow the fresh link through TikTok's consent; the account after."""
    clicked = bot.workspace.click(ADMIN, action_id="tiktok_reconnect", message=(told.channel, told.ts))
    assert clicked.status == 200
    [answer] = bot.standin.wait_for(lambda: bot.standin.ephemerals(told.channel, ADMIN))
    assert httpx.get(consent(bot, link_in(answer.blocks))).status_code == 200
    with session_scope(bot.settings.database_url) as session:
        return get_account(session, channel_id(bot))


def test_an_admin_connects_a_channel_end_to_end(
    connect_bot: LocalBot, tiktok: TikTokStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bot = connect_bot
    pushed = press_connect(bot)
    assert "Open TikTok to connect the account of channel *Air*" in all_text(pushed.blocks)
    url = link_in(pushed.blocks)
    asked = parse_qs(urlsplit(url).query)
    assert asked["client_key"] == [tiktok.client_key]
    assert asked["redirect_uri"] == ["http://localhost:3000/tiktok/callback"]
    assert set(asked["scope"][0].split(",")) == {
        "user.info.basic",
        "user.info.profile",
        "video.publish",
        "video.upload",
        "video.list",
    }
    assert "code_challenge" not in asked  # a web app: TikTok asks PKCE of desktop and mobile apps only

    back = consent(bot, url)
    page = httpx.get(back)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Connected @air.toys to channel Air; you can close this tab." in page.text
    assert page.headers["cache-control"] == "no-store"

    [exchange] = tiktok.requests_to("token")
    assert exchange.form["grant_type"] == "authorization_code"
    assert exchange.form["redirect_uri"] == "http://localhost:3000/tiktok/callback"
    with session_scope(bot.settings.database_url) as session:
        account = get_account(session, channel_id(bot))
        row = session.scalars(select(TikTokAccountRow)).one()
        stored = (row.access_token, row.refresh_token)
    assert account is not None and account.state is AccountState.CONNECTED
    assert account.open_id == OPEN_ID and account.connected_by == ADMIN
    assert account.creator.privacy_level_options == (
        "FOLLOWER_OF_CREATOR",
        "MUTUAL_FOLLOW_FRIENDS",
        "SELF_ONLY",
    )
    assert account.creator.duet_disabled and account.creator.max_video_post_duration_sec == 600
    # Tokens are at rest encrypted with TOKEN_KEY, and TikTok's lifetimes are read from its answer.
    issued = set(tiktok.state.access_tokens) | set(tiktok.state.refresh_tokens)
    assert not issued & set(stored)
    cipher = TokenCipher(bot.settings.token_key)
    assert {cipher.decrypt(value) for value in stored} <= issued
    assert (
        timedelta(hours=1, minutes=59) < account.access_expires_at - datetime.now(UTC) <= timedelta(hours=2)
    )

    [told] = bot.standin.wait_for(lambda: dms(bot, ADMIN))
    assert "Connected channel *Air* to Air &lt;Kids&gt; (@air.toys)" in told.text
    assert "Followers, Friends, Only me" in told.text
    listing = all_text(bot.workspace.slash(ADMIN, "channels").json()["blocks"])
    assert "Account: Air &lt;Kids&gt; (@air.toys); privacy options: Followers, Friends, Only me" in listing
    bot.workspace.slash(ADMIN, "channel setup Air")
    setup = bot.standin.wait_for(lambda: bot.standin.modals(ADMIN))[-1]
    account_block = next(b for b in setup.blocks if b.get("block_id") == "account")
    assert "(@air.toys); privacy options: Followers, Friends, Only me" in account_block["text"]["text"]
    assert account_block["accessory"]["text"]["text"] == "Reconnect"

    # Tokens never reach a log line or a Slack message.
    said = caplog.text + repr(bot.standin.calls)
    assert not [token for token in issued if token in said]
    # Nor do the single-use state and code, in contentbot's own log lines.
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.split(".")[0] in OUR_LOGGERS)
    assert ours and "channel 1 connected to TikTok account @air.toys" in ours
    code = parse_qs(urlsplit(back).query)["code"][0]
    assert parse_qs(urlsplit(url).query)["state"][0] not in ours and code not in ours


def test_a_replayed_or_expired_state_is_refused(connect_bot: LocalBot, tiktok: TikTokStandIn) -> None:
    bot = connect_bot
    back = consent(bot, link_in(press_connect(bot).blocks))
    assert httpx.get(back).status_code == 200
    replay = httpx.get(back)
    assert replay.status_code == 400
    assert "already used or is more than 10 minutes old" in replay.text
    assert len(tiktok.requests_to("token")) == 1  # the replayed code never reached TikTok

    bot.standin.close_modals(ADMIN, all_views=True)
    late = consent(bot, link_in(press_connect(bot).blocks))
    with session_scope(bot.settings.database_url) as session:
        session.execute(
            update(OAuthStateRow)
            .where(OAuthStateRow.used_at.is_(None))
            .values(created_at=datetime.now(UTC) - timedelta(minutes=10, seconds=1))
        )
    refused = httpx.get(late)
    assert refused.status_code == 400 and "more than 10 minutes old" in refused.text
    assert len(tiktok.requests_to("token")) == 1

    forged = httpx.get(f"{bot.web.url}/tiktok/callback?code=abc&state=made-up")
    assert forged.status_code == 400 and len(tiktok.requests_to("token")) == 1


def test_a_refused_grant_is_said_with_a_reconnect_button(
    connect_bot: LocalBot, tiktok: TikTokStandIn
) -> None:
    bot = connect_bot
    tiktok.authorize_as(OPEN_ID, refuse=True)
    page = httpx.get(consent(bot, link_in(press_connect(bot).blocks)))
    assert page.status_code == 400
    assert "the person declined to connect the TikTok account" in page.text
    assert tiktok.requests_to("token") == []
    [told] = bot.standin.wait_for(lambda: dms(bot, ADMIN))
    assert "Connecting the TikTok account of channel *Air* failed" in told.text
    with session_scope(bot.settings.database_url) as session:
        assert get_account(session, channel_id(bot)) is None

    # Reconnect makes a fresh link; this time the person allows it.
    tiktok.authorize_as(OPEN_ID)
    account = reconnect(bot, told)
    assert account is not None and account.connected


def test_an_exchange_tiktok_refuses_is_said_and_nothing_stored(
    connect_bot: LocalBot, tiktok: TikTokStandIn
) -> None:
    bot = connect_bot
    back = consent(bot, link_in(press_connect(bot).blocks))
    tiktok.fail_next("token", "invalid_grant", message="Authorization code is expired or invalid.")
    page = httpx.get(back)
    assert page.status_code == 400 and "TikTok refused the grant" in page.text
    [told] = bot.standin.wait_for(lambda: dms(bot, ADMIN))
    assert "Reconnect" in all_text(told.blocks)
    with session_scope(bot.settings.database_url) as session:
        assert get_account(session, channel_id(bot)) is None


def test_a_revoked_grant_needs_reconnecting_and_the_owner_is_told(
    connect_bot: LocalBot, tiktok: TikTokStandIn
) -> None:
    bot = connect_bot
    assert httpx.get(consent(bot, link_in(press_connect(bot).blocks))).status_code == 200
    bot.standin.wait_for(lambda: dms(bot, ADMIN))
    air = channel_id(bot)
    cipher = TokenCipher(bot.settings.token_key)
    with TikTokClient.from_settings(bot.settings) as client:
        token = access_token(bot.settings.database_url, air, client, cipher)
        tiktok.revoke_grant(OPEN_ID)
        # A call refused with access_token_invalid: the job asks again, naming the refused token.
        with pytest.raises(AccountError) as raised:
            access_token(bot.settings.database_url, air, client, cipher, refused=token)
        assert raised.value.needs_reconnect
        assert "TikTok refused the grant (expired, already used or revoked)" in raised.value.reason
        # Once marked, nothing more is asked of TikTok and nobody is told twice.
        with pytest.raises(AccountError, match="needs reconnecting"):
            access_token(bot.settings.database_url, air, client, cipher)
    assert len(tiktok.requests_to("token")) == 2  # the exchange and the one refused refresh
    told = bot.standin.wait_for(lambda: len(dms(bot, ADMIN)) == 2 and dms(bot, ADMIN))[-1]
    assert "The TikTok account of channel *Air* needs reconnecting" in told.text
    assert [e["text"]["text"] for b in told.blocks if b["type"] == "actions" for e in b["elements"]] == [
        "Reconnect"
    ]
    listing = all_text(bot.workspace.slash(ADMIN, "channels").json()["blocks"])
    assert ":warning: Air &lt;Kids&gt; (@air.toys): needs reconnecting" in listing

    # Reconnecting clears it.
    account = reconnect(bot, told)
    assert account is not None and account.connected and account.reason is None


def test_one_tiktok_account_is_not_connected_to_two_channels(
    connect_bot: LocalBot, tiktok: TikTokStandIn
) -> None:
    bot = connect_bot
    assert httpx.get(consent(bot, link_in(press_connect(bot).blocks))).status_code == 200
    bot.standin.close_modals(ADMIN, all_views=True)
    page = httpx.get(consent(bot, link_in(press_connect(bot, channel="Water").blocks)))
    assert page.status_code == 400
    assert "this TikTok account is already connected to channel Air" in page.text
    with session_scope(bot.settings.database_url) as session:
        assert get_account(session, channel_id(bot, "Water")) is None
        air = get_account(session, channel_id(bot))
    assert air is not None and air.connected


def test_only_admins_may_connect(connect_bot: LocalBot, tiktok: TikTokStandIn) -> None:
    pushed = press_connect(connect_bot, user=NOT_ADMIN)
    assert "Only admins may connect TikTok accounts; ask <@U0ALICE>." in all_text(pushed.blocks)
    with session_scope(connect_bot.settings.database_url) as session:
        assert session.scalars(select(OAuthStateRow)).all() == []


def test_without_tiktok_credentials_connect_says_posts_go_to_the_sandbox(bot: LocalBot) -> None:
    pushed = press_connect(bot)
    text = all_text(pushed.blocks)
    assert "No TikTok credentials are set" in text and "local sandbox" in text
    with session_scope(bot.settings.database_url) as session:
        assert session.scalars(select(OAuthStateRow)).all() == []
