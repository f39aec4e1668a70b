"""A channel's TikTok account: connecting it (OAuth v2, reference §2) and keeping a usable access token.

    url = connect_link(database_url, client, channel_id, user_id, redirect_uri=redirect_uri(settings))
    connected = complete_connect(database_url, client, cipher, state=..., code=..., redirect_uri=...)
    token = access_token(database_url, channel_id, client, cipher)       # before every TikTok call
    token = access_token(..., refused=token)                            # after TikTok said token_expired
    token = ChannelToken(database_url, channel_id, client, cipher)      # the same as a callable

Refresh tokens rotate (the old one dies when a new one is issued), so a refresh happens under the
account's lock and the new pair is stored before the new access token is handed out: two workers never
both refresh, and a crash never leaves only a dead refresh token stored. A grant TikTok refuses marks
the account `needs_reconnect` and tells its owner in Slack, once, with a Reconnect button.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from slack_sdk.errors import SlackClientError

from config.settings import Settings
from core.accounts import Account, Creator, due_for_refresh
from messages.accounts import reconnect_blocks, reconnect_text
from messages.slack import direct_message, slack_client
from storage import accounts as store
from storage.channels import get_channel_by_id
from storage.crypto import TokenCipher
from storage.db import session_scope
from workers.runtime import settings as current_settings
from workers.tiktok import CreatorInfo, TikTokClient, TikTokError, Tokens

log = logging.getLogger(__name__)

CALLBACK_PATH = "/tiktok/callback"


class AccountError(Exception):
    """The channel has no usable TikTok account; `reason` says why in words for Slack, and
    `needs_reconnect` whether only a person reconnecting it can help."""

    def __init__(self, reason: str, *, channel_id: int | None, needs_reconnect: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.channel_id = channel_id
        self.needs_reconnect = needs_reconnect


@dataclass(frozen=True)
class Connected:
    account: Account
    channel_name: str
    user_id: str


def sandbox(settings: Settings) -> bool:
    """No TikTok credentials: posts go to the local sandbox, and there is nothing to connect."""
    return not (settings.tiktok_client_key and settings.tiktok_client_secret)


def redirect_uri(settings: Settings) -> str:
    """Where TikTok sends the person back; must be registered in TikTok's developer portal as is."""
    return settings.base_url + CALLBACK_PATH


def connect_link(
    database_url: str,
    client: TikTokClient,
    channel_id: int,
    user_id: str,
    *,
    redirect_uri: str,
    now: datetime | None = None,
) -> str:
    """TikTok's consent page for this channel, with a fresh single-use state. No PKCE: TikTok asks
    for it only from desktop and mobile apps (reference §2), and this is a server-side web app."""
    with session_scope(database_url) as session:
        state = store.create_state(session, channel_id, user_id, now or datetime.now(UTC))
    return client.authorize_url(state, redirect_uri=redirect_uri)


def take_state(database_url: str, state: str, now: datetime | None = None) -> store.OAuthState:
    """The Connect link's channel and person; the state is spent at once, whatever follows."""
    with session_scope(database_url) as session:
        taken = store.take_state(session, state, now or datetime.now(UTC))
    if taken is None:
        raise AccountError(
            "This Connect link was already used or is more than 10 minutes old. Press Connect in Slack again.",
            channel_id=None,
            needs_reconnect=False,
        )
    return taken


def complete_connect(
    database_url: str,
    client: TikTokClient,
    cipher: TokenCipher,
    taken: store.OAuthState,
    *,
    code: str,
    redirect_uri: str,
    now: datetime | None = None,
) -> Connected:
    """Exchange the redirect's code, read creator info, store the account (tokens encrypted)."""
    tokens = client.exchange_code(code, redirect_uri=redirect_uri, code_verifier=taken.code_verifier)
    missing = tokens.missing_scopes()
    if missing:
        raise AccountError(
            f"TikTok granted fewer permissions than contentbot needs ({', '.join(sorted(missing))} missing); "
            "connect again and leave every permission ticked",
            channel_id=taken.channel_id,
            needs_reconnect=True,
        )
    creator = _creator(client.creator_info(tokens.access_token))
    with session_scope(database_url) as session:
        taken_by = store.channel_of(session, tokens.open_id)
        if taken_by is not None and taken_by != taken.channel_id:
            other = get_channel_by_id(session, taken_by)
            # Two channels on one account would post everything twice there; the other grant stays
            # (a revoke would end the app's access for both).
            raise AccountError(
                f"this TikTok account is already connected to channel {other.name if other else taken_by}; "
                "log in to TikTok as this channel's own account and connect again",
                channel_id=taken.channel_id,
                needs_reconnect=True,
            )
        account = store.save_account(
            session,
            taken.channel_id,
            open_id=tokens.open_id,
            scopes=tokens.scopes,
            tokens=_stored(tokens),
            creator=creator,
            user_id=taken.user_id,
            cipher=cipher,
            now=now or datetime.now(UTC),
        )
        channel = get_channel_by_id(session, taken.channel_id)
    log.info("channel %s connected to TikTok account %s", taken.channel_id, account.handle)
    return Connected(account, channel.name if channel else str(taken.channel_id), taken.user_id)


def access_token(
    database_url: str,
    channel_id: int,
    client: TikTokClient,
    cipher: TokenCipher,
    now: datetime | None = None,
    *,
    refused: str | None = None,
) -> str:
    """A usable access token for the channel's account, refreshed first when it lapses within
    core.accounts.REFRESH_MARGIN (or is `refused`: the token TikTok just answered token_expired to).

    Raises AccountError when the account is missing or needs reconnecting (a refused or expired grant
    is marked and said in Slack here), and TikTokError for a transient failure of the refresh (nothing
    stored: the caller retries later)."""
    now = now or datetime.now(UTC)
    with session_scope(database_url) as session:
        _usable(store.get_account(session, channel_id), channel_id)
        tokens = store.account_tokens(session, channel_id, cipher)
    if not _stale(tokens, now, refused):
        return tokens.access_token
    with session_scope(database_url) as session:
        _usable(store.lock_account(session, channel_id), channel_id)
        # Another worker may have refreshed while this one waited for the lock: read again.
        tokens = store.account_tokens(session, channel_id, cipher)
        if not _stale(tokens, now, refused):
            return tokens.access_token
        if tokens.refresh_expires_at <= now:
            reason = (
                "the TikTok grant expired (its refresh token is past its lifetime); reconnect the account"
            )
        else:
            try:
                fresh = client.refresh(tokens.refresh_token)
            except TikTokError as exc:
                if not exc.needs_reconnect:
                    raise
                reason = exc.reason
            else:
                store.update_tokens(session, channel_id, _stored(fresh), cipher, now)
                log.info("refreshed the TikTok token of channel %s", channel_id)
                return fresh.access_token
        account = store.mark_needs_reconnect(session, channel_id, reason, now)
        failure = AccountError(reason, channel_id=channel_id, needs_reconnect=True)
    tell_reconnect(database_url, account)
    raise failure


@dataclass(frozen=True)
class ChannelToken:
    """The channel's access token as a callable (workers.publishers.TikTokPublisher takes one)."""

    database_url: str
    channel_id: int
    client: TikTokClient
    cipher: TokenCipher

    def __call__(self) -> str:
        return access_token(self.database_url, self.channel_id, self.client, self.cipher)

    def refused(self, token: str) -> str:
        """A new token after TikTok answered `token` with access_token_invalid (TikTokError.token_expired)."""
        return access_token(self.database_url, self.channel_id, self.client, self.cipher, refused=token)


# TikTok's guidelines have the posting form show what creator info says now. The form must open
# within Slack's 3 s, so TikTok gets a second; after that the answer stored last time stands in.
FORM_TIMEOUT = httpx.Timeout(1.0)


def current_creator(settings: Settings, channel_id: int) -> Creator | None:
    """What TikTok says of the channel's creator now (stored for next time), or None when it cannot
    say within FORM_TIMEOUT: the caller shows the creator info stored before."""
    if sandbox(settings) or not settings.token_key:
        return None
    try:
        with TikTokClient.from_settings(settings, timeout=FORM_TIMEOUT) as client:
            token = access_token(settings.database_url, channel_id, client, TokenCipher(settings.token_key))
            creator = _creator(client.creator_info(token))
    except (TikTokError, AccountError) as exc:
        log.info("channel %s: creator info not refreshed for the form: %s", channel_id, exc)
        return None
    with session_scope(settings.database_url) as session:
        store.update_creator(session, channel_id, creator)
    return creator


def _creator(info: CreatorInfo) -> Creator:
    return Creator(
        nickname=info.nickname,
        username=info.username,
        privacy_level_options=info.privacy_level_options,
        comment_disabled=info.comment_disabled,
        duet_disabled=info.duet_disabled,
        stitch_disabled=info.stitch_disabled,
        max_video_post_duration_sec=info.max_video_post_duration_sec,
    )


def needs_reconnect(database_url: str, channel_id: int, reason: str, now: datetime | None = None) -> None:
    """Mark the account as needing a person (TikTok said scope_not_authorized, auth_removed, ...) and
    tell its owner, unless that was done already."""
    with session_scope(database_url) as session:
        account = store.get_account(session, channel_id)
        if account is None or not account.connected:
            return
        account = store.mark_needs_reconnect(session, channel_id, reason, now or datetime.now(UTC))
    tell_reconnect(database_url, account)


def tell_reconnect(database_url: str, account: Account, user_id: str | None = None) -> None:
    """A DM to the channel's owner (else whoever connected it) with the reason and a Reconnect button."""
    with session_scope(database_url) as session:
        channel = get_channel_by_id(session, account.channel_id)
    name = channel.name if channel else str(account.channel_id)
    to = user_id or (channel.owner_user_id if channel else None) or account.connected_by
    text = reconnect_text(name, account.reason or "TikTok refused the grant")
    settings = current_settings()
    if not settings.slack_bot_token:
        log.warning("channel %s needs its TikTok account reconnected; there is no Slack to say it in", name)
        return
    # The account is marked already: a Slack that cannot be reached must not hide the refusal's error.
    try:
        direct_message(slack_client(settings), to, text, blocks=reconnect_blocks(account.channel_id, text))
    except (SlackClientError, OSError) as exc:
        log.warning("could not tell %s that channel %s needs reconnecting: %s", to, name, exc)


def _usable(account: Account | None, channel_id: int) -> Account:
    if account is None:
        raise AccountError(
            "this channel has no TikTok account connected; an admin connects it in `/content channel setup`",
            channel_id=channel_id,
            needs_reconnect=True,
        )
    if not account.connected:
        raise AccountError(
            f"the channel's TikTok account needs reconnecting: {account.reason}",
            channel_id=channel_id,
            needs_reconnect=True,
        )
    return account


def _stale(tokens: store.StoredTokens, now: datetime, refused: str | None) -> bool:
    return due_for_refresh(tokens.access_expires_at, now) or tokens.access_token == refused


def _stored(tokens: Tokens) -> store.StoredTokens:
    return store.StoredTokens(
        tokens.access_token, tokens.access_expires_at, tokens.refresh_token, tokens.refresh_expires_at
    )
