"""TikTok Shop jobs: connect the shop, keep its tokens fresh, sync the catalogue, check products.

    url = connect_link(database_url, client, user_id)                the seller's consent page, fresh state
    take_state(database_url, state)                                  who asked, when the browser comes back
    connect_shop(database_url, client, key, code=..., user_id=...)  the redirect URL's handler calls this
    sync_catalogue(database_url, client, key)                       pages through the shop, upserts
    check_products(database_url, client, key, ids)                  live or not, asked of the shop now
    hold_reason(settings, post)                                     why a due post must wait (publish job)
    untagged_videos(database_url, client, key, expected, day)       the next day: products missing from videos
    sync_catalogue_job()                                            the same, as an RQ job on the settings

`key` is TOKEN_KEY: tokens are stored encrypted. Every function refreshes the access token first when it
is within two days of expiring (core.shop.REFRESH_MARGIN), so a daily sync keeps the shop connected.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice

from slack_sdk.errors import SlackClientError

from config.settings import Settings
from core.posts import Post
from core.products import ShopProduct, status_label
from core.shop import ShopConnection, missing_tags
from messages.slack import direct_message, slack_client
from storage import products as catalogue
from storage import shop as connections
from storage.accounts import create_state, take_shop_state
from storage.db import session_scope
from workers.runtime import settings as current_settings
from workers.tiktok_shop import ShopClient, ShopError, client_for

log = logging.getLogger(__name__)

# Products stored per transaction during a sync: one search page.
BATCH = 100
CALLBACK_PATH = "/tiktok-shop/callback"


@dataclass(frozen=True)
class SyncResult:
    seen: int
    added: int
    changed: int
    gone: int


def redirect_url(settings: Settings) -> str:
    """Where the seller's browser comes back to; registered as is in Partner Center (App & Service)."""
    return settings.base_url + CALLBACK_PATH


def connect_link(database_url: str, client: ShopClient, user_id: str, now: datetime | None = None) -> str:
    """The seller's consent page with a fresh single-use state (the TikTok accounts' table of states,
    with no channel: the shop is the brand's)."""
    with session_scope(database_url) as session:
        state = create_state(session, None, user_id, now or datetime.now(UTC))
    return client.authorize_url(state)


def take_state(database_url: str, state: str, now: datetime | None = None) -> str | None:
    """Who asked for the link the seller came back through; None when it is unknown, used or old.
    Spent at once, whatever follows."""
    with session_scope(database_url) as session:
        return take_shop_state(session, state, now or datetime.now(UTC))


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
        connection = connections.current_connection(session, key=key)
    if connection is not None and not connection.tokens.due_for_refresh(now):
        return connection
    with session_scope(database_url) as session:
        connection = connections.current_connection(session, key=key, lock=True)
        if connection is None:
            raise ShopError("No TikTok Shop is connected; use `/content shop connect`", retryable=False)
        # Another process may have refreshed while this one waited for the lock.
        if not connection.tokens.due_for_refresh(now):
            return connection
        if connection.tokens.refresh_expires_at <= now:
            raise ShopError(
                "The TikTok Shop connection has lapsed; connect it again with `/content shop connect`",
                retryable=False,
            )
        try:
            tokens = client.refresh(connection.tokens)
        except ShopError as exc:
            if exc.retryable:
                raise
            raise ShopError(
                f"TikTok Shop refused to renew the shop's connection ({exc.reason}); "
                "an admin connects it again with `/content shop connect`",
                retryable=False,
            ) from exc
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


def hold_reason(settings: Settings, post: Post) -> str | None:
    """Just before posting: why `post` must be held for a person (its product is not live now, or
    the shop cannot say), or None when it may go out. A shop that is briefly unreachable raises the
    retryable ShopError: the publish job tries again before deciding."""
    if not post.product_id:
        return None
    if not settings.token_key:
        return f"product {post.product_id} could not be checked: TOKEN_KEY is not set"
    try:
        with client_for(settings) as client:
            reasons = check_products(settings.database_url, client, settings.token_key, [post.product_id])
    except ShopError as exc:
        if exc.retryable:
            raise
        return f"product {post.product_id} could not be checked: {exc.reason}"
    if not reasons:
        return None
    with session_scope(settings.database_url) as session:
        known = catalogue.get_product(session, post.product_id)
    name = f"{known.title} ({post.product_id})" if known else post.product_id
    return f"product {name} is {reasons[post.product_id]} in the shop now"


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
    """The RQ job the clock queues: sync with the process's settings. Nothing to do (and no failure)
    while no shop is set up or connected; a connection TikTok will not renew is said to whoever
    connected it, in a DM, and the job fails with the same words."""
    settings = current_settings()
    if not (shop_configured(settings) and settings.token_key):
        return {}
    with session_scope(settings.database_url) as session:
        connection = connections.current_connection(session, key=settings.token_key)
    if connection is None:
        return {}
    try:
        with client_for(settings) as client:
            result = sync_catalogue(settings.database_url, client, settings.token_key)
    except ShopError as exc:
        if not exc.retryable and settings.slack_bot_token:
            try:
                direct_message(
                    slack_client(settings),
                    connection.connected_by,
                    f":warning: The TikTok Shop catalogue could not be synced: {exc.reason}.",
                )
            except (SlackClientError, OSError) as slack_exc:
                log.warning("could not tell %s the shop sync failed: %s", connection.connected_by, slack_exc)
        raise
    return {"seen": result.seen, "added": result.added, "changed": result.changed, "gone": result.gone}


def shop_configured(settings: Settings) -> bool:
    return bool(settings.tiktok_shop_app_key and settings.tiktok_shop_app_secret)


def _batches(items: Iterator[ShopProduct], size: int) -> Iterator[list[ShopProduct]]:
    while batch := list(islice(items, size)):
        yield batch
