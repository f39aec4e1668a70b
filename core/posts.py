"""A post's life, as an explicit state machine, and the retry policy of its publishing.

    scheduled → queued → publishing → processing → published | failed
                             │            └→ awaiting_poster → published   (draft: SEND_TO_USER_INBOX)
                             └→ awaiting_poster → published                (manual: handed to the poster)
    publishing, processing → needs_reconcile → processing | awaiting_poster | published | failed
                                             → scheduled (no publish_id, and TikTok shows no post)
    queued → scheduled (no live job, or a reschedule);  failed → scheduled (retry)
    scheduled, queued, failed, awaiting_poster → cancelled
    publishing → held (its shop product stopped being live) → scheduled | cancelled

- direct: TikTok publishes; `processing` polls the status until PUBLISH_COMPLETE or FAILED.
- draft: the video goes to the creator's TikTok inbox; at SEND_TO_USER_INBOX the post is
  `awaiting_poster` until the poster publishes it in the app and the bot finds it in the video list.
- manual: at the slot the poster gets the file and caption in Slack; `awaiting_poster` until
  someone presses Posted with the link.
- held: just before posting, the post's TikTok Shop product was no longer live; nothing went out,
  and a person chooses: post without it, pick another (both back to scheduled), or cancel.

`needs_reconcile` is a post whose outcome nobody knows: its worker died (the lease lapsed) after it
began publishing, or TikTok's answer never came. It is settled by asking TikTok (the status of its
publish_id, the account's video list), never by posting again.

Why a post with a publish_id is never initialised again: TikTok acts on an init the moment it
answers, and keeps going without us. After a timeout, a dropped connection, a dead worker or a
token refresh we cannot tell "TikTok never got it" from "TikTok is publishing it", and a second
init would post the video twice (other schedulers did exactly this after token refreshes). So the
publish_id is stored before any byte is sent, and every later step resumes it by polling its
status. Only a definite answer ends it: `failed` is written only when TikTok said FAILED for that
publish_id, or refused before giving one; so a retry from `failed` is a new init, and nothing else
leads back to one.

Storage moves a row only from the states listed here (a conditional UPDATE), so two workers, or a
worker and a person pressing Cancel, cannot both win.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class PostStatus(StrEnum):
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    PUBLISHING = "publishing"
    PROCESSING = "processing"
    AWAITING_POSTER = "awaiting_poster"
    NEEDS_RECONCILE = "needs_reconcile"
    PUBLISHED = "published"
    FAILED = "failed"
    CANCELLED = "cancelled"
    HELD = "held"

    @property
    def label(self) -> str:
        special = {
            "awaiting_poster": "waiting for the poster",
            "needs_reconcile": "outcome unknown",
            "held": "held for its product",
        }
        return special.get(self.value, self.value)


# target ← the states it may be reached from
_SOURCES: Mapping[PostStatus, frozenset[PostStatus]] = {
    # scheduled → scheduled is a reschedule; queued → scheduled the sweeper (no live job) or a
    # reschedule; failed → scheduled a retry; needs_reconcile → scheduled once TikTok shows no post
    # and there is no publish_id to resume.
    PostStatus.SCHEDULED: frozenset(
        {
            PostStatus.SCHEDULED,
            PostStatus.QUEUED,
            PostStatus.FAILED,
            PostStatus.NEEDS_RECONCILE,
            PostStatus.HELD,
        }
    ),
    PostStatus.QUEUED: frozenset({PostStatus.SCHEDULED}),
    PostStatus.PUBLISHING: frozenset({PostStatus.QUEUED}),
    # needs_reconcile → processing: TikTok says it is still working on the publish_id.
    PostStatus.PROCESSING: frozenset({PostStatus.PUBLISHING, PostStatus.NEEDS_RECONCILE}),
    # From publishing: a manual post handed to its poster; from processing: SEND_TO_USER_INBOX.
    PostStatus.AWAITING_POSTER: frozenset(
        {PostStatus.PUBLISHING, PostStatus.PROCESSING, PostStatus.NEEDS_RECONCILE}
    ),
    PostStatus.NEEDS_RECONCILE: frozenset({PostStatus.PUBLISHING, PostStatus.PROCESSING}),
    PostStatus.PUBLISHED: frozenset(
        {PostStatus.PUBLISHING, PostStatus.PROCESSING, PostStatus.AWAITING_POSTER, PostStatus.NEEDS_RECONCILE}
    ),
    PostStatus.FAILED: frozenset({PostStatus.PUBLISHING, PostStatus.PROCESSING, PostStatus.NEEDS_RECONCILE}),
    # Nothing of these is on TikTok yet, or (awaiting_poster) a person decides not to post it.
    PostStatus.CANCELLED: frozenset(
        {
            PostStatus.SCHEDULED,
            PostStatus.QUEUED,
            PostStatus.FAILED,
            PostStatus.AWAITING_POSTER,
            PostStatus.HELD,
        }
    ),
    # Before anything is sent: the publish job found the post's product no longer live.
    PostStatus.HELD: frozenset({PostStatus.PUBLISHING}),
}

# The moves that lead to a new init: refused for a post holding a publish_id, except from
# failed, where TikTok's FAILED closed that publish_id for good.
_TOWARDS_INIT = frozenset({PostStatus.SCHEDULED, PostStatus.QUEUED})

# Nothing more happens to these without a person.
TERMINAL = frozenset({PostStatus.PUBLISHED, PostStatus.FAILED, PostStatus.CANCELLED})
# What the clock watches: a due time, a job that may be gone, a lease that may lapse, a status
# to poll, an unknown outcome to settle, a poster to remind, a held post a person must decide.
WATCHED = frozenset(
    {
        PostStatus.SCHEDULED,
        PostStatus.QUEUED,
        PostStatus.PUBLISHING,
        PostStatus.PROCESSING,
        PostStatus.NEEDS_RECONCILE,
        PostStatus.AWAITING_POSTER,
        PostStatus.HELD,
    }
)
CANCELLABLE = _SOURCES[PostStatus.CANCELLED]
# A person may move these to another time (a failed post goes back on the schedule).
RESCHEDULABLE = frozenset({PostStatus.SCHEDULED, PostStatus.QUEUED, PostStatus.FAILED})
RETRYABLE = frozenset({PostStatus.FAILED})
# A worker may claim a post for publishing only from these.
CLAIMABLE = _SOURCES[PostStatus.PUBLISHING]
# Posts that will never go out: they take no slot, count towards no cap, collide with nothing.
INACTIVE = frozenset({PostStatus.FAILED, PostStatus.CANCELLED})
TAKES_A_SLOT = frozenset(PostStatus) - INACTIVE


class TransitionError(ValueError):
    """A post cannot move to the asked state from the one it is in."""


def sources(target: PostStatus) -> frozenset[PostStatus]:
    """The states from which a post may move to `target`."""
    return _SOURCES[target]


def can_move(current: PostStatus, target: PostStatus, *, publish_id: str | None = None) -> bool:
    if current not in _SOURCES[target]:
        return False
    return not (publish_id and target in _TOWARDS_INIT and current is not PostStatus.FAILED)


def check_move(current: PostStatus, target: PostStatus, *, publish_id: str | None = None) -> None:
    if current not in _SOURCES[target]:
        raise TransitionError(f"a post that is {current.label} cannot become {target.label}")
    if not can_move(current, target, publish_id=publish_id):
        raise TransitionError(
            f"a post that is {current.label} has TikTok publish id {publish_id}; "
            "it is resumed by asking TikTok for its status, never sent again"
        )


# TikTok's publish status (status/fetch) → the post's state. Anything else is not understood,
# so the outcome is unknown.
_TIKTOK_STATUS = {
    "PROCESSING_UPLOAD": PostStatus.PROCESSING,
    "PROCESSING_DOWNLOAD": PostStatus.PROCESSING,
    "SEND_TO_USER_INBOX": PostStatus.AWAITING_POSTER,
    "PUBLISH_COMPLETE": PostStatus.PUBLISHED,
    "FAILED": PostStatus.FAILED,
}


def from_tiktok_status(status: str) -> PostStatus:
    """The state TikTok's publish status puts a post in."""
    return _TIKTOK_STATUS.get(status, PostStatus.NEEDS_RECONCILE)


# --- retries ---------------------------------------------------------------------------------

# Enough for a minute of 429s at TikTok's pace; the deadline usually ends retries first.
MAX_ATTEMPTS = 8


def backoff(attempt: int, base: timedelta, cap: timedelta, rng: random.Random) -> timedelta:
    """How long to wait after the `attempt`-th try (1 = the first) failed: "full jitter".

    A random wait between 0 and base·2^(attempt-1), at most `cap`. The randomness spreads the
    retries of many posts that failed together (a TikTok outage) instead of sending them back in
    step.
    """
    if attempt < 1:
        raise ValueError("attempts count from 1")
    # A float ceiling: base * 2**attempt as a timedelta overflows long before attempts run out.
    ceiling = min(cap.total_seconds(), base.total_seconds() * 2.0 ** min(attempt - 1, 1000))
    return timedelta(seconds=rng.uniform(0, ceiling))


def should_retry(
    error_retryable: bool,
    attempt: int,
    started: datetime,
    deadline: timedelta,
    now: datetime,
    *,
    max_attempts: int = MAX_ATTEMPTS,
) -> bool:
    """Whether to try again after the `attempt`-th try failed.

    Only errors that may pass (rate limits, 5xx, timeouts before TikTok acted) are retried, and only
    while the post is inside its deadline from `started`: a post retried for ever goes out at a time
    nobody chose. Permanent errors fail at once.
    """
    return error_retryable and attempt < max_attempts and now - started < deadline


# --- the post as the bot sees it -------------------------------------------------------------


@dataclass(frozen=True)
class PostSettings:
    """What a person chose for a direct post beside its privacy (TikTok's content sharing guidelines):
    the interactions they allow (all off unless turned on) and the commercial content disclosure."""

    allow_comment: bool = False
    allow_duet: bool = False
    allow_stitch: bool = False
    brand_organic: bool = False  # "Your brand": promotional content
    brand_content: bool = False  # "Branded content": a paid partnership

    @property
    def branded(self) -> bool:
        return self.brand_organic or self.brand_content


@dataclass(frozen=True)
class Post:
    id: int
    content_id: int
    version_id: int
    channel_id: int
    channel_name: str
    scheduled_at: datetime
    status: PostStatus
    posting_mode: str  # direct | draft | manual, fixed when scheduled
    caption: str
    media: str | None
    privacy_level: str | None
    sandbox: bool
    attempts: int
    publish_id: str | None
    public_id: str | None
    product_id: str | None
    failure: str | None
    log_id: str | None
    created_by: str
    slack_channel: str | None
    slack_ts: str | None
    started_at: datetime | None
    published_at: datetime | None
    init_sent_at: datetime | None = None
    hold_reason: str | None = None
    settings: PostSettings = field(default_factory=PostSettings)
    override: str | None = None

    def lateness(self) -> timedelta | None:
        """How long after its time the post started, once it has."""
        return None if self.started_at is None else self.started_at - self.scheduled_at


# --- TikTok inbox drafts --------------------------------------------------------------------

# TikTok keeps at most 5 shares pending in a creator's inbox within any 24 hours (reference §1.5).
PENDING_SHARE_LIMIT = 5
SHARE_WINDOW = timedelta(hours=24)


def inbox_share_problem(
    at: datetime, pending: Iterable[datetime], *, limit: int = PENDING_SHARE_LIMIT
) -> str | None:
    """Why one more inbox draft at `at` would break TikTok's limit, or None. `pending` are the
    times of the channel's drafts not known to be finished; each counts as pending, since nobody
    can promise the creator will have finished it by then. Every 24-hour window that would hold the
    new draft is checked: those ending at it and at each later draft less than a day after it."""
    times = sorted([*pending, at])
    for end in (t for t in times if at <= t < at + SHARE_WINDOW):
        inside = sum(1 for t in times if end - SHARE_WINDOW < t <= end)
        if inside > limit:
            return (
                f"TikTok keeps at most {limit} drafts pending in a creator's inbox within 24 hours, and "
                f"this channel already has {inside - 1} within a day of this time: finish them in the "
                "TikTok app (the bot sees them once posted), or choose a time further away."
            )
    return None


# --- after publishing -----------------------------------------------------------------------

# TikTok's video list cuts a caption to its first 150 characters (reference §6b).
LISTED_CAPTION = 150
# Fewer matching characters than this prove nothing ("New!" begins many captions).
MIN_CAPTION_MATCH = 30


def same_caption(caption: str, listed: str) -> bool:
    """Whether a video TikTok lists (title: the caption's beginning, cut at 150 characters) is this
    post's caption. Spacing and case are ignored (the app may fold newlines); the poster of a draft
    may add words after it."""
    ours, theirs = _words(caption), _words(listed)
    shared = min(len(ours), len(theirs))
    return shared >= min(len(ours), MIN_CAPTION_MATCH) > 0 and ours[:shared] == theirs[:shared]


def _words(text: str) -> str:
    return " ".join(text.split()).casefold()


# How often to look again for what TikTok shows late (the public id after moderation, a draft the
# creator posted in the app), by the time since the post went out; None once it is no longer worth
# asking. Early looks are frequent (moderation usually takes a minute), later ones rare.
FOLLOW_UP: tuple[tuple[timedelta, timedelta], ...] = (
    (timedelta(minutes=10), timedelta(seconds=30)),
    (timedelta(hours=1), timedelta(minutes=2)),
    (timedelta(hours=24), timedelta(minutes=15)),
    (timedelta(days=7), timedelta(hours=2)),
)


def follow_up_every(age: timedelta) -> timedelta | None:
    for below, every in FOLLOW_UP:
        if age < below:
            return every
    return None
