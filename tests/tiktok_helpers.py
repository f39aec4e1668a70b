"""Helpers for tests that drive the bot against the TikTok stand-in: its consent page, and a channel
connected with tokens as TikTok's token endpoint issued them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from contentbot.local import LocalBot
from core.accounts import Creator
from standins.tiktok import TikTokStandIn
from storage import accounts as store
from storage.channels import get_channel
from storage.crypto import TokenCipher
from storage.db import session_scope


def link_in(blocks: list[dict[str, Any]]) -> str:
    """The one URL button of a message (the Connect link)."""
    [url] = [e["url"] for b in blocks if b["type"] == "actions" for e in b["elements"] if e.get("url")]
    return url


def consent(bot: LocalBot, authorize_url: str) -> str:
    """The browser at TikTok's consent page: where it is sent back to, on `web`'s real address.

    PUBLIC_URL is what TikTok knows (the default http://localhost:PORT); the test reaches the same
    path on the port `web` really listens on."""
    answer = httpx.get(authorize_url, follow_redirects=False)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == bot.settings.base_url + "/tiktok/callback"
    return f"{bot.web.url}{back.path}?{back.query}"


def connect_channel(
    database_url: str, tiktok: TikTokStandIn, channel: str, open_id: str, token_key: str | None
) -> int:
    """The channel connected to the stand-in's account `open_id`, with tokens as TikTok's token
    endpoint issued them (without the consent dance); returns the channel's id."""
    assert token_key, "connecting needs TOKEN_KEY: tokens are stored encrypted"
    issued = tiktok.issue_tokens(open_id)
    now = datetime.fromtimestamp(tiktok.clock(), UTC)
    account = tiktok.account(open_id)
    with session_scope(database_url) as session:
        found = get_channel(session, channel)
        assert found is not None and found.id is not None
        store.save_account(
            session,
            found.id,
            open_id=open_id,
            scopes=frozenset(issued["scope"].split(",")),
            tokens=store.StoredTokens(
                issued["access_token"],
                now + timedelta(seconds=issued["expires_in"]),
                issued["refresh_token"],
                now + timedelta(seconds=issued["refresh_expires_in"]),
            ),
            creator=Creator(account.nickname, account.username, tuple(account.privacy_level_options)),
            user_id="U0ALICE",
            cipher=TokenCipher(token_key),
            now=now,
        )
        return found.id
