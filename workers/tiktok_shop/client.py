"""The TikTok Shop Open API client: seller authorization, tokens, shops, products, video analytics.

    client = client_for(settings)                (or ShopClient(app_key=..., app_secret=..., api_url=...))
    client.authorize_url(state)                  the seller's consent page; it redirects with ?code=
    tokens = client.exchange_code(code)          grant_type=authorized_code, on the auth host
    tokens = client.refresh(tokens)              grant_type=refresh_token, before the 7 days are up
    shop = client.shops(tokens.access_token)[0]  its cipher goes on every shop-scoped call
    for product in client.search_products(tokens.access_token, shop.cipher): ...

Every API call is signed (signing.py) with a fresh timestamp, so a retried call is signed anew.
Rate limits, server errors and lost connections are retried `max_retries` times with a growing
pause (honouring Retry-After); what still fails is a `ShopError`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from config.settings import Settings
from core.products import ShopProduct
from core.shop import Shop, ShopTokens, VideoProducts
from workers.tiktok_shop.errors import ShopError, shop_error
from workers.tiktok_shop.signing import sign

PAGE_SIZE = 100  # the most the search endpoints hand back at once
ANALYTICS_VERSION = "202509"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ShopClient:
    def __init__(
        self,
        *,
        app_key: str,
        app_secret: str,
        api_url: str,
        auth_url: str,
        authorize_url: str,
        service_id: str = "",
        timeout: float = 20.0,
        max_retries: int = 2,
        backoff: float = 1.0,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.app_key = app_key
        self._secret = app_secret
        self.service_id = service_id
        self.api_url = api_url.rstrip("/")
        self.auth_url = auth_url.rstrip("/")
        self._authorize_url = authorize_url
        self.max_retries = max_retries
        self.backoff = backoff
        self.clock = clock
        self._http = httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ShopClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- authorization ------------------------------------------------------------------------------

    def authorize_url(self, state: str) -> str:
        """The seller's consent page; TikTok then sends the browser to the redirect URL registered
        in Partner Center, with `code` and our `state`."""
        return f"{self._authorize_url}?{urlencode({'service_id': self.service_id, 'state': state})}"

    def exchange_code(self, code: str) -> ShopTokens:
        return self._token("/api/v2/token/get", auth_code=code, grant_type="authorized_code")

    def refresh(self, tokens: ShopTokens) -> ShopTokens:
        return self._token(
            "/api/v2/token/refresh", refresh_token=tokens.refresh_token, grant_type="refresh_token"
        )

    def _token(self, path: str, **params: str) -> ShopTokens:
        query = {"app_key": self.app_key, "app_secret": self._secret, **params}
        data = self._call("GET", self.auth_url, path, lambda: query)
        return ShopTokens(
            access_token=data["access_token"],
            # Absolute Unix times, not durations (§4.1).
            access_expires_at=datetime.fromtimestamp(data["access_token_expire_in"], UTC),
            refresh_token=data["refresh_token"],
            refresh_expires_at=datetime.fromtimestamp(data["refresh_token_expire_in"], UTC),
            seller_name=data.get("seller_name", ""),
            open_id=data.get("open_id", ""),
        )

    # --- the API ------------------------------------------------------------------------------------

    def shops(self, access_token: str) -> list[Shop]:
        data = self._api("GET", "/authorization/202309/shops", access_token)
        return [Shop(s["id"], s["cipher"], s.get("name", ""), s.get("region", "")) for s in data["shops"]]

    def search_products(
        self, access_token: str, shop_cipher: str, *, status: str = "ALL", page_size: int = PAGE_SIZE
    ) -> Iterator[ShopProduct]:
        """Every product of the shop (with `status`, or all), page after page."""
        if not 1 <= page_size <= PAGE_SIZE:
            raise ValueError(f"page_size must be 1 to {PAGE_SIZE}, not {page_size}")
        body = {"status": status}
        for data in self._pages(
            "POST", "/product/202309/products/search", access_token, shop_cipher, page_size, body
        ):
            yield from (_product(p) for p in data.get("products", ()))

    def product(self, access_token: str, shop_cipher: str, product_id: str) -> ShopProduct:
        path = f"/product/202309/products/{product_id}"
        return _product(self._api("GET", path, access_token, {"shop_cipher": shop_cipher}))

    def video_products(
        self, access_token: str, shop_cipher: str, *, start: date, end: date
    ) -> Iterator[VideoProducts]:
        """Videos posted on `start` up to (not including) `end`, with the products anchored to each."""
        params = {"start_date_ge": start.isoformat(), "end_date_lt": end.isoformat(), "currency": "LOCAL"}
        path = f"/analytics/{ANALYTICS_VERSION}/shop_videos/performance"
        for data in self._pages("GET", path, access_token, shop_cipher, PAGE_SIZE, None, params):
            for video in data.get("videos", ()):
                yield VideoProducts(
                    video_id=str(video["id"]),
                    title=video.get("title", ""),
                    posted_on=_date(video.get("video_post_time")),
                    products=tuple((str(p["id"]), p.get("name", "")) for p in video.get("products", ())),
                )

    # --- the wire -----------------------------------------------------------------------------------

    def _pages(
        self,
        method: str,
        path: str,
        access_token: str,
        shop_cipher: str,
        page_size: int,
        body: Any,
        params: Mapping[str, str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        page_token = ""
        while True:
            query = {**(params or {}), "shop_cipher": shop_cipher, "page_size": str(page_size)}
            if page_token:
                query["page_token"] = page_token
            data = self._api(method, path, access_token, query, body)
            yield data
            page_token = data.get("next_page_token") or ""
            if not page_token:
                return

    def _api(
        self,
        method: str,
        path: str,
        access_token: str,
        params: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> dict[str, Any]:
        # Serialised once: these exact bytes are both signed and sent.
        content = json.dumps(body, separators=(",", ":")).encode() if body is not None else b""

        def signed_query() -> dict[str, str]:
            query = {
                "app_key": self.app_key,
                "timestamp": str(int(self.clock().timestamp())),
                **(params or {}),
            }
            return {**query, "sign": sign(self._secret, path, query, content)}

        headers = {"x-tts-access-token": access_token, "content-type": "application/json"}
        return self._call(method, self.api_url, path, signed_query, content, headers)

    def _call(
        self,
        method: str,
        base: str,
        path: str,
        query: Callable[[], Mapping[str, str]],
        content: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        attempts = 0
        while True:
            attempts += 1
            try:
                response = self._http.request(
                    method, base + path, params=query(), content=content or None, headers=headers
                )
            except httpx.TimeoutException as exc:
                if attempts <= self.max_retries:
                    self._pause(attempts, None)
                    continue
                raise ShopError(
                    f"TikTok Shop did not answer in time; tried {attempts} times", retryable=True
                ) from exc
            except httpx.TransportError as exc:
                if attempts <= self.max_retries:
                    self._pause(attempts, None)
                    continue
                where = httpx.URL(base).host
                raise ShopError(
                    f"Could not reach TikTok Shop at {where}; tried {attempts} times", retryable=True
                ) from exc
            if (response.status_code == 429 or response.status_code >= 500) and attempts <= self.max_retries:
                self._pause(attempts, response.headers.get("retry-after"))
                continue
            return _data(response, attempts)

    def _pause(self, attempts: int, retry_after: str | None) -> None:
        wait = self.backoff * 2 ** (attempts - 1)
        if retry_after and retry_after.isdigit():
            wait = max(wait, float(retry_after))
        time.sleep(wait)


def _data(response: httpx.Response, attempts: int) -> dict[str, Any]:
    try:
        envelope = response.json()
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict):
        if response.status_code == 429 or response.status_code >= 500:
            raise shop_error(
                http_status=response.status_code, code=None, message="", request_id=None, attempts=attempts
            )
        raise ShopError(
            f"TikTok Shop's answer could not be read (HTTP {response.status_code})",
            retryable=False,
            http_status=response.status_code,
        )
    code, request_id = envelope.get("code"), envelope.get("request_id")
    # Success is code 0 alone: the HTTP status may be 200 on a failure (§4.4).
    if code == 0 and response.status_code < 400:
        return envelope.get("data") or {}
    raise shop_error(
        http_status=response.status_code,
        code=code if isinstance(code, int) else None,
        message=str(envelope.get("message") or ""),
        request_id=request_id,
        attempts=attempts,
    )


def _product(data: Mapping[str, Any]) -> ShopProduct:
    updated = data.get("update_time")
    return ShopProduct(
        id=str(data["id"]),
        title=data.get("title", ""),
        status=data.get("status", ""),
        updated_at=datetime.fromtimestamp(updated, UTC) if updated else None,
        seller_skus=tuple(s["seller_sku"] for s in data.get("skus", ()) if s.get("seller_sku")),
    )


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def client_for(settings: Settings, **options: Any) -> ShopClient:
    """The client the settings describe; a ShopError saying what is missing when they describe none."""
    if not (settings.tiktok_shop_app_key and settings.tiktok_shop_app_secret):
        raise ShopError(
            "TikTok Shop is not set up: TIKTOK_SHOP_APP_KEY and TIKTOK_SHOP_APP_SECRET are missing",
            retryable=False,
        )
    return ShopClient(
        app_key=settings.tiktok_shop_app_key,
        app_secret=settings.tiktok_shop_app_secret,
        service_id=settings.tiktok_shop_service_id or "",
        api_url=settings.tiktok_shop_api_url,
        auth_url=settings.tiktok_shop_auth_url,
        authorize_url=settings.tiktok_shop_authorize_url,
        **options,
    )
