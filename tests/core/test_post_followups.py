"""Inbox drafts' pending-share limit, a listed video's caption, and how often TikTok is asked again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from core.posts import FOLLOW_UP, SHARE_WINDOW, follow_up_every, inbox_share_problem, same_caption

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_a_sixth_draft_within_a_day_is_refused_and_says_why() -> None:
    pending = [T0 + i * HOUR for i in range(5)]
    problem = inbox_share_problem(T0 + 10 * HOUR, pending)
    assert problem is not None and "at most 5 drafts pending" in problem and "already has 5" in problem
    # TikTok counts shares of the last 24 h: the first one leaves the window exactly a day later.
    assert inbox_share_problem(T0 + 24 * HOUR - timedelta(seconds=1), pending) is not None
    assert inbox_share_problem(T0 + 24 * HOUR, pending) is None


def test_a_draft_before_others_counts_in_their_windows_too() -> None:
    # Five later drafts within a day: one more just before them would make a window of six.
    later = [T0 + 19 * HOUR + i * HOUR for i in range(5)]
    assert inbox_share_problem(T0, later) is not None
    assert inbox_share_problem(T0 - 5 * HOUR, later) is None  # a day or more before each of them


@given(
    st.lists(st.integers(min_value=-72 * 60, max_value=72 * 60), max_size=12), st.integers(-72 * 60, 72 * 60)
)
def test_accepted_drafts_never_put_six_in_any_day(existing: list[int], new: int) -> None:
    times = [T0 + timedelta(minutes=m) for m in existing]
    if inbox_share_problem(T0 + timedelta(minutes=new), times) is None:
        every = sorted([*times, T0 + timedelta(minutes=new)])
        new_at = T0 + timedelta(minutes=new)
        for end in every:
            inside = [t for t in every if end - SHARE_WINDOW < t <= end]
            # Windows without the new draft were not its doing.
            assert new_at not in inside or len(inside) <= 5


def test_a_listed_caption_matches_on_its_beginning_ignoring_spacing_and_case() -> None:
    caption = "Kites that loop the loop!\n\nThree tricks for windy days, ages 8+.\n\n#AirPlay #Kites"
    assert same_caption(caption, "kites that loop the loop! three tricks for windy days, ages 8+. #AirPlay")
    assert same_caption(caption, " ".join(caption.split())[:150] + " #ad")
    assert not same_caption(caption, "Kites that loop")  # too little to be sure
    assert not same_caption(caption, "Kites that loop the loop? Four tricks")
    assert not same_caption(caption, "")
    assert same_caption("Short one", "Short one #TikTokShop")  # the poster added words after it


def test_looks_are_frequent_while_young_and_stop_after_a_week() -> None:
    assert follow_up_every(timedelta(0)) == timedelta(seconds=30)
    assert follow_up_every(timedelta(hours=3)) == timedelta(minutes=15)
    assert follow_up_every(FOLLOW_UP[-1][0]) is None
    intervals = [every for _, every in FOLLOW_UP]
    assert intervals == sorted(intervals)
