"""The TikTok Shop stand-in over raw HTTP: signatures, tokens, paging, statuses, analytics, faults."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from standins.tiktok_shop import TikTokShopStandIn
from workers.tiktok_shop import sign

APP_KEY, APP_SECRET = "test-app", "test-secret"
REDIRECT = "https://bot.example/tiktok-shop/callback"
SEARCH = "/product/202309/products/search"


@pytest.fixture
def shop() -> Iterator[TikTokShopStandIn]:
    with TikTokShopStandIn(
        app_key=APP_KEY, app_secret=APP_SECRET, service_id="svc-1", redirect_url=REDIRECT
    ) as running:
        yield running


def authorize(shop: TikTokShopStandIn, state: str = "csrf-1") -> str:
    answer = httpx.get(shop.authorize_url, params={"service_id": "svc-1", "state": state})
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    params = parse_qs(location.query)
    assert params["state"] == [state]
    return params["code"][0]


def token(shop: TikTokShopStandIn, path: str = "/api/v2/token/get", **params: str) -> httpx.Response:
    query = {"app_key": APP_KEY, "app_secret": APP_SECRET, **params}
    return httpx.get(shop.auth_url + path, params=query)


def access_token(shop: TikTokShopStandIn) -> str:
    answer = token(shop, auth_code=authorize(shop), grant_type="authorized_code")
    return answer.json()["data"]["access_token"]


def call(
    shop: TikTokShopStandIn,
    method: str,
    path: str,
    access: str,
    params: dict[str, str] | None = None,
    body: Any = None,
    *,
    secret: str = APP_SECRET,
    timestamp: int | None = None,
    signed_body: bytes | None = None,
) -> httpx.Response:
    content = json.dumps(body).encode() if body is not None else b""
    query = {"app_key": APP_KEY, "timestamp": str(timestamp or shop.now()), **(params or {})}
    query["sign"] = sign(secret, path, query, content if signed_body is None else signed_body)
    headers = {"x-tts-access-token": access, "content-type": "application/json"}
    return httpx.request(method, shop.api_url + path, params=query, content=content, headers=headers)


def search(shop: TikTokShopStandIn, access: str, page_size: str = "100", **params: str) -> httpx.Response:
    query = {"shop_cipher": str(shop.shop["cipher"]), "page_size": page_size, **params}
    return call(shop, "POST", SEARCH, access, query, {})


def test_the_signing_function_is_the_one_section_4_2_describes() -> None:
    # Worked by hand from §4.2: secret + path + sorted key-value pairs (no sign) + raw body + secret.
    text = 'sec/p/qapp_keykpage_size5timestamp9{"a":1}sec'
    expected = hmac.new(b"sec", text.encode(), hashlib.sha256).hexdigest()
    params = {"timestamp": "9", "app_key": "k", "page_size": "5", "sign": "old", "access_token": "t"}
    assert sign("sec", "/p/q", params, b'{"a":1}') == expected


@pytest.mark.parametrize("how", ["wrong secret", "no sign", "body changed after signing", "path not signed"])
def test_a_wrong_or_missing_signature_gets_401_and_code_106001(shop: TikTokShopStandIn, how: str) -> None:
    access = access_token(shop)
    path = "/authorization/202309/shops"
    match how:
        case "wrong secret":
            answer = call(shop, "GET", path, access, secret="not-the-secret")
        case "no sign":
            query = {"app_key": APP_KEY, "timestamp": str(shop.now())}
            answer = httpx.get(shop.api_url + path, params=query, headers={"x-tts-access-token": access})
        case "body changed after signing":
            query = {"shop_cipher": str(shop.shop["cipher"]), "page_size": "10"}
            answer = call(
                shop, "POST", SEARCH, access, query, {"status": "ALL"}, signed_body=b'{"status":"ALL"}'
            )
        case "path not signed":
            query = {"app_key": APP_KEY, "timestamp": str(shop.now())}
            query["sign"] = hmac.new(
                APP_SECRET.encode(),
                f"{APP_SECRET}app_key{APP_KEY}timestamp{query['timestamp']}{APP_SECRET}".encode(),
                hashlib.sha256,
            ).hexdigest()
            answer = httpx.get(shop.api_url + path, params=query, headers={"x-tts-access-token": access})
    assert answer.status_code == 401
    body = answer.json()
    assert body["code"] == 106001 and body["data"] is None
    assert "sign" in body["message"] and body["request_id"]


def test_a_signed_call_is_answered_in_the_envelope(shop: TikTokShopStandIn) -> None:
    answer = call(shop, "GET", "/authorization/202309/shops", access_token(shop))
    assert answer.status_code == 200
    body = answer.json()
    assert (body["code"], body["message"]) == (0, "Success") and body["request_id"]
    [listed] = body["data"]["shops"]
    assert listed["cipher"] == shop.shop["cipher"] and listed["name"] == "Elemental Toys"


@pytest.mark.parametrize(
    ("problem", "status"),
    [
        ("stale timestamp", 401),
        ("milliseconds", 401),
        ("no token", 401),
        ("wrong app key", 401),
        ("no cipher", 400),
    ],
)
def test_requests_are_checked_beyond_the_signature(
    shop: TikTokShopStandIn, problem: str, status: int
) -> None:
    access = access_token(shop)
    shops = "/authorization/202309/shops"
    match problem:
        case "stale timestamp":
            answer = call(shop, "GET", shops, access, timestamp=shop.now() - 3600)
        case "milliseconds":
            answer = call(shop, "GET", shops, access, timestamp=shop.now() * 1000)
        case "no token":
            answer = call(shop, "GET", shops, "")
        case "wrong app key":
            query = {"app_key": "someone-else", "timestamp": str(shop.now())}
            query["sign"] = sign(APP_SECRET, shops, query)
            answer = httpx.get(shop.api_url + shops, params=query, headers={"x-tts-access-token": access})
        case "no cipher":
            answer = call(shop, "POST", SEARCH, access, {"page_size": "10"}, {})
    assert answer.status_code == status
    assert answer.json()["code"] not in (0, 106001)


def test_the_consent_page_redirects_with_a_code_that_works_once(shop: TikTokShopStandIn) -> None:
    code = authorize(shop)
    first = token(shop, auth_code=code, grant_type="authorized_code")
    assert first.status_code == 200
    data = first.json()["data"]
    now = shop.now()
    # Absolute Unix times (§4.1): 7 days for the access token.
    assert abs(data["access_token_expire_in"] - (now + 7 * 86400)) <= 2
    assert data["refresh_token_expire_in"] > data["access_token_expire_in"]
    again = token(shop, auth_code=code, grant_type="authorized_code")
    assert again.status_code == 400 and again.json()["code"] != 0


@pytest.mark.parametrize(
    "params",
    [
        {"grant_type": "authorization_code"},  # the OAuth spelling, which TikTok Shop does not take
        {"grant_type": "authorized_code", "app_secret": "wrong"},
        {"grant_type": "authorized_code", "auth_code": "made-up"},
    ],
)
def test_a_bad_code_exchange_is_refused(shop: TikTokShopStandIn, params: dict[str, str]) -> None:
    answer = token(shop, **{"auth_code": authorize(shop), **params})
    assert answer.status_code in (400, 401)
    assert answer.json()["code"] != 0 and answer.json()["data"] is None


def test_access_tokens_expire_after_7_days_and_a_refresh_gives_a_new_one(shop: TikTokShopStandIn) -> None:
    shop.set_now(time.time())
    issued = token(shop, auth_code=authorize(shop), grant_type="authorized_code").json()["data"]
    shops = "/authorization/202309/shops"
    shop.advance(days=7, seconds=1)
    expired = call(shop, "GET", shops, issued["access_token"])
    assert expired.status_code == 401 and "xpired" in expired.json()["message"]

    refreshed = token(
        shop, "/api/v2/token/refresh", refresh_token=issued["refresh_token"], grant_type="refresh_token"
    ).json()["data"]
    assert refreshed["access_token"] != issued["access_token"]
    assert refreshed["access_token_expire_in"] == shop.now() + 7 * 86400
    assert call(shop, "GET", shops, refreshed["access_token"]).status_code == 200
    wrong_grant = token(
        shop, "/api/v2/token/refresh", refresh_token=issued["refresh_token"], grant_type="authorized_code"
    )
    assert wrong_grant.status_code == 400


def test_search_pages_through_every_product_with_page_tokens(shop: TikTokShopStandIn) -> None:
    created = shop.add_products(250)
    access = access_token(shop)
    seen: list[str] = []
    sizes = []
    page_token = ""
    while True:
        params = {"page_token": page_token} if page_token else {}
        data = search(shop, access, **params).json()["data"]
        assert data["total_count"] == 250
        sizes.append(len(data["products"]))
        seen += [p["id"] for p in data["products"]]
        page_token = data["next_page_token"]
        if not page_token:
            break
    assert sizes == [100, 100, 50]
    assert seen == created
    product = shop.products[created[0]]
    first = search(shop, access, page_size="1").json()["data"]["products"][0]
    assert first["title"] == product.title and isinstance(first["skus"][0]["price"]["sale_price"], str)


@pytest.mark.parametrize("page_size", ["0", "101", "", "ten"])
def test_page_size_outside_1_to_100_is_refused(shop: TikTokShopStandIn, page_size: str) -> None:
    answer = search(shop, access_token(shop), page_size=page_size)
    assert answer.status_code == 400
    assert "page_size" in answer.json()["message"] and answer.json()["code"] != 0


def test_statuses_filter_search_and_show_in_detail(shop: TikTokShopStandIn) -> None:
    live, draft, pending = shop.add_products(3)
    shop.set_status(draft, "DRAFT")
    shop.set_status(pending, "PENDING")
    access = access_token(shop)
    cipher = {"shop_cipher": str(shop.shop["cipher"])}
    assert (
        call(shop, "GET", f"/product/202309/products/{live}", access, cipher).json()["data"]["status"]
        == "ACTIVATE"
    )

    shop.deactivate(live)
    detail = call(shop, "GET", f"/product/202309/products/{live}", access, cipher).json()["data"]
    assert detail["status"] == "SELLER_DEACTIVATED"
    query = {**cipher, "page_size": "10"}
    only_drafts = call(shop, "POST", SEARCH, access, query, {"status": "DRAFT"}).json()["data"]
    assert [p["id"] for p in only_drafts["products"]] == [draft]
    assert call(shop, "POST", SEARCH, access, query, {"status": "SOLD"}).status_code == 400

    shop.set_status(pending, "DELETED")
    assert call(shop, "GET", f"/product/202309/products/{pending}", access, cipher).status_code == 404
    with pytest.raises(ValueError, match="unknown product status"):
        shop.set_status(live, "ON_SALE")


def test_video_analytics_list_the_products_on_each_video(shop: TikTokShopStandIn) -> None:
    kite, boat = shop.add_products(2)
    shop.add_video("v1", title="Kite day", post_date="2026-11-30", product_ids=[kite])
    shop.add_video("v2", title="Bath time", post_date="2026-11-30", product_ids=[])
    shop.add_video("v3", title="Later", post_date="2026-12-05", product_ids=[boat])
    query = {
        "shop_cipher": str(shop.shop["cipher"]),
        "start_date_ge": "2026-11-30",
        "end_date_lt": "2026-12-01",
        "page_size": "20",
    }
    answer = call(shop, "GET", "/analytics/202509/shop_videos/performance", access_token(shop), query)
    videos = answer.json()["data"]["videos"]
    assert [(v["id"], [p["id"] for p in v["products"]]) for v in videos] == [("v1", [kite]), ("v2", [])]


@pytest.mark.parametrize("status", [429, 500, 503])
def test_faults_answer_the_next_n_calls_then_stop(shop: TikTokShopStandIn, status: int) -> None:
    access = access_token(shop)
    shop.fail_next(2, status=status)
    shops = "/authorization/202309/shops"
    answers = [call(shop, "GET", shops, access) for _ in range(3)]
    assert [a.status_code for a in answers] == [status, status, 200]
    assert answers[0].json()["code"] not in (0, 106001)


def test_every_request_is_recorded_with_its_host(shop: TikTokShopStandIn) -> None:
    access = access_token(shop)
    call(shop, "GET", "/authorization/202309/shops", access)
    assert [(r.host, r.path) for r in shop.requests] == [
        ("auth", "/open/authorize"),
        ("auth", "/api/v2/token/get"),
        ("api", "/authorization/202309/shops"),
    ]
    assert shop.requests[-1].headers["x-tts-access-token"] == access


def test_a_qps_limit_answers_429_past_it(shop: TikTokShopStandIn) -> None:
    access = access_token(shop)
    shop.qps_limit = 3
    answers = [call(shop, "GET", "/authorization/202309/shops", access).status_code for _ in range(6)]
    assert answers.count(429) >= 3 and answers[0] == 200
