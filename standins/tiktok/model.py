"""What the TikTok stand-in knows: accounts, tokens, publishes and videos, and the clock that moves them.

Everything that changes with time (a publish's status, a video's counts, a public id appearing) is
worked out from timestamps when asked, so a test that moves the clock sees the effect at once and no
thread has to tick.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

PUBLIC_OPTIONS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY")
PRIVATE_OPTIONS = ("FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY")
# TikTok's own documented list (reference §1.7); a test may script any of them.
FAIL_REASONS = frozenset(
    {
        "file_format_check_failed",
        "duration_check_failed",
        "frame_rate_check_failed",
        "picture_size_check_failed",
        "internal",
        "video_pull_failed",
        "photo_pull_failed",
        "publish_cancelled",
        "auth_removed",
        "spam_risk_too_many_posts",
        "spam_risk_user_banned_from_posting",
        "spam_risk_text",
        "spam_risk",
    }
)

Clock = Callable[[], float]


class ManualClock:
    """A clock that moves only when told: tests and benchmarks drive rate windows, token lifetimes
    and processing delays with it instead of sleeping."""

    def __init__(self, start: float = 1_796_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._now += seconds
            return self._now


@dataclass
class Account:
    """A TikTok user who can authorise the app. Tests change these fields freely mid-test."""

    open_id: str
    nickname: str = "Stand-in Creator"
    username: str = "standin.creator"
    private: bool = False
    max_video_post_duration_sec: int = 600
    comment_disabled: bool = False
    duet_disabled: bool = False
    stitch_disabled: bool = False
    banned: bool = False
    daily_post_cap: int = 15  # "typically around 15" per creator per 24 h, shared by every app

    @property
    def privacy_level_options(self) -> list[str]:
        return list(PRIVATE_OPTIONS if self.private else PUBLIC_OPTIONS)


@dataclass(frozen=True)
class Counts:
    views: int = 0
    likes: int = 0
    comments: int = 0
    shares: int = 0


# A video's counters as a function of its age in seconds since it became public.
Series = Callable[[float], Counts]


def rising(views_per_hour: float = 600.0, *, lag_seconds: float = 0.0) -> Series:
    """Views grow steadily after a lag (TikTok's counts are not live); the others follow."""

    def counts(age: float) -> Counts:
        views = int(max(0.0, age - lag_seconds) / 3600 * views_per_hour)
        return Counts(views, views // 10, views // 50, views // 100)

    return counts


def zero() -> Series:
    """A video nobody sees: 0 views for ever."""
    return lambda age: Counts()


def steps(points: Sequence[tuple[float, Counts]]) -> Series:
    """Counts that jump at given ages (may go down: TikTok revises counts); 0 before the first."""
    ordered = sorted(points, key=lambda point: point[0])

    def counts(age: float) -> Counts:
        reached = [value for at, value in ordered if at <= age]
        return reached[-1] if reached else Counts()

    return counts


@dataclass(frozen=True)
class PostScript:
    """How the next publish(es) behave, scripted by a test before the init arrives."""

    processing_seconds: float | None = None
    download_seconds: float | None = None
    public_id_delay: float | None = None
    stuck: bool = False  # processing never ends
    fail_reason: str | None = None
    series: Series | None = None
    expire_token_on_upload: bool = False  # the init's access token lapses as the last chunk lands


@dataclass
class Publish:
    """One init: a publish_id and what became of it."""

    publish_id: str
    open_id: str
    access_token: str
    kind: Literal["direct", "inbox"]
    source: Literal["FILE_UPLOAD", "PULL_FROM_URL"]
    created_at: float
    video_id: str
    post_info: dict[str, Any]
    video_size: int = 0
    chunk_size: int = 0
    total_chunk_count: int = 0
    video_url: str | None = None
    upload_id: str | None = None
    upload_token: str | None = None
    uploaded_bytes: int = 0
    upload_done_at: float | None = None
    processing_seconds: float = 5.0
    download_seconds: float = 5.0
    public_id_delay: float = 0.0
    stuck: bool = False
    fail_reason: str | None = None
    series: Series = field(default_factory=rising)
    expire_token_on_upload: bool = False
    inbox_posted_at: float | None = None  # the creator finished the draft in the app

    def ready_at(self) -> float | None:
        """When processing ends (successfully or not); None while bytes are still awaited or for ever."""
        if self.stuck:
            return None
        if self.source == "PULL_FROM_URL":
            return self.created_at + self.download_seconds + self.processing_seconds
        return None if self.upload_done_at is None else self.upload_done_at + self.processing_seconds

    def status(self, now: float) -> str:
        ready = self.ready_at()
        if ready is None or now < ready:
            # The phase a publish is in until its verdict (a stuck one stays there for ever).
            return "PROCESSING_DOWNLOAD" if self.source == "PULL_FROM_URL" else "PROCESSING_UPLOAD"
        if self.fail_reason:
            return "FAILED"
        if self.kind == "inbox" and (self.inbox_posted_at is None or now < self.inbox_posted_at):
            return "SEND_TO_USER_INBOX"
        return "PUBLISH_COMPLETE"

    def published_at(self, now: float) -> float | None:
        """When the video went out on TikTok, if it has."""
        if self.status(now) != "PUBLISH_COMPLETE":
            return None
        return self.inbox_posted_at if self.kind == "inbox" else self.ready_at()

    def public_since(self, now: float) -> float | None:
        """When the video became publicly viewable (after moderation); None while it is not. Only
        public posts ever get a public id, so SELF_ONLY and private posts stay out of it."""
        published = self.published_at(now)
        if published is None or self.post_info.get("privacy_level") != "PUBLIC_TO_EVERYONE":
            return None
        since = published + self.public_id_delay
        return since if now >= since else None

    def downloaded_bytes(self, now: float) -> int:
        done = (
            min(1.0, max(0.0, (now - self.created_at) / self.download_seconds))
            if self.download_seconds
            else 1
        )
        return int(self.video_size * done)


@dataclass
class ExtraVideo:
    """A video on an account that no publish of this app made (posted by hand, or by another app)."""

    video_id: str
    open_id: str
    caption: str
    public_since: float
    series: Series
    duration: int = 15


@dataclass(frozen=True)
class PublishedPost:
    """What really went out on an account: one per video, however many requests it took."""

    video_id: str
    publish_id: str | None
    caption: str
    privacy_level: str
    published_at: float
    kind: str  # "direct", "inbox" or "external"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as it arrived, answered or not. `body_size` stands in for upload bytes."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    json: Any  # the parsed JSON body, or None
    form: dict[str, str] | None  # a form-encoded body, or None
    body_size: int
    at: float


@dataclass
class AccessToken:
    value: str
    open_id: str
    scopes: frozenset[str]
    expires_at: float
    revoked: bool = False


@dataclass
class RefreshToken:
    open_id: str
    scopes: frozenset[str]
    expires_at: float


@dataclass
class AuthCode:
    open_id: str
    scopes: frozenset[str]
    redirect_uri: str
    code_challenge: str | None
    expires_at: float


@dataclass(frozen=True)
class Fault:
    """What the next call to an endpoint meets instead of (or after) the normal answer."""

    kind: Literal["error", "drop_before", "drop_after", "slow_after"]
    status: int = 500
    code: str = "internal_error"
    message: str = "Something went wrong. Please try again later."
    seconds: float = 0.0


@dataclass
class Consent:
    """What the next visitor of the authorize page answers."""

    open_id: str | None = None
    scopes: frozenset[str] | None = None  # None grants whatever is asked
    refuse: bool = False


@dataclass
class State:
    accounts: dict[str, Account] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    publishes: dict[str, Publish] = field(default_factory=dict)
    uploads: dict[str, str] = field(default_factory=dict)  # upload_id -> publish_id
    extra_videos: dict[str, ExtraVideo] = field(default_factory=dict)
    post_times: dict[str, list[float]] = field(default_factory=dict)  # direct inits, for the daily cap
    active_users: dict[str, float] = field(default_factory=dict)  # open_id -> last init
    post_scripts: deque[PostScript] = field(default_factory=deque)
    requests: list[RecordedRequest] = field(default_factory=list)
