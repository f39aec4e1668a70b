"""The connected TikTok Shop: its identity and tokens, encrypted at rest with TOKEN_KEY."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.shop import Shop, ShopConnection, ShopTokens
from storage.crypto import decrypt, encrypt
from storage.models import ShopConnectionRow


def save_connection(
    session: Session, shop: Shop, tokens: ShopTokens, *, key: str, user_id: str, now: datetime
) -> ShopConnection:
    """Connect `shop` (or reconnect it: a new authorization replaces the old tokens)."""
    row = session.scalar(select(ShopConnectionRow).where(ShopConnectionRow.shop_id == shop.id))
    if row is None:
        row = ShopConnectionRow(shop_id=shop.id)
        session.add(row)
    row.shop_name = shop.name
    row.region = shop.region
    row.shop_cipher = shop.cipher
    row.connected_by = user_id
    row.connected_at = now
    row.refreshed_at = None
    _set_tokens(row, tokens, key)
    session.flush()
    return _connection(row, key)


def current_connection(session: Session, *, key: str, lock: bool = False) -> ShopConnection | None:
    """The shop connected last; a brand has one shop, and a reconnection wins. With `lock`, it stays
    locked until the transaction ends, so two jobs do not refresh at once: PostgreSQL locks the row;
    SQLite has no row locks, so a no-op UPDATE first takes the database's write lock (as
    storage.accounts.lock_account does), and a second writer waits, then reads what the first stored."""
    query = select(ShopConnectionRow).order_by(
        ShopConnectionRow.connected_at.desc(), ShopConnectionRow.id.desc()
    )
    if lock and session.get_bind().dialect.name != "postgresql":
        session.execute(update(ShopConnectionRow).values(shop_id=ShopConnectionRow.shop_id))
        lock = False
    row = session.scalar(query.limit(1).with_for_update() if lock else query.limit(1))
    return _connection(row, key) if row else None


def update_tokens(
    session: Session, connection_id: int, tokens: ShopTokens, *, key: str, now: datetime
) -> None:
    row = session.get_one(ShopConnectionRow, connection_id)
    _set_tokens(row, tokens, key)
    row.refreshed_at = now


def mark_synced(session: Session, connection_id: int, now: datetime) -> None:
    session.get_one(ShopConnectionRow, connection_id).synced_at = now


def _set_tokens(row: ShopConnectionRow, tokens: ShopTokens, key: str) -> None:
    row.access_token = encrypt(tokens.access_token, key)
    row.refresh_token = encrypt(tokens.refresh_token, key)
    row.access_expires_at = tokens.access_expires_at
    row.refresh_expires_at = tokens.refresh_expires_at
    row.seller_name = tokens.seller_name


def _connection(row: ShopConnectionRow, key: str) -> ShopConnection:
    return ShopConnection(
        id=row.id,
        shop=Shop(row.shop_id, row.shop_cipher, row.shop_name, row.region),
        tokens=ShopTokens(
            access_token=decrypt(row.access_token, key),
            access_expires_at=row.access_expires_at,
            refresh_token=decrypt(row.refresh_token, key),
            refresh_expires_at=row.refresh_expires_at,
            seller_name=row.seller_name,
        ),
        connected_by=row.connected_by,
        connected_at=row.connected_at,
        synced_at=row.synced_at,
    )
