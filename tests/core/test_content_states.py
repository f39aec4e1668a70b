"""The content state machine, priorities, and the diff reviewers read."""

from __future__ import annotations

import pytest

from core.content import CLAIMABLE, ContentStatus, Priority, TransitionError, can_move, check_move
from core.versions import diff

S = ContentStatus


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.QUEUED, S.GENERATING),
        (S.GENERATING, S.IN_REVIEW),
        (S.GENERATING, S.QUEUED),  # a lapsed lease or a retry later
        (S.GENERATING, S.FAILED),
        (S.IN_REVIEW, S.APPROVED),
        (S.IN_REVIEW, S.REJECTED),
        (S.IN_REVIEW, S.CHANGES_REQUESTED),
        (S.CHANGES_REQUESTED, S.GENERATING),
        (S.IN_REVIEW, S.IN_REVIEW),  # a person's edit
        (S.IN_REVIEW, S.QUEUED),  # regenerate
        (S.FAILED, S.QUEUED),  # try again
        (S.REJECTED, S.IN_REVIEW),  # a reviewer reopens it
    ],
)
def test_allowed_moves(current: ContentStatus, target: ContentStatus) -> None:
    assert can_move(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.QUEUED, S.IN_REVIEW),
        (S.APPROVED, S.REJECTED),
        (S.REJECTED, S.APPROVED),
        (S.APPROVED, S.QUEUED),
        (S.CHANGES_REQUESTED, S.APPROVED),
        (S.GENERATING, S.APPROVED),
    ],
)
def test_refused_moves_say_why(current: ContentStatus, target: ContentStatus) -> None:
    assert not can_move(current, target)
    with pytest.raises(
        TransitionError, match=f"content that is {current.label} cannot become {target.label}"
    ):
        check_move(current, target)


def test_a_job_claims_only_waiting_content() -> None:
    assert {S.QUEUED, S.CHANGES_REQUESTED} == CLAIMABLE


def test_priorities_map_to_queues_in_run_order() -> None:
    assert [(p.queue, p.rank) for p in Priority] == [("high", 0), ("default", 1), ("low", 2)]


def test_the_diff_shows_only_changed_lines_of_changed_fields() -> None:
    old = {"hook": "Stuck on a gift?", "beats": ["0-3 s hook", "3-10 s problem"], "caption": "Same"}
    new = {
        "hook": "Stuck on a gift for a 6-year-old?",
        "beats": ["0-3 s hook", "3-10 s mess"],
        "caption": "Same",
    }
    assert diff(old, new) == (
        "hook\n- Stuck on a gift?\n+ Stuck on a gift for a 6-year-old?\n\nbeats\n- 3-10 s problem\n+ 3-10 s mess"
    )
    assert diff(old, old) == ""
