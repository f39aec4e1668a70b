"""The post state machine, TikTok's statuses, and the retry policy."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.posts import (
    CANCELLABLE,
    CLAIMABLE,
    INACTIVE,
    MAX_ATTEMPTS,
    RESCHEDULABLE,
    RETRYABLE,
    TAKES_A_SLOT,
    TERMINAL,
    WATCHED,
    PostStatus,
    TransitionError,
    backoff,
    can_move,
    check_move,
    from_tiktok_status,
    should_retry,
    sources,
)

S = PostStatus
T0 = datetime(2026, 12, 1, 18, 30, tzinfo=UTC)

DIRECT = [S.SCHEDULED, S.QUEUED, S.PUBLISHING, S.PROCESSING, S.PUBLISHED]
DRAFT = [S.SCHEDULED, S.QUEUED, S.PUBLISHING, S.PROCESSING, S.AWAITING_POSTER, S.PUBLISHED]
MANUAL = [S.SCHEDULED, S.QUEUED, S.PUBLISHING, S.AWAITING_POSTER, S.PUBLISHED]


@pytest.mark.parametrize("path", [DIRECT, DRAFT, MANUAL], ids=["direct", "draft", "manual"])
def test_each_posting_mode_has_a_way_through(path: list[PostStatus]) -> None:
    for current, target in pairwise(path):
        # From publishing on, a direct or draft post holds the publish id init gave it.
        check_move(current, target, publish_id="v_pub_1" if current is S.PROCESSING else None)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.QUEUED, S.SCHEDULED),  # the sweeper: no live job
        (S.SCHEDULED, S.SCHEDULED),  # a reschedule
        (S.FAILED, S.SCHEDULED),  # retry
        (S.PUBLISHING, S.NEEDS_RECONCILE),  # a lapsed lease
        (S.PROCESSING, S.NEEDS_RECONCILE),  # an answer that never came
        (S.NEEDS_RECONCILE, S.PROCESSING),  # TikTok is still working on it
        (S.NEEDS_RECONCILE, S.PUBLISHED),
        (S.NEEDS_RECONCILE, S.FAILED),  # TikTok said FAILED, or a person found it not posted
        (S.NEEDS_RECONCILE, S.AWAITING_POSTER),
        (S.PROCESSING, S.FAILED),
        (S.PUBLISHING, S.FAILED),  # refused before init answered
        (S.AWAITING_POSTER, S.CANCELLED),  # the team decides not to post it
        (S.PUBLISHING, S.HELD),  # its shop product is no longer live; nothing was sent
        (S.HELD, S.SCHEDULED),  # post without the product, or with another
        (S.HELD, S.CANCELLED),
    ],
)
def test_allowed_moves(current: PostStatus, target: PostStatus) -> None:
    assert can_move(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.SCHEDULED, S.PUBLISHING),  # only through the clock's queue
        (S.QUEUED, S.PROCESSING),
        (S.PUBLISHED, S.SCHEDULED),
        (S.PUBLISHED, S.FAILED),
        (S.CANCELLED, S.SCHEDULED),
        (S.PROCESSING, S.CANCELLED),  # TikTok is already publishing it
        (S.PUBLISHING, S.CANCELLED),
        (S.NEEDS_RECONCILE, S.CANCELLED),  # it may be on TikTok: settle it first
        (S.NEEDS_RECONCILE, S.QUEUED),
        (S.PROCESSING, S.PUBLISHING),
    ],
)
def test_refused_moves_say_why(current: PostStatus, target: PostStatus) -> None:
    assert not can_move(current, target)
    with pytest.raises(TransitionError, match=f"a post that is {current.label} cannot become {target.label}"):
        check_move(current, target)


def test_a_post_with_a_publish_id_is_never_sent_again() -> None:
    assert can_move(S.NEEDS_RECONCILE, S.SCHEDULED)
    assert not can_move(S.NEEDS_RECONCILE, S.SCHEDULED, publish_id="v_pub_1")
    with pytest.raises(TransitionError, match="publish id v_pub_1; it is resumed by asking TikTok"):
        check_move(S.NEEDS_RECONCILE, S.SCHEDULED, publish_id="v_pub_1")
    # TikTok's FAILED closed that publish id: a retry is a new init.
    assert can_move(S.FAILED, S.SCHEDULED, publish_id="v_pub_1")


@given(st.sampled_from(list(PostStatus)), st.sampled_from(list(PostStatus)))
def test_only_failed_leads_back_to_an_init_for_a_post_with_a_publish_id(
    current: PostStatus, target: PostStatus
) -> None:
    if can_move(current, target, publish_id="v_pub_1") and target in {S.SCHEDULED, S.QUEUED}:
        assert current is S.FAILED


def test_the_groups() -> None:
    assert {S.PUBLISHED, S.FAILED, S.CANCELLED} == TERMINAL
    assert not TERMINAL & WATCHED
    assert set(PostStatus) == TERMINAL | WATCHED
    assert {S.SCHEDULED, S.QUEUED, S.FAILED, S.AWAITING_POSTER, S.HELD} == CANCELLABLE
    assert {S.SCHEDULED, S.QUEUED, S.FAILED} == RESCHEDULABLE
    assert all(can_move(s, S.SCHEDULED) for s in RESCHEDULABLE | RETRYABLE)
    assert {S.QUEUED} == CLAIMABLE
    assert {S.FAILED, S.CANCELLED} == INACTIVE
    assert S.NEEDS_RECONCILE in TAKES_A_SLOT and not TAKES_A_SLOT & INACTIVE
    # A terminal post leaves only by a person's retry or discard.
    leaving = {status: {t for t in PostStatus if status in sources(t)} for status in TERMINAL}
    assert leaving == {S.PUBLISHED: set(), S.CANCELLED: set(), S.FAILED: {S.SCHEDULED, S.CANCELLED}}


def test_labels_are_plain_words() -> None:
    assert [s.label for s in PostStatus] == [
        "scheduled",
        "queued",
        "publishing",
        "processing",
        "waiting for the poster",
        "outcome unknown",
        "published",
        "failed",
        "cancelled",
        "held for its product",
    ]


@pytest.mark.parametrize(
    ("tiktok", "status"),
    [
        ("PROCESSING_UPLOAD", S.PROCESSING),
        ("PROCESSING_DOWNLOAD", S.PROCESSING),
        ("SEND_TO_USER_INBOX", S.AWAITING_POSTER),
        ("PUBLISH_COMPLETE", S.PUBLISHED),
        ("FAILED", S.FAILED),
        ("SOMETHING_NEW", S.NEEDS_RECONCILE),
    ],
)
def test_tiktok_statuses(tiktok: str, status: PostStatus) -> None:
    assert from_tiktok_status(tiktok) is status
    assert can_move(S.PROCESSING, status) or status is S.PROCESSING


# --- retries ---------------------------------------------------------------------------------

BASE, CAP = timedelta(seconds=2), timedelta(seconds=60)


@given(st.integers(1, 10_000), st.integers(0, 2**32))
def test_backoff_stays_between_zero_and_the_capped_exponential(attempt: int, seed: int) -> None:
    wait = backoff(attempt, BASE, CAP, random.Random(seed))
    assert timedelta(0) <= wait <= min(CAP, BASE * 2 ** min(attempt - 1, 10))


def test_backoff_is_full_jitter() -> None:
    rng = random.Random(7)
    waits = [backoff(4, BASE, CAP, rng).total_seconds() for _ in range(2000)]
    # Spread over the whole 0-16 s range, not bunched near the top as "equal jitter" would be.
    assert min(waits) < 1 and max(waits) > 15
    assert 7 < sum(waits) / len(waits) < 9
    with pytest.raises(ValueError, match="attempts count from 1"):
        backoff(0, BASE, CAP, rng)


def test_should_retry_only_retryable_errors_inside_the_deadline() -> None:
    deadline = timedelta(minutes=10)
    assert should_retry(True, 1, T0, deadline, T0 + timedelta(seconds=5))
    assert not should_retry(False, 1, T0, deadline, T0 + timedelta(seconds=5))
    assert not should_retry(True, 1, T0, deadline, T0 + deadline)
    assert not should_retry(True, MAX_ATTEMPTS, T0, deadline, T0)
    assert should_retry(True, MAX_ATTEMPTS, T0, deadline, T0, max_attempts=MAX_ATTEMPTS + 1)
