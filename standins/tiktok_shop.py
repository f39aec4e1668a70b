"""A local stand-in for the TikTok Shop Open API and its token host, for tests and offline development.

It speaks the wire format of docs/reference §4 (research in shared/reference/tiktok-api.md): the
`code/message/request_id/data` envelope, every API call signed as §4.2 says (checked here with an
implementation of its own, so a client's mistake is not mirrored back as agreement), the access
token in `x-tts-access-token`, tokens whose `*_expire_in` are absolute Unix times.

    with TikTokShopStandIn(app_key="k", app_secret="s", redirect_url="http://localhost/shop") as shop:
        shop.add_products(250)                 # titles, statuses, SKUs with string prices
        shop.deactivate(product_id)            # what a seller does between scheduling and posting
        shop.fail_next(2, status=429)          # the next two calls are rate limited
        TikTokShopStandIn(qps_limit=5)         # or: more than 5 calls in a second get 429
        shop.advance(days=7)                   # access tokens issued until now have expired

Two servers, as in production: `api_url` (open-api.tiktokglobalshop.com) and `auth_url`
(auth.tiktok-shops.com: token get and refresh). `authorize_url` is the seller's consent page; here it
redirects straight to `redirect_url` with a `code`, as if the seller had clicked Authorize. A refresh
retires the access token it replaces (stricter than TikTok may be), so a client that keeps using an
old token is caught here.

Only code 106001 (bad sign, HTTP 401) was seen live; the other codes are the stand-in's own, since
TikTok's are unconfirmed (§4.4). Run it by hand with `python -m standins.tiktok_shop`.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from standins.loopback import Answer, LoopbackServer, Request, StandIn

ACCESS_TOKEN_SECONDS = 7 * 24 * 3600  # a live capture and two integrators agree (§4.1)
REFRESH_TOKEN_SECONDS = 365 * 24 * 3600
STATUSES = (
    "DRAFT",
    "PENDING",
    "FAILED",
    "ACTIVATE",
    "SELLER_DEACTIVATED",
    "PLATFORM_DEACTIVATED",
    "FREEZE",
    "DELETED",
)

# Codes: 106001 is TikTok's (seen live); the rest are this stand-in's, TikTok's being unconfirmed.
BAD_SIGN = 106001
BAD_APP_KEY = 106002
STALE_TIMESTAMP = 106003
BAD_TOKEN = 105001
EXPIRED_TOKEN = 105002
BAD_REQUEST = 36009001
BAD_AUTH_CODE = 36004004
NOT_FOUND = 36009002
INVALID_PATH = 36009009  # reported by one integrator
TOO_MANY = 36009003
SERVER_ERROR = 36009999

_SHOP_SCOPED = ("/product/", "/analytics/")
_PRODUCT_PATH = re.compile(r"^/product/202309/products/([^/]+)$")
_VIDEOS_PATH = re.compile(r"^/analytics/(202409|202509|202605)/shop_videos/performance$")
_WORDS = ("Tidepool", "Kite", "Volcano", "Garden", "Bath", "Boat", "Puzzle", "Blocks", "Glow", "Rocket")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as it arrived, accepted or not."""

    host: str  # "api" or "auth"
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class StandInProduct:
    id: str
    title: str
    status: str = "ACTIVATE"
    price: str = "19.99"
    seller_sku: str = ""
    create_time: int = 0
    update_time: int = 0


@dataclass
class StandInVideo:
    id: str
    title: str
    post_date: str  # YYYY-MM-DD
    product_ids: list[str] = field(default_factory=list)
    username: str = "toyshop"


@dataclass
class _Token:
    refresh_token: str
    access_expires: int
    refresh_expires: int


class _Reject(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class TikTokShopStandIn(StandIn):
    def __init__(
        self,
        *,
        app_key: str = "standin-app-key",
        app_secret: str = "standin-app-secret",
        service_id: str = "standin-service",
        redirect_url: str = "http://localhost:3000/tiktok-shop/callback",
        shop_name: str = "Elemental Toys",
        timestamp_skew: int = 300,
        qps_limit: int | None = None,
        now: float | None = None,
        api_port: int = 0,
        auth_port: int = 0,
    ) -> None:
        self.app_key = app_key
        self.app_secret = app_secret
        self.service_id = service_id
        self.redirect_url = redirect_url
        self.timestamp_skew = timestamp_skew
        # TikTok's limits are unknown (§4.4); tests choose one. Counted on the real clock, per second.
        self.qps_limit = qps_limit
        self._recent: deque[float] = deque()
        self.shop = {
            "id": "7494000000000000001",
            "name": shop_name,
            "region": "GB",
            "seller_type": "LOCAL",
            "cipher": "GCP_" + secrets.token_urlsafe(18),
            "code": "GBLCTOYS01",
        }
        self.requests: list[RecordedRequest] = []
        self.products: dict[str, StandInProduct] = {}
        self.videos: list[StandInVideo] = []
        self._now = now  # None: the real clock
        self._codes: set[str] = set()
        self._tokens: dict[str, _Token] = {}  # access token -> its refresh token and expiries
        self._refresh: dict[str, str] = {}  # refresh token -> current access token
        self._faults: deque[int] = deque()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._api = LoopbackServer(self._handle_api, name="tiktok-shop-standin", port=api_port)
        self._auth = LoopbackServer(self._handle_auth, name="tiktok-shop-auth-standin", port=auth_port)
        super().__init__(self._api, self._auth)

    @property
    def api_url(self) -> str:
        return self._api.base_url

    @property
    def auth_url(self) -> str:
        return self._auth.base_url

    @property
    def authorize_url(self) -> str:
        return self._auth.base_url + "/open/authorize"

    # --- what tests set up -----------------------------------------------------------------------

    def now(self) -> int:
        return int(self._now if self._now is not None else time.time())

    def set_now(self, when: float | datetime) -> None:
        self._now = when.timestamp() if isinstance(when, datetime) else float(when)

    def advance(self, *, seconds: float = 0, days: float = 0) -> None:
        self._now = (self._now if self._now is not None else time.time()) + seconds + days * 86400

    def add_product(self, title: str, *, status: str = "ACTIVATE", price: str = "19.99") -> str:
        if status not in STATUSES:
            raise ValueError(f"unknown product status {status!r}; one of {', '.join(STATUSES)}")
        with self._lock:
            number = next(self._ids)
            product_id = str(1729000000000000000 + number)
            self.products[product_id] = StandInProduct(
                product_id, title, status, price, f"SKU-{number:05d}", self.now(), self.now()
            )
        return product_id

    def add_products(self, count: int, *, status: str = "ACTIVATE") -> list[str]:
        """`count` products with varied titles, in creation order."""
        names = itertools.cycle(itertools.product(_WORDS, repeat=2))
        return [
            self.add_product(f"{first} {second} {number}", status=status)
            for number, (first, second) in zip(range(1, count + 1), names, strict=False)
        ]

    def set_status(self, product_id: str, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown product status {status!r}; one of {', '.join(STATUSES)}")
        with self._lock:
            product = self.products[product_id]
            product.status = status
            product.update_time = self.now()

    def deactivate(self, product_id: str) -> None:
        self.set_status(product_id, "SELLER_DEACTIVATED")

    def add_video(self, video_id: str, *, title: str, post_date: str, product_ids: list[str]) -> None:
        self.videos.append(StandInVideo(video_id, title, post_date, list(product_ids)))

    def fail_next(self, count: int = 1, *, status: int = 429) -> None:
        """The next `count` API or token calls get `status` (429, or a 5xx) before anything is checked."""
        if status != 429 and not 500 <= status < 600:
            raise ValueError("fail_next takes 429 or a 5xx status")
        self._faults.extend([status] * count)

    def issue_code(self) -> str:
        """An authorization code, as the consent page would hand the redirect URL."""
        code = "ROW_" + secrets.token_urlsafe(24)
        self._codes.add(code)
        return code

    def calls(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    # --- the wire --------------------------------------------------------------------------------

    def _handle_api(self, request: Request) -> Answer:
        return self._serve("api", request, self._api_route)

    def _handle_auth(self, request: Request) -> Answer:
        return self._serve("auth", request, self._auth_route)

    def _serve(self, host: str, request: Request, route: Any) -> Answer:
        query = dict(parse_qsl(request.query, keep_blank_values=True))
        self.requests.append(
            RecordedRequest(host, request.method, request.path, query, dict(request.headers), request.body)
        )
        request_id = datetime.now(UTC).strftime("%Y%m%d%H%M%S") + uuid.uuid4().hex[:18].upper()
        try:
            self._fault_or_limit()
            data = route(request, query)
        except _Reject as reject:
            body = {"code": reject.code, "message": reject.message, "request_id": request_id, "data": None}
            return Answer.json(body, reject.status, {"x-tt-logid": request_id})
        if isinstance(data, Answer):
            return data
        body = {"code": 0, "message": "Success", "request_id": request_id, "data": data}
        return Answer.json(body, 200, {"x-tt-logid": request_id})

    def _fault_or_limit(self) -> None:
        with self._lock:
            status = self._faults.popleft() if self._faults else None
            if status is None and self.qps_limit is not None:
                tick = time.monotonic()
                while self._recent and self._recent[0] <= tick - 1:
                    self._recent.popleft()
                if len(self._recent) >= self.qps_limit:
                    status = 429
                else:
                    self._recent.append(tick)
        if status == 429:
            raise _Reject(429, TOO_MANY, "Too many requests. Please retry later.")
        if status is not None:
            raise _Reject(status, SERVER_ERROR, "Internal error. Please retry later.")

    # --- auth host: consent page, token get and refresh -------------------------------------------

    def _auth_route(self, request: Request, query: dict[str, str]) -> Any:
        match request.method, request.path:
            case "GET", "/open/authorize":
                return self._authorize(query)
            case "GET", "/api/v2/token/get":
                return self._token_get(query)
            case "GET", "/api/v2/token/refresh":
                return self._token_refresh(query)
        raise _Reject(404, INVALID_PATH, f"Invalid path: {request.method} {request.path}")

    def _authorize(self, query: dict[str, str]) -> Answer:
        if query.get("service_id") != self.service_id:
            raise _Reject(400, BAD_REQUEST, "Invalid service_id.")
        parts = urlsplit(self.redirect_url)
        params = [*parse_qsl(parts.query), ("code", self.issue_code()), ("state", query.get("state", ""))]
        location = urlunsplit(parts._replace(query=urlencode(params)))
        return Answer(302, b"", "text/html", {"location": location})

    def _check_app(self, query: dict[str, str]) -> None:
        if query.get("app_key") != self.app_key or not hmac.compare_digest(
            query.get("app_secret", ""), self.app_secret
        ):
            raise _Reject(401, BAD_APP_KEY, "Invalid credentials. The app_key or app_secret is invalid.")

    def _token_get(self, query: dict[str, str]) -> dict[str, Any]:
        self._check_app(query)
        if query.get("grant_type") != "authorized_code":
            raise _Reject(400, BAD_REQUEST, "Invalid grant_type. Expected authorized_code.")
        with self._lock:
            if query.get("auth_code") not in self._codes:
                raise _Reject(400, BAD_AUTH_CODE, "The auth_code is invalid or has been used.")
            self._codes.discard(query["auth_code"])
            return self._issue("RFT_" + secrets.token_urlsafe(32), self.now() + REFRESH_TOKEN_SECONDS)

    def _token_refresh(self, query: dict[str, str]) -> dict[str, Any]:
        self._check_app(query)
        if query.get("grant_type") != "refresh_token":
            raise _Reject(400, BAD_REQUEST, "Invalid grant_type. Expected refresh_token.")
        with self._lock:
            old_access = self._refresh.get(query.get("refresh_token", ""))
            if old_access is None:
                raise _Reject(400, BAD_TOKEN, "The refresh_token is invalid.")
            old = self._tokens.pop(old_access)
            if old.refresh_expires <= self.now():
                raise _Reject(400, EXPIRED_TOKEN, "The refresh_token has expired.")
            return self._issue(old.refresh_token, old.refresh_expires)

    def _issue(self, refresh_token: str, refresh_expires: int) -> dict[str, Any]:
        access = "ROW_" + secrets.token_urlsafe(32)
        token = _Token(refresh_token, self.now() + ACCESS_TOKEN_SECONDS, refresh_expires)
        self._tokens[access] = token
        self._refresh[refresh_token] = access
        return {
            "access_token": access,
            "access_token_expire_in": token.access_expires,
            "refresh_token": refresh_token,
            "refresh_token_expire_in": token.refresh_expires,
            "open_id": "standin-open-id",
            "seller_name": self.shop["name"],
            "seller_base_region": self.shop["region"],
            "user_type": 0,
            "granted_scopes": ["seller.product.basic", "seller.analytics"],
        }

    # --- API host ---------------------------------------------------------------------------------

    def _api_route(self, request: Request, query: dict[str, str]) -> Any:
        self._check_signed(request, query)
        if request.path.startswith(_SHOP_SCOPED) and query.get("shop_cipher") != self.shop["cipher"]:
            raise _Reject(400, BAD_REQUEST, "Invalid shop_cipher.")
        match request.method, request.path:
            case "GET", "/authorization/202309/shops":
                return {"shops": [dict(self.shop)]}
            case "POST", "/product/202309/products/search":
                return self._search(query, request.body)
        if request.method == "GET" and (found := _PRODUCT_PATH.match(request.path)):
            return self._product(found.group(1))
        if request.method == "GET" and _VIDEOS_PATH.match(request.path):
            return self._videos(query)
        raise _Reject(404, INVALID_PATH, f"Invalid path: {request.method} {request.path}")

    def _check_signed(self, request: Request, query: dict[str, str]) -> None:
        if query.get("app_key") != self.app_key:
            raise _Reject(401, BAD_APP_KEY, "Invalid credentials. The 'app_key' query parameter is invalid.")
        expected = _expected_sign(self.app_secret, request)
        if not hmac.compare_digest(query.get("sign", ""), expected):
            raise _Reject(
                401, BAD_SIGN, "Invalid credentials. The 'sign' query parameter is invalid. (stand-in)"
            )
        stamp = query.get("timestamp", "")
        if not stamp.isdigit() or abs(int(stamp) - self.now()) > self.timestamp_skew:
            # Milliseconds instead of seconds land here too: a common mistake (§4.2).
            raise _Reject(401, STALE_TIMESTAMP, "The 'timestamp' query parameter is out of range.")
        access = request.headers.get("x-tts-access-token", "")
        token = self._tokens.get(access)
        if token is None:
            raise _Reject(401, BAD_TOKEN, "Invalid credentials. The access token is invalid.")
        if token.access_expires <= self.now():
            raise _Reject(401, EXPIRED_TOKEN, "Expired credentials. The access token has expired.")

    def _search(self, query: dict[str, str], raw: bytes) -> dict[str, Any]:
        page_size = _page_size(query)
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError as exc:
            raise _Reject(400, BAD_REQUEST, "The request body is not valid JSON.") from exc
        status = body.get("status", "ALL")
        if status != "ALL" and status not in STATUSES:
            raise _Reject(400, BAD_REQUEST, f"Invalid status: {status}.")
        skus = set(body.get("seller_skus") or ())
        with self._lock:
            matching = [
                p
                for p in self.products.values()
                if (status == "ALL" or p.status == status)
                and (not skus or p.seller_sku in skus)
                and p.update_time >= body.get("update_time_ge", 0)
                and p.update_time <= body.get("update_time_le", 1 << 62)
            ]
        start = _page_start(query)
        page = matching[start : start + page_size]
        after = start + len(page)
        return {
            "total_count": len(matching),
            "next_page_token": _page_token(after) if after < len(matching) else "",
            "products": [_product_json(p) for p in page],
        }

    def _product(self, product_id: str) -> dict[str, Any]:
        product = self.products.get(product_id)
        if product is None or product.status == "DELETED":
            raise _Reject(404, NOT_FOUND, f"Product {product_id} does not exist.")
        return _product_json(product) | {"description": f"<p>{product.title}</p>"}

    def _videos(self, query: dict[str, str]) -> dict[str, Any]:
        page_size = _page_size(query)
        low, high = query.get("start_date_ge", ""), query.get("end_date_lt", "")
        if not (_DATE.match(low) and _DATE.match(high)):
            raise _Reject(400, BAD_REQUEST, "start_date_ge and end_date_lt must be dates (YYYY-MM-DD).")
        matching = [v for v in self.videos if low <= v.post_date < high]
        start = _page_start(query)
        page = matching[start : start + page_size]
        after = start + len(page)
        return {
            "videos": [self._video_json(v) for v in page],
            "next_page_token": _page_token(after) if after < len(matching) else "",
            "total_count": len(matching),
            "latest_available_date": datetime.fromtimestamp(self.now() - 86400, UTC).date().isoformat(),
        }

    def _video_json(self, video: StandInVideo) -> dict[str, Any]:
        products = [self.products.get(pid) for pid in video.product_ids]
        return {
            "id": video.id,
            "title": video.title,
            "username": video.username,
            "video_post_time": video.post_date,
            "duration": 15,
            "gmv": {"amount": "0", "currency": "GBP"},
            "views": 0,
            "products": [{"id": p.id, "name": p.title} for p in products if p is not None],
        }


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _expected_sign(app_secret: str, request: Request) -> str:
    """§4.2, read on its own terms: every query parameter but `sign` and `access_token`, sorted,
    as key-value pairs after the path, then the raw body; wrapped in the secret; HMAC-SHA256."""
    pairs = parse_qs(request.query, keep_blank_values=True)
    # A repeated key is an array, and arrays are skipped.
    scalar = {k: v[0] for k, v in pairs.items() if len(v) == 1 and k not in ("sign", "access_token")}
    text = request.path + "".join(key + scalar[key] for key in sorted(scalar))
    if request.body and not request.headers.get("content-type", "").startswith("multipart/form-data"):
        text += request.body.decode()
    wrapped = (app_secret + text + app_secret).encode()
    return hmac.new(app_secret.encode(), wrapped, hashlib.sha256).hexdigest()


def _page_size(query: dict[str, str]) -> int:
    raw = query.get("page_size", "")
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise _Reject(400, BAD_REQUEST, "Invalid page_size. It is required and must be between 1 and 100.")
    return int(raw)


def _page_token(offset: int) -> str:
    return f"pt{offset:08d}"


def _page_start(query: dict[str, str]) -> int:
    token = query.get("page_token", "")
    if not token:
        return 0
    if not re.fullmatch(r"pt\d{8}", token):
        raise _Reject(400, BAD_REQUEST, "Invalid page_token.")
    return int(token[2:])


def _product_json(product: StandInProduct) -> dict[str, Any]:
    return {
        "id": product.id,
        "title": product.title,
        "status": product.status,
        "skus": [
            {
                "id": product.id + "1",
                "seller_sku": product.seller_sku,
                "price": {
                    "currency": "GBP",
                    "sale_price": product.price,
                    "tax_exclusive_price": product.price,
                },
                "inventory": [{"warehouse_id": "7000000000000000001", "quantity": 40}],
            }
        ],
        "sales_regions": ["GB"],
        "create_time": product.create_time,
        "update_time": product.update_time,
        "product_sync_fail_reasons": [],
        "is_not_for_sale": False,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8790, help="API port; the auth host gets the next one")
    parser.add_argument("--products", type=int, default=25)
    parser.add_argument(
        "--redirect-url",
        default="http://localhost:3000/tiktok-shop/callback",
        help="where the consent page sends the seller's browser with ?code=",
    )
    args = parser.parse_args()
    standin = TikTokShopStandIn(api_port=args.port, auth_port=args.port + 1, redirect_url=args.redirect_url)
    standin.add_products(args.products)
    standin.start()
    print(f"TIKTOK_SHOP_API_URL={standin.api_url}")
    print(f"TIKTOK_SHOP_AUTH_URL={standin.auth_url}")
    print(f"TIKTOK_SHOP_AUTHORIZE_URL={standin.authorize_url}")
    print(f"TIKTOK_SHOP_APP_KEY={standin.app_key}")
    print(f"TIKTOK_SHOP_APP_SECRET={standin.app_secret}")
    print(f"TIKTOK_SHOP_SERVICE_ID={standin.service_id}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        standin.stop()


if __name__ == "__main__":
    main()
