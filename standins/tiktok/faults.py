"""Scripted and random faults, per endpoint, and the shape each endpoint answers them in."""

from __future__ import annotations

import random
import threading
from collections import Counter, deque
from collections.abc import Iterable
from typing import Literal

from standins.loopback import Answer
from standins.tiktok.model import Fault
from standins.tiktok.wire import ApiError, OAuthError, api_error, oauth_error

Endpoint = Literal[
    "authorize",
    "token",
    "revoke",
    "user_info",
    "creator_info",
    "init",
    "inbox_init",
    "upload",
    "status",
    "video_list",
    "video_query",
]
ROUTES: dict[tuple[str, str], Endpoint] = {
    ("GET", "/v2/auth/authorize/"): "authorize",
    ("POST", "/v2/oauth/token/"): "token",
    ("POST", "/v2/oauth/revoke/"): "revoke",
    ("GET", "/v2/user/info/"): "user_info",
    ("POST", "/v2/post/publish/creator_info/query/"): "creator_info",
    ("POST", "/v2/post/publish/video/init/"): "init",
    ("POST", "/v2/post/publish/inbox/video/init/"): "inbox_init",
    ("PUT", "/upload/"): "upload",
    ("POST", "/v2/post/publish/status/fetch/"): "status",
    ("POST", "/v2/video/list/"): "video_list",
    ("POST", "/v2/video/query/"): "video_query",
}
RATE_LIMITED = "API rate limit exceeded; please retry later."
INTERNAL = "Something went wrong. Please try again later."


class Faults:
    """Queued faults per endpoint (None lets one call through), then chaos: random transient ones."""

    def __init__(self) -> None:
        self._queued: dict[str, deque[Fault | None]] = {}
        self._chaos: tuple[float, frozenset[str], float] = (0.0, frozenset(), 0.0)
        self._random = random.Random()
        self._lock = threading.Lock()
        self.injected: Counter[str] = Counter()  # chaos faults by kind, for benchmark reports

    def queue(self, endpoint: Endpoint, fault: Fault, times: int, after: int) -> None:
        if endpoint not in ROUTES.values():
            raise ValueError(f"no endpoint {endpoint!r}; known: {sorted(set(ROUTES.values()))}")
        with self._lock:
            self._queued.setdefault(endpoint, deque()).extend([None] * after + [fault] * times)

    def chaos(
        self,
        probability: float,
        endpoints: Iterable[Endpoint] | None,
        after_acting_share: float,
        seed: int | None,
    ) -> None:
        chosen = set(ROUTES.values()) - {"authorize"} if endpoints is None else set(endpoints)
        with self._lock:
            self._chaos = (probability, frozenset(chosen), after_acting_share)
            if seed is not None:
                self._random.seed(seed)

    def next(self, endpoint: Endpoint) -> Fault | None:
        with self._lock:
            queued = self._queued.get(endpoint)
            if queued:
                return queued.popleft()
            probability, endpoints, after_acting_share = self._chaos
            if endpoint not in endpoints or self._random.random() >= probability:
                return None
            if self._random.random() < after_acting_share:
                fault = Fault("drop_after")
            else:
                fault = Fault("error", 503, "internal_error", INTERNAL)
            self.injected[fault.kind] += 1
            return fault


def fault_answer(endpoint: Endpoint, fault: Fault, now: float) -> Answer:
    """A scripted error in the shape the endpoint uses: OAuth's flat one, the upload host's bare
    status, or the v2 envelope."""
    if endpoint in ("authorize", "token", "revoke"):
        return oauth_error(OAuthError(fault.code, fault.message, fault.status), now)
    if endpoint == "upload":
        return Answer(fault.status, fault.message.encode(), "text/plain")
    return api_error(ApiError(fault.status, fault.code, fault.message), now)
