"""A local stand-in for TikTok's OAuth v2, Content Posting and Display APIs (reference §6).

It speaks TikTok's wire format (paths, the `{"data", "error": {code, message, log_id}}` envelope,
OAuth's flat errors, raw upload statuses) so the real client is tested against it unchanged:

    clock = ManualClock()
    with TikTokStandIn(clock=clock) as tiktok:
        tiktok.add_account("alice", private=True)
        tokens = tiktok.issue_tokens("alice")          # or the authorize/token dance
        tiktok.drop_next("init", after_acting=True)   # the init is recorded, the answer never comes
        clock.advance(60)                              # rate windows, lifetimes, processing move on

Per-token limits, token lifetimes, daily caps, the unaudited-client rules and status transitions follow
the documented numbers; faults are scripted per endpoint. `published(open_id)` says what really went
out, so a test can assert "exactly once". It is also the upload host (`upload_url` points back here,
optionally under a second host name). Run it by hand with `python -m standins.tiktok`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from standins.loopback import Answer, LoopbackServer, Request, StandIn
from standins.tiktok import display, oauth, posting
from standins.tiktok.faults import INTERNAL, RATE_LIMITED, ROUTES, Endpoint, Faults, fault_answer
from standins.tiktok.model import (
    AccessToken,
    Account,
    Clock,
    Consent,
    Counts,
    ExtraVideo,
    Fault,
    ManualClock,
    PostScript,
    Publish,
    PublishedPost,
    RecordedRequest,
    Series,
    State,
    rising,
    steps,
    zero,
)
from standins.tiktok.wire import ApiError, OAuthError, SlidingWindow, api_error, oauth_error, query

__all__ = [
    "ALL_SCOPES",
    "Account",
    "Counts",
    "ManualClock",
    "PublishedPost",
    "RecordedRequest",
    "TikTokStandIn",
    "rising",
    "steps",
    "zero",
]

# Per access token, per sliding minute (reference §1.9); Display's 600 may be per app in reality.
DEFAULT_LIMITS: dict[str, int] = {
    "creator_info": 20,
    "init": 6,
    "inbox_init": 6,
    "status": 30,
    "user_info": 600,
    "video_list": 600,
    "video_query": 600,
}
ALL_SCOPES = frozenset(
    {"user.info.basic", "user.info.profile", "video.publish", "video.upload", "video.list"}
)
_TOKEN_HANDLERS = {
    "user_info": display.user_info,
    "creator_info": posting.creator_info,
    "init": posting.init_direct,
    "inbox_init": posting.init_inbox,
    "status": posting.status,
    "video_list": display.video_list,
    "video_query": display.video_query,
}
_OAUTH_HANDLERS = {"token": oauth.token, "revoke": oauth.revoke}


class TikTokStandIn(StandIn):
    """TikTok's v2 APIs on 127.0.0.1, scriptable from tests. Use as a context manager."""

    def __init__(
        self,
        *,
        client_key: str = "test-client-key",
        client_secret: str = "test-client-secret",
        port: int = 0,
        clock: Clock = time.time,
        audited: bool = True,
        active_user_cap: int | None = None,
        access_lifetime: float = 7_200,
        refresh_lifetime: float = 15_552_000,
        processing_seconds: float = 5.0,
        download_seconds: float = 5.0,
        public_id_delay: float = 0.0,
        verified_url_prefixes: Iterable[str] = (),
        upload_host: str | None = None,
        limits: dict[str, int] | None = None,
        cap_status_on_creator_info: int = 200,
        pending_share_cap: int = 5,
        pull_video_size: int = 10_000_000,
    ) -> None:
        self.client_key, self.client_secret = client_key, client_secret
        self.clock = clock
        self.audited = audited
        # Unaudited clients: at most 5 distinct posting users in 24 h (reference §1.9).
        self.active_user_cap = active_user_cap if active_user_cap is not None or audited else 5
        self.access_lifetime, self.refresh_lifetime = access_lifetime, refresh_lifetime
        self.processing_seconds, self.download_seconds = processing_seconds, download_seconds
        self.public_id_delay = public_id_delay
        self.verified_url_prefixes = tuple(verified_url_prefixes)
        self.upload_host = upload_host
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        # Integrators report the spam/cap codes under HTTP 200 on creator_info; the docs say 403.
        self.cap_status_on_creator_info = cap_status_on_creator_info
        self.pending_share_cap = pending_share_cap
        self.pull_video_size = pull_video_size
        self.consent = Consent()
        self.state = State()
        self.faults = Faults()
        self._windows = SlidingWindow()
        self._lock = threading.RLock()
        self._server = LoopbackServer(self._handle, name="TikTok stand-in", port=port)
        super().__init__(self._server)

    @property
    def base_url(self) -> str:
        """Both TikTok hosts in one: TIKTOK_API_URL and TIKTOK_AUTH_URL point here."""
        return self._server.base_url

    @property
    def upload_base_url(self) -> str:
        if self.upload_host is None:
            return self.base_url
        return f"http://{self.upload_host}:{self.base_url.rsplit(':', 1)[1]}"

    # Accounts and tokens

    def add_account(self, open_id: str, **fields: Any) -> Account:
        """A TikTok user; `fields` are Account's (nickname, private, comment_disabled, ...)."""
        account = Account(open_id, **fields)
        with self._lock:
            self.state.accounts[open_id] = account
            if self.consent.open_id is None:
                self.consent.open_id = open_id
        return account

    def account(self, open_id: str) -> Account:
        """The account's record; change its fields to change what TikTok answers from now on."""
        with self._lock:
            return self.state.accounts[open_id]

    def authorize_as(
        self, open_id: str | None, *, scopes: Iterable[str] | None = None, refuse: bool = False
    ) -> None:
        """Who "logs in" on the authorize page next, granting `scopes` (default: all asked) or refusing."""
        with self._lock:
            self.consent = Consent(open_id, None if scopes is None else frozenset(scopes), refuse)

    def issue_tokens(self, open_id: str, scopes: Iterable[str] = ALL_SCOPES) -> dict[str, Any]:
        """Tokens as the token endpoint answers them, without the authorize dance."""
        granted = frozenset(scopes)
        with self._lock:
            if open_id not in self.state.accounts:
                raise KeyError(f"no account {open_id!r}; add_account() it first")
            access, access_token, refresh, refresh_token = oauth.new_tokens(
                open_id, granted, self.clock(), self.access_lifetime, self.refresh_lifetime
            )
            self.state.access_tokens[access] = access_token
            self.state.refresh_tokens[refresh] = refresh_token
        return {
            "open_id": open_id,
            "scope": ",".join(sorted(granted)),
            "access_token": access,
            "expires_in": int(self.access_lifetime),
            "refresh_token": refresh,
            "refresh_expires_in": int(self.refresh_lifetime),
            "token_type": "Bearer",
        }

    def expire_access_token(self, access_token: str) -> None:
        """The token lapses now (e.g. between upload and status fetch)."""
        with self._lock:
            self.state.access_tokens[access_token].expires_at = self.clock()

    def revoke_grant(self, open_id: str) -> None:
        """The user removed the app: every token of theirs stops working (refresh gives invalid_grant)."""
        with self._lock:
            for stored in self.state.access_tokens.values():
                if stored.open_id == open_id:
                    stored.revoked = True
            for value in [v for v, t in self.state.refresh_tokens.items() if t.open_id == open_id]:
                del self.state.refresh_tokens[value]

    def consume_daily_posts(self, open_id: str, count: int) -> None:
        """Posts made "by another app" today: they count against the creator's daily cap."""
        with self._lock:
            self.state.post_times.setdefault(open_id, []).extend([self.clock()] * count)

    # Publishes and videos

    def script_next_posts(
        self,
        *,
        times: int = 1,
        processing_seconds: float | None = None,
        download_seconds: float | None = None,
        public_id_delay: float | None = None,
        stuck: bool = False,
        fail_reason: str | None = None,
        series: Series | None = None,
        expire_token_on_upload: bool = False,
    ) -> None:
        """How the next `times` inits (direct or inbox) behave: slower, stuck, FAILED, a late public id,
        or an access token that lapses between the upload and the status fetch."""
        script = PostScript(
            processing_seconds,
            download_seconds,
            public_id_delay,
            stuck,
            fail_reason,
            series,
            expire_token_on_upload,
        )
        with self._lock:
            self.state.post_scripts.extend([script] * times)

    def publish(self, publish_id: str) -> Publish:
        """The stand-in's record of an init; tests may change its fields (stuck, fail_reason, ...)."""
        with self._lock:
            return self.state.publishes[publish_id]

    def publishes(self, open_id: str | None = None) -> list[Publish]:
        with self._lock:
            return [p for p in self.state.publishes.values() if open_id in (None, p.open_id)]

    def complete_draft(
        self, publish_id: str, *, caption: str, privacy_level: str = "PUBLIC_TO_EVERYONE"
    ) -> None:
        """The creator finishes an inbox draft in the TikTok app and posts it."""
        with self._lock:
            publish = self.state.publishes[publish_id]
            if publish.kind != "inbox" or publish.status(self.clock()) != "SEND_TO_USER_INBOX":
                raise ValueError(f"{publish_id} is not a draft waiting in the inbox")
            publish.post_info = {"title": caption, "privacy_level": privacy_level}
            publish.inbox_posted_at = self.clock()

    def add_video(
        self,
        open_id: str,
        caption: str,
        *,
        video_id: str,
        public_since: float | None = None,
        series: Series | None = None,
    ) -> None:
        """A public video on the account that this app did not post (by hand, or another app)."""
        with self._lock:
            since = self.clock() if public_since is None else public_since
            self.state.extra_videos[video_id] = ExtraVideo(
                video_id, open_id, caption, since, series or rising()
            )

    def published(self, open_id: str) -> list[PublishedPost]:
        """What really went out on the account, oldest first: the ground truth for "exactly once"."""
        now = self.clock()
        with self._lock:
            posts = [
                PublishedPost(
                    p.video_id,
                    p.publish_id,
                    p.post_info.get("title", ""),
                    p.post_info.get("privacy_level", ""),
                    at,
                    p.kind,
                )
                for p in self.state.publishes.values()
                if p.open_id == open_id and (at := p.published_at(now)) is not None
            ]
            posts += [
                PublishedPost(v.video_id, None, v.caption, "PUBLIC_TO_EVERYONE", v.public_since, "external")
                for v in self.state.extra_videos.values()
                if v.open_id == open_id and v.public_since <= now
            ]
        return sorted(posts, key=lambda post: post.published_at)

    # Faults: each applies to the next `times` calls of `endpoint` once `after` more calls went through
    # normally, behind any already queued

    def fail_next(
        self,
        endpoint: Endpoint,
        code: str,
        *,
        status: int = 400,
        message: str = "",
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Answer with this error (any code, any HTTP status: 200 too, as integrators report)."""
        fault = Fault("error", status, code, message or f"stand-in fault: {code}")
        self._queue(endpoint, fault, times, after)

    def rate_limit_next(self, endpoint: Endpoint, *, times: int = 1, after: int = 0) -> None:
        self.fail_next(
            endpoint, "rate_limit_exceeded", status=429, message=RATE_LIMITED, times=times, after=after
        )

    def server_error_next(
        self, endpoint: Endpoint, *, status: int = 500, times: int = 1, after: int = 0
    ) -> None:
        self.fail_next(endpoint, "internal_error", status=status, message=INTERNAL, times=times, after=after)

    def drop_next(self, endpoint: Endpoint, *, after_acting: bool, times: int = 1, after: int = 0) -> None:
        """Hang up without answering; with `after_acting` the request has taken effect first (an init
        exists, a chunk is stored, a refresh token rotated): what a client sees when TikTok acted and
        the answer was lost."""
        self._queue(endpoint, Fault("drop_after" if after_acting else "drop_before"), times, after)

    def slow_next(self, endpoint: Endpoint, seconds: float, *, times: int = 1, after: int = 0) -> None:
        """Act, then hold the answer back for `seconds` (a client timeout after TikTok acted)."""
        self._queue(endpoint, Fault("slow_after", seconds=seconds), times, after)

    def chaos(
        self,
        probability: float,
        *,
        endpoints: Iterable[Endpoint] | None = None,
        after_acting_share: float = 0.5,
        seed: int | None = None,
    ) -> None:
        """From now on every call to `endpoints` (default: all but the authorize page) fails
        transiently with `probability`: a 503 before acting, or, for `after_acting_share` of them, a
        connection dropped after acting. Scripted faults come first; `chaos(0)` stops it."""
        self.faults.chaos(probability, endpoints, after_acting_share, seed)

    def _queue(self, endpoint: Endpoint, fault: Fault, times: int, after: int) -> None:
        self.faults.queue(endpoint, fault, times, after)

    # What tests look at

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self.state.requests)

    def requests_to(self, endpoint: Endpoint) -> list[RecordedRequest]:
        paths = {path for (_, path), name in ROUTES.items() if name == endpoint}
        return [r for r in self.requests if r.path in paths]

    # Handling a request (on the server's threads)

    def _handle(self, request: Request) -> Answer | None:
        now = self.clock()
        params = query(request)
        self._record(request, params, now)
        endpoint = ROUTES.get((request.method, request.path))
        if endpoint is None:
            return api_error(
                ApiError(404, "not_found", f"No such endpoint: {request.method} {request.path}"), now
            )
        fault = self.faults.next(endpoint)
        if fault is not None and fault.kind == "drop_before":
            return None
        if fault is not None and fault.kind == "error":
            return fault_answer(endpoint, fault, now)
        answer = self._answer(endpoint, request, params, now)
        if fault is not None and fault.kind == "drop_after":
            return None
        if fault is not None and fault.kind == "slow_after" and self._stopping.wait(fault.seconds):
            return None
        return answer

    def _answer(self, endpoint: Endpoint, request: Request, params: dict[str, str], now: float) -> Answer:
        try:
            with self._lock:
                if endpoint == "authorize":
                    return oauth.authorize(self, request, now)
                if endpoint in _OAUTH_HANDLERS:
                    return _OAUTH_HANDLERS[endpoint](self, request, now)
                if endpoint == "upload":
                    return posting.upload(self, request, params, now)
                token = self._caller(request, now)
                if not self._windows.allow((token.value, endpoint), self.limits[endpoint], 60.0, now):
                    raise ApiError(429, "rate_limit_exceeded", RATE_LIMITED)
                return _TOKEN_HANDLERS[endpoint](self, token, request, now)
        except OAuthError as error:
            return oauth_error(error, now)
        except ApiError as error:
            return api_error(error, now)
        except Exception as exc:  # a stand-in bug should reach the test as an answer, not a hang
            return api_error(ApiError(500, "internal_error", f"stand-in failed: {exc!r}"), now)

    def _caller(self, request: Request, now: float) -> AccessToken:
        header = request.headers.get("authorization", "")
        token = (
            self.state.access_tokens.get(header.removeprefix("Bearer "))
            if header.startswith("Bearer ")
            else None
        )
        if (
            token is None
            or token.revoked
            or token.expires_at <= now
            or token.open_id not in self.state.accounts
        ):
            raise ApiError(
                401, "access_token_invalid", "The access token is invalid or not found in the request."
            )
        return token

    def _record(self, request: Request, params: dict[str, str], now: float) -> None:
        content_type = request.headers.get("content-type", "")
        parsed: Any = None
        form: dict[str, str] | None = None
        if content_type.startswith("application/json") and request.body:
            try:
                parsed = json.loads(request.body)
            except ValueError:
                parsed = None
        elif content_type.startswith("application/x-www-form-urlencoded"):
            form = dict(parse_qsl(request.body.decode(errors="replace"), keep_blank_values=True))
        recorded = RecordedRequest(
            request.method, request.path, params, dict(request.headers), parsed, form, len(request.body), now
        )
        with self._lock:
            self.state.requests.append(recorded)
