"""Channels' TikTok accounts (tokens encrypted with TOKEN_KEY) and the single-use states of Connect links.

Reads hand back `core.accounts.Account` (no tokens). Only `locked_tokens`, for the one caller that
refreshes (workers.accounts), decrypts them, and only while it holds the account's lock.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import Session

from core.accounts import STATE_LIFETIME, Account, AccountState, Creator
from storage.crypto import TokenCipher
from storage.db import affected
from storage.models import ChannelRow, OAuthStateRow, TikTokAccountRow


@dataclass(frozen=True)
class StoredTokens:
    """An account's tokens, decrypted. Out of repr, so a logged value shows no secret."""

    access_token: str = field(repr=False)
    access_expires_at: datetime
    refresh_token: str = field(repr=False)
    refresh_expires_at: datetime


@dataclass(frozen=True)
class OAuthState:
    channel_id: int
    user_id: str
    code_verifier: str | None = field(default=None, repr=False)


# States


def create_state(
    session: Session, channel_id: int | None, user_id: str, now: datetime, *, code_verifier: str | None = None
) -> str:
    """A fresh state for one Connect link (a channel's account, or with no channel the TikTok Shop);
    states past their lifetime are cleared on the way."""
    session.execute(delete(OAuthStateRow).where(OAuthStateRow.created_at < now - STATE_LIFETIME))
    state = secrets.token_urlsafe(32)
    session.add(
        OAuthStateRow(
            state_hash=_hash(state),
            channel_id=channel_id,
            code_verifier=code_verifier,
            user_id=user_id,
            created_at=now,
        )
    )
    session.flush()
    return state


def take_state(session: Session, state: str, now: datetime) -> OAuthState | None:
    """The state's channel and person, marking it used; None when it is unknown, used or expired."""
    row = _take(session, state, now, OAuthStateRow.channel_id.is_not(None))
    if row is None or row.channel_id is None:
        return None
    return OAuthState(row.channel_id, row.user_id, row.code_verifier)


def take_shop_state(session: Session, state: str, now: datetime) -> str | None:
    """A shop Connect link's state: the person who asked for it, marking it used; None as take_state."""
    row = _take(session, state, now, OAuthStateRow.channel_id.is_(None))
    return row.user_id if row else None


def _take(session: Session, state: str, now: datetime, kind: ColumnElement[bool]) -> OAuthStateRow | None:
    # One conditional UPDATE decides, so two requests carrying the same state cannot both win.
    taken = session.execute(
        update(OAuthStateRow)
        .where(
            OAuthStateRow.state_hash == _hash(state),
            OAuthStateRow.used_at.is_(None),
            OAuthStateRow.created_at > now - STATE_LIFETIME,
            kind,
        )
        .values(used_at=now)
    )
    if affected(taken) != 1:
        return None
    return session.scalars(select(OAuthStateRow).where(OAuthStateRow.state_hash == _hash(state))).one()


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


# Accounts


def update_creator(session: Session, channel_id: int, creator: Creator) -> None:
    """What TikTok said of the creator lately (their nickname, privacy options, what they turned off)."""
    row = session.scalar(select(TikTokAccountRow).where(TikTokAccountRow.channel_id == channel_id))
    if row is not None:
        _set_creator(row, creator)


def _set_creator(row: TikTokAccountRow, creator: Creator) -> None:
    row.nickname = creator.nickname
    row.username = creator.username
    row.creator_info = {
        "privacy_level_options": list(creator.privacy_level_options),
        "comment_disabled": creator.comment_disabled,
        "duet_disabled": creator.duet_disabled,
        "stitch_disabled": creator.stitch_disabled,
        "max_video_post_duration_sec": creator.max_video_post_duration_sec,
    }


def save_account(
    session: Session,
    channel_id: int,
    *,
    open_id: str,
    scopes: frozenset[str],
    tokens: StoredTokens,
    creator: Creator,
    user_id: str,
    cipher: TokenCipher,
    now: datetime,
) -> Account:
    """Connect (or reconnect) the channel's account: the new grant replaces the old one entirely."""
    row = session.scalar(select(TikTokAccountRow).where(TikTokAccountRow.channel_id == channel_id))
    if row is None:
        row = TikTokAccountRow(channel_id=channel_id)
        session.add(row)
    row.open_id = open_id
    _set_creator(row, creator)
    row.scopes = sorted(scopes)
    row.state = AccountState.CONNECTED.value
    row.reason = None
    row.connected_by = user_id
    row.updated_at = now
    _set_tokens(row, tokens, cipher)
    channel = session.get_one(ChannelRow, channel_id)
    channel.tiktok_open_id = open_id
    channel.tiktok_username = creator.username or creator.nickname
    session.flush()
    return to_account(row)


def get_account(session: Session, channel_id: int) -> Account | None:
    row = session.scalar(select(TikTokAccountRow).where(TikTokAccountRow.channel_id == channel_id))
    return to_account(row) if row else None


def channel_of(session: Session, open_id: str) -> int | None:
    """The channel this TikTok user is connected to, if any."""
    return session.scalar(select(TikTokAccountRow.channel_id).where(TikTokAccountRow.open_id == open_id))


def accounts_by_channel(session: Session) -> dict[int, Account]:
    return {row.channel_id: to_account(row) for row in session.scalars(select(TikTokAccountRow))}


def lock_account(session: Session, channel_id: int) -> Account | None:
    """The account, locked until the transaction ends, so only one process refreshes its tokens.

    PostgreSQL locks the row (SELECT ... FOR UPDATE). SQLite has no row locks: a no-op UPDATE as the
    transaction's first statement takes the database's write lock, and a second writer waits for it
    (busy_timeout) and then reads what the first one stored."""
    query = select(TikTokAccountRow).where(TikTokAccountRow.channel_id == channel_id)
    if session.get_bind().dialect.name == "postgresql":
        row = session.scalar(query.with_for_update())
    else:
        session.execute(
            update(TikTokAccountRow)
            .where(TikTokAccountRow.channel_id == channel_id)
            .values(channel_id=TikTokAccountRow.channel_id)
        )
        row = session.scalar(query)
    return to_account(row) if row else None


def account_tokens(session: Session, channel_id: int, cipher: TokenCipher) -> StoredTokens:
    """The account's tokens, decrypted (raises storage.crypto.TokenDecryptError on a wrong TOKEN_KEY)."""
    row = session.scalars(select(TikTokAccountRow).where(TikTokAccountRow.channel_id == channel_id)).one()
    return StoredTokens(
        access_token=cipher.decrypt(row.access_token),
        access_expires_at=row.access_expires_at,
        refresh_token=cipher.decrypt(row.refresh_token),
        refresh_expires_at=row.refresh_expires_at,
    )


def update_tokens(
    session: Session, channel_id: int, tokens: StoredTokens, cipher: TokenCipher, now: datetime
) -> None:
    row = session.scalars(select(TikTokAccountRow).where(TikTokAccountRow.channel_id == channel_id)).one()
    _set_tokens(row, tokens, cipher)
    row.updated_at = now
    session.flush()


def mark_needs_reconnect(session: Session, channel_id: int, reason: str, now: datetime) -> Account:
    row = session.scalars(select(TikTokAccountRow).where(TikTokAccountRow.channel_id == channel_id)).one()
    row.state = AccountState.NEEDS_RECONNECT.value
    row.reason = reason
    row.updated_at = now
    session.flush()
    return to_account(row)


def _set_tokens(row: TikTokAccountRow, tokens: StoredTokens, cipher: TokenCipher) -> None:
    row.access_token = cipher.encrypt(tokens.access_token)
    row.refresh_token = cipher.encrypt(tokens.refresh_token)
    row.access_expires_at = tokens.access_expires_at
    row.refresh_expires_at = tokens.refresh_expires_at


def to_account(row: TikTokAccountRow) -> Account:
    info = row.creator_info or {}
    return Account(
        channel_id=row.channel_id,
        open_id=row.open_id,
        creator=Creator(
            nickname=row.nickname,
            username=row.username,
            privacy_level_options=tuple(info.get("privacy_level_options", ())),
            comment_disabled=bool(info.get("comment_disabled")),
            duet_disabled=bool(info.get("duet_disabled")),
            stitch_disabled=bool(info.get("stitch_disabled")),
            max_video_post_duration_sec=int(info.get("max_video_post_duration_sec") or 0),
        ),
        scopes=frozenset(row.scopes or ()),
        state=AccountState(row.state),
        connected_by=row.connected_by,
        updated_at=row.updated_at,
        access_expires_at=row.access_expires_at,
        refresh_expires_at=row.refresh_expires_at,
        reason=row.reason,
    )
