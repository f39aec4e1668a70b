"""TikTok Shop jobs: connect the shop, keep its tokens fresh, sync the catalogue, check products.

    connect_shop(database_url, client, key, code=..., user_id=...)  the redirect URL's handler calls this
    sync_catalogue(database_url, client, key)                       pages through the shop, upserts
    check_products(database_url, client, key, ids)                  live or not, asked of the shop now
    untagged_videos(database_url, client, key, expected, day)       the next day: products missing from videos
    sync_catalogue_job()                                            the same, as an RQ job on the settings

`key` is TOKEN_KEY: tokens are stored encrypted. Every function refreshes the access token first when it
is within two days of expiring (core.shop.REFRESH_MARGIN), so a daily sync keeps the shop connected.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice

from core.products import ShopProduct, status_label
from core.shop import ShopConnection, missing_tags
from storage import products as catalogue
from storage import shop as connections
from storage.db import session_scope
from workers.runtime import settings as current_settings
from workers.tiktok_shop import ShopClient, ShopError, client_for

# Products stored per transaction during a sync: one search page.
BATCH = 100


@dataclass(frozen=True)
class SyncResult:
    seen: int
    added: int
    changed: int
    gone: int


def connect_shop(
    database_url: str, client: ShopClient, key: str, *, code: str, user_id: str, now: datetime | None = None
) -> ShopConnection:
    """Exchange the consent page's `code` for tokens, learn the shop's cipher, store both."""
    tokens = client.exchange_code(code)
    shops = client.shops(tokens.access_token)
    if not shops:
        raise ShopError("The TikTok account that authorised us has no shop", retryable=False)
    with session_scope(database_url) as session:
        return connections.save_connection(
            session, shops[0], tokens, key=key, user_id=user_id, now=now or datetime.now(UTC)
        )


def fresh_connection(
    database_url: str, client: ShopClient, key: str, now: datetime | None = None
) -> ShopConnection:
    """The connected shop, its access token refreshed first when it is due."""
    now = now or datetime.now(UTC)
    with session_scope(database_url) as session:
        connection = connections.current_connection(session, key=key, lock=True)
        if connection is None:
            raise ShopError("No TikTok Shop is connected; use `/content shop connect`", retryable=False)
        if not connection.tokens.due_for_refresh(now):
            return connection
        if connection.tokens.refresh_expires_at <= now:
            raise ShopError(
                "The TikTok Shop connection has lapsed; connect it again with `/content shop connect`",
                retryable=False,
            )
        tokens = client.refresh(connection.tokens)
        connections.update_tokens(session, connection.id, tokens, key=key, now=now)
        return ShopConnection(
            connection.id,
            connection.shop,
            tokens,
            connection.connected_by,
            connection.connected_at,
            connection.synced_at,
        )


def sync_catalogue(
    database_url: str, client: ShopClient, key: str, *, now: datetime | None = None
) -> SyncResult:
    """Page through every product of the shop into our catalogue. Products it no longer lists are
    marked deleted, but only after the whole catalogue was read: a sync that fails half-way leaves
    the rest as it was, and the next one finishes the job."""
    now = now or datetime.now(UTC)
    connection = fresh_connection(database_url, client, key, now)
    found = client.search_products(connection.tokens.access_token, connection.shop.cipher)
    seen = added = changed = 0
    for batch in _batches(found, BATCH):
        with session_scope(database_url) as session:
            result = catalogue.upsert_products(session, batch, now)
        seen, added, changed = seen + len(batch), added + result.added, changed + result.changed
    with session_scope(database_url) as session:
        gone = catalogue.mark_gone(session, now)
        connections.mark_synced(session, connection.id, now)
    return SyncResult(seen, added, changed, gone)


def check_products(
    database_url: str,
    client: ShopClient,
    key: str,
    product_ids: Sequence[str],
    *,
    now: datetime | None = None,
) -> dict[str, str]:
    """Ask the shop about each product now (before scheduling, again before posting) and keep what it
    says. Returns why each product that is not live cannot be promoted; empty when all are live."""
    now = now or datetime.now(UTC)
    connection = fresh_connection(database_url, client, key, now)
    reasons: dict[str, str] = {}
    for product_id in dict.fromkeys(product_ids):
        try:
            product = client.product(connection.tokens.access_token, connection.shop.cipher, product_id)
        except ShopError as exc:
            if exc.http_status != 404:
                raise
            reasons[product_id] = "not in the shop"
            continue
        with session_scope(database_url) as session:
            catalogue.record_status(session, product, now)
        if not product.live:
            reasons[product_id] = status_label(product.status)
    return reasons


def untagged_videos(
    database_url: str,
    client: ShopClient,
    key: str,
    expected: Mapping[str, Set[str]],
    day: date,
    *,
    now: datetime | None = None,
) -> dict[str, frozenset[str]]:
    """For videos posted on `day` (TikTok video id -> the product ids each should carry): the products
    Shop analytics do not show on them. Analytics run a day behind (reference §3.4): ask the day after."""
    connection = fresh_connection(database_url, client, key, now)
    seen = client.video_products(
        connection.tokens.access_token, connection.shop.cipher, start=day, end=day + timedelta(days=1)
    )
    return missing_tags(expected, seen)


def sync_catalogue_job() -> dict[str, int]:
    """The RQ job: sync with the process's settings."""
    settings = current_settings()
    if not settings.token_key:
        raise ShopError("TOKEN_KEY is not set: the shop's tokens cannot be read", retryable=False)
    with client_for(settings) as client:
        result = sync_catalogue(settings.database_url, client, settings.token_key)
    return {"seen": result.seen, "added": result.added, "changed": result.changed, "gone": result.gone}


def _batches(items: Iterator[ShopProduct], size: int) -> Iterator[list[ShopProduct]]:
    while batch := list(islice(items, size)):
        yield batch
