"""ShopClient and the product jobs against the TikTok Shop stand-in, over loopback HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from cryptography.fernet import Fernet

from config.settings import Settings
from core.shop import ShopTokens
from standins.tiktok_shop import TikTokShopStandIn
from storage import products as catalogue
from storage.db import session_scope
from workers.products import check_products, connect_shop, fresh_connection, sync_catalogue, untagged_videos
from workers.tiktok_shop import ShopClient, ShopError, client_for, sign

APP_KEY, APP_SECRET = "test-app", "test-secret"
KEY = Fernet.generate_key().decode()


@pytest.fixture
def shop() -> Iterator[TikTokShopStandIn]:
    with TikTokShopStandIn(
        app_key=APP_KEY, app_secret=APP_SECRET, service_id="svc-1", now=time.time()
    ) as running:
        yield running


def shop_time(shop: TikTokShopStandIn) -> datetime:
    return datetime.fromtimestamp(shop.now(), UTC)


def client_of(shop: TikTokShopStandIn, secret: str = APP_SECRET, **options: object) -> ShopClient:
    return ShopClient(
        app_key=APP_KEY,
        app_secret=secret,
        service_id="svc-1",
        api_url=shop.api_url,
        auth_url=shop.auth_url,
        authorize_url=shop.authorize_url,
        backoff=0,
        clock=lambda: shop_time(shop),
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def client(shop: TikTokShopStandIn) -> Iterator[ShopClient]:
    with client_of(shop) as running:
        yield running


def consent(client: ShopClient, state: str = "csrf-1") -> str:
    """What the seller's browser does: open the consent link, land on the redirect URL with a code."""
    answer = httpx.get(client.authorize_url(state))
    location = httpx.URL(answer.headers["location"])
    assert location.params["state"] == state
    return location.params["code"]


def connected(client: ShopClient) -> ShopTokens:
    return client.exchange_code(consent(client))


def test_the_consent_link_names_the_service_and_state(client: ShopClient) -> None:
    url = httpx.URL(client.authorize_url("abc"))
    assert url.params["service_id"] == "svc-1" and url.params["state"] == "abc"


def test_a_code_becomes_tokens_that_expire_in_7_days_and_read_the_shop(
    shop: TikTokShopStandIn, client: ShopClient
) -> None:
    tokens = connected(client)
    issued = datetime.fromtimestamp(shop.now(), UTC)
    assert tokens.access_expires_at == issued + timedelta(days=7)
    assert tokens.refresh_expires_at > tokens.access_expires_at
    assert tokens.access_token not in repr(tokens) and tokens.refresh_token not in repr(tokens)
    [found] = client.shops(tokens.access_token)
    assert (found.id, found.name, found.cipher) == (shop.shop["id"], "Elemental Toys", shop.shop["cipher"])
    assert found.cipher not in repr(found)
    exchange = shop.calls("/api/v2/token/get")[0]
    assert exchange.query["grant_type"] == "authorized_code" and exchange.host == "auth"


def test_a_refresh_before_expiry_keeps_the_shop_readable(shop: TikTokShopStandIn, client: ShopClient) -> None:
    tokens = connected(client)
    shop.advance(days=6)
    now = datetime.fromtimestamp(shop.now(), UTC)
    assert tokens.due_for_refresh(now) and not tokens.expired(now)
    fresh = client.refresh(tokens)
    assert fresh.access_expires_at == now + timedelta(days=7)
    shop.advance(days=2)  # past the first token's expiry
    assert client.shops(fresh.access_token)
    with pytest.raises(ShopError) as raised:
        client.shops(tokens.access_token)
    assert raised.value.http_status == 401 and not raised.value.retryable
    assert shop.calls("/api/v2/token/refresh")[0].query["grant_type"] == "refresh_token"


def test_every_api_call_is_signed_with_a_fresh_timestamp(shop: TikTokShopStandIn, client: ShopClient) -> None:
    shop.add_products(5)
    tokens = connected(client)
    [found] = client.shops(tokens.access_token)
    listed = list(client.search_products(tokens.access_token, found.cipher, page_size=2))
    client.product(tokens.access_token, found.cipher, listed[0].id)
    shop.add_video("v1", title="Kite day", post_date="2026-11-30", product_ids=[listed[0].id])
    list(
        client.video_products(
            tokens.access_token, found.cipher, start=date(2026, 11, 30), end=date(2026, 12, 1)
        )
    )
    api_calls = [r for r in shop.requests if r.host == "api"]
    assert len(api_calls) == 1 + 3 + 1 + 1
    for request in api_calls:
        unsigned = {k: v for k, v in request.query.items() if k != "sign"}
        assert request.query["sign"] == sign(APP_SECRET, request.path, unsigned, request.body)
        assert request.query["timestamp"] == str(shop.now())
        assert request.headers["x-tts-access-token"] == tokens.access_token
        assert "access_token" not in request.query and "app_secret" not in request.query


def test_a_wrong_secret_is_a_plain_reason_that_does_not_leak_it(
    shop: TikTokShopStandIn, client: ShopClient
) -> None:
    tokens = connected(client)
    with client_of(shop, secret="s3cr3t-typo") as wrong, pytest.raises(ShopError) as raised:
        wrong.shops(tokens.access_token)
    error = raised.value
    assert (error.code, error.http_status, error.retryable) == (106001, 401, False)
    assert "signature" in error.reason and "TIKTOK_SHOP_APP_SECRET" in error.reason
    assert error.request_id and error.request_id in error.reason
    assert "s3cr3t-typo" not in error.reason


@pytest.mark.parametrize("status", [429, 503])
def test_rate_limits_and_server_errors_are_retried_then_reported(
    shop: TikTokShopStandIn, client: ShopClient, status: int
) -> None:
    tokens = connected(client)
    shop.fail_next(2, status=status)
    assert client.shops(tokens.access_token)  # two retries absorb two faults
    shop.fail_next(3, status=status)
    with pytest.raises(ShopError) as raised:
        client.shops(tokens.access_token)
    assert raised.value.retryable and raised.value.http_status == status
    assert "tried 3 times" in raised.value.reason


def test_an_unreachable_shop_is_retryable(shop: TikTokShopStandIn) -> None:
    with (
        ShopClient(
            app_key=APP_KEY,
            app_secret=APP_SECRET,
            api_url="http://127.0.0.1:9",
            auth_url="http://127.0.0.1:9",
            authorize_url=shop.authorize_url,
            backoff=0,
            max_retries=1,
        ) as client,
        pytest.raises(ShopError) as raised,
    ):
        client.shops("token")
    assert raised.value.retryable and "Could not reach TikTok Shop at 127.0.0.1" in raised.value.reason


def test_page_size_is_checked_before_asking(client: ShopClient) -> None:
    with pytest.raises(ValueError, match="page_size"):
        next(client.search_products("token", "cipher", page_size=101))


def test_settings_without_credentials_say_what_is_missing() -> None:
    with pytest.raises(ShopError, match="TIKTOK_SHOP_APP_KEY"):
        client_for(Settings(_env_file=None))
    settings = Settings(_env_file=None, tiktok_shop_app_key="k", tiktok_shop_app_secret="s")
    with client_for(settings) as client:
        assert client.api_url == "https://open-api.tiktokglobalshop.com"
        assert client.authorize_url("x").startswith("https://services.tiktokshop.com/open/authorize?")


# --- The jobs, on both databases ------------------------------------------------------------------------


def test_a_sync_stores_250_products_across_pages_and_sees_a_deactivation(
    database_url: str, shop: TikTokShopStandIn, client: ShopClient
) -> None:
    ids = shop.add_products(250)
    connect_shop(database_url, client, KEY, code=consent(client), user_id="U1")
    first = sync_catalogue(database_url, client, KEY)
    assert (first.seen, first.added, first.changed, first.gone) == (250, 250, 0, 0)
    pages = [r.query.get("page_token", "") for r in shop.calls("/product/202309/products/search")]
    assert len(pages) == 3 and pages[0] == "" and all(pages[1:])

    shop.deactivate(ids[10])
    shop.set_status(ids[20], "DELETED")
    del shop.products[ids[30]]  # no longer listed at all
    second = sync_catalogue(database_url, client, KEY)
    assert (second.seen, second.added, second.changed, second.gone) == (249, 0, 2, 1)
    with session_scope(database_url) as session:
        assert catalogue.get_product(session, ids[10]).status == "SELLER_DEACTIVATED"
        assert catalogue.get_product(session, ids[30]).status == "DELETED"
        assert catalogue.count_products(session, status="ACTIVATE") == 247


def test_a_product_deactivated_after_scheduling_is_caught_by_the_check(
    database_url: str, shop: TikTokShopStandIn, client: ShopClient
) -> None:
    kite, boat = shop.add_products(2)
    connect_shop(database_url, client, KEY, code=consent(client), user_id="U1")
    assert check_products(database_url, client, KEY, [kite, boat]) == {}
    shop.deactivate(boat)
    assert check_products(database_url, client, KEY, [kite, boat, "999"]) == {
        boat: "deactivated by the seller",
        "999": "not in the shop",
    }
    with session_scope(database_url) as session:
        assert catalogue.get_product(session, boat).status == "SELLER_DEACTIVATED"


def test_the_jobs_refresh_the_token_when_it_is_due_and_store_the_new_one(
    database_url: str, shop: TikTokShopStandIn, client: ShopClient
) -> None:
    shop.add_products(3)
    stored = connect_shop(database_url, client, KEY, code=consent(client), user_id="U1")
    assert (
        fresh_connection(database_url, client, KEY, now=shop_time(shop)).tokens == stored.tokens
    )  # not due: no refresh
    assert not shop.calls("/api/v2/token/refresh")

    shop.advance(days=6)
    assert sync_catalogue(database_url, client, KEY, now=shop_time(shop)).seen == 3
    assert len(shop.calls("/api/v2/token/refresh")) == 1
    refreshed = fresh_connection(database_url, client, KEY, now=shop_time(shop))
    assert refreshed.tokens.access_token != stored.tokens.access_token
    assert refreshed.tokens.access_expires_at > stored.tokens.access_expires_at
    assert len(shop.calls("/api/v2/token/refresh")) == 1  # the stored token is fresh now


def test_a_connection_whose_refresh_token_lapsed_asks_to_reconnect(
    database_url: str, shop: TikTokShopStandIn, client: ShopClient
) -> None:
    connect_shop(database_url, client, KEY, code=consent(client), user_id="U1")
    with pytest.raises(ShopError, match="connect it again"):
        fresh_connection(database_url, client, KEY, now=datetime.now(UTC) + timedelta(days=400))


def test_without_a_connection_the_jobs_say_how_to_connect(database_url: str, client: ShopClient) -> None:
    with pytest.raises(ShopError, match="/content shop connect"):
        sync_catalogue(database_url, client, KEY)


def test_video_products_say_which_products_each_video_carries(
    shop: TikTokShopStandIn, client: ShopClient
) -> None:
    kite, boat = shop.add_products(2)
    for number in range(130):  # more than one page of videos
        shop.add_video(
            f"v{number}", title="Kite day", post_date="2026-11-30", product_ids=[kite] if number else []
        )
    tokens = connected(client)
    cipher = client.shops(tokens.access_token)[0].cipher
    videos = list(
        client.video_products(tokens.access_token, cipher, start=date(2026, 11, 30), end=date(2026, 12, 1))
    )
    assert len(videos) == 130 and videos[0].posted_on == date(2026, 11, 30)
    assert videos[0].product_ids == frozenset() and videos[1].product_ids == {kite}
    assert videos[1].products == ((kite, shop.products[kite].title),)
    assert boat not in {p for v in videos for p in v.product_ids}


def test_the_next_day_check_names_products_missing_from_each_video(
    database_url: str, shop: TikTokShopStandIn, client: ShopClient
) -> None:
    kite, boat = shop.add_products(2)
    shop.add_video("v1", title="Kite day", post_date="2026-11-30", product_ids=[kite])
    shop.add_video("v2", title="Bath time", post_date="2026-11-30", product_ids=[])
    shop.add_video("v3", title="Bath time again", post_date="2026-12-01", product_ids=[boat])
    connect_shop(database_url, client, KEY, code=consent(client), user_id="U1")
    expected = {"v1": {kite}, "v2": {boat}, "v3": {boat}}
    missing = untagged_videos(database_url, client, KEY, expected, date(2026, 11, 30), now=shop_time(shop))
    # v3 was posted on another day, so that day's analytics do not list it: its product counts as missing.
    assert missing == {"v2": frozenset({boat}), "v3": frozenset({boat})}


def test_two_processes_due_at_once_refresh_once(database_url: str, shop: TikTokShopStandIn) -> None:
    """Four threads (each its own client and connections, as workers are) find the token due together:
    one refreshes under the lock, the others wait and read what it stored."""
    with client_of(shop) as first:
        stored = connect_shop(database_url, first, KEY, code=consent(first), user_id="U1")
    shop.advance(days=6)
    results: list[str] = []
    errors: list[BaseException] = []

    def refresh() -> None:
        try:
            with client_of(shop) as own:
                results.append(
                    fresh_connection(database_url, own, KEY, now=shop_time(shop)).tokens.access_token
                )
        except BaseException as exc:  # reported below, with the thread's error
            errors.append(exc)

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(shop.calls("/api/v2/token/refresh")) == 1
    assert len(set(results)) == 1 and results[0] != stored.tokens.access_token
