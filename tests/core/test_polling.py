"""Which posts are polled for metrics, how often, and in which batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.polling import BATCH_SIZE, PollTarget, due_batches, interval_for, is_stale, next_poll_at, overdue

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
M = timedelta(minutes=1)
H = timedelta(hours=1)


def target(
    post_id: int, *, age: timedelta, last: timedelta | None, account: str = "Air", public_id: str | None = "v"
) -> PollTarget:
    """A post public since T0 - age, last polled at `last` after that (None: never)."""
    since = T0 - age
    return PollTarget(
        post_id=post_id,
        account=account,
        public_id=f"{public_id}{post_id}" if public_id else None,
        public_since=since,
        last_polled=since + last if last is not None else None,
    )


def test_young_posts_are_polled_often_and_old_ones_less() -> None:
    assert interval_for(30 * M) == 5 * M
    assert interval_for(10 * H) == 30 * M
    assert interval_for(10 * 24 * H) == 12 * H
    assert interval_for(200 * 24 * H) is None
    assert next_poll_at(target(1, age=H, last=50 * M)) == T0 - H + 55 * M
    assert next_poll_at(target(2, age=200 * 24 * H, last=199 * 24 * H)) is None


def test_a_post_without_a_public_id_is_never_due_nor_stale() -> None:
    private = target(1, age=5 * H, last=None, public_id=None)
    assert next_poll_at(private) is None and overdue(private, T0) is None
    assert not is_stale(private, T0)
    assert due_batches([private], T0) == []


def test_a_new_public_post_is_due_at_once() -> None:
    assert overdue(target(1, age=2 * M, last=None), T0) == 2 * M


def test_stale_means_a_whole_poll_missed() -> None:
    assert not is_stale(target(1, age=H, last=50 * M), T0)  # due 5 min ago
    assert is_stale(target(2, age=H, last=30 * M), T0)  # due 25 min ago, polled every 5


def test_batches_are_per_account_at_most_20_most_overdue_first() -> None:
    targets = [target(i, age=2 * H, last=H + i * M) for i in range(45)]
    targets += [target(100, age=2 * H, last=None, account="Water")]
    batches = due_batches(targets, T0)
    assert [b.account for b in batches] == ["Water", "Air", "Air", "Air"]
    assert [len(b.post_ids) for b in batches] == [1, 20, 20, 5]
    assert batches[1].post_ids[:3] == (0, 1, 2)  # polled longest ago first
    assert batches[1].public_ids[0] == "v0"
    assert len(due_batches(targets, T0, max_batches=2)) == 2
    with pytest.raises(ValueError, match="batch_size must be 1 to 20"):
        due_batches(targets, T0, batch_size=21)


@given(
    st.lists(
        st.tuples(
            st.integers(0, 60 * 24 * 100),
            st.none() | st.integers(0, 60 * 24 * 100),
            st.sampled_from("ABC"),
            st.booleans(),
        ),
        max_size=80,
    )
)
def test_every_due_post_is_in_exactly_one_batch_of_its_account(
    rows: list[tuple[int, int | None, str, bool]],
) -> None:
    targets = [
        target(
            i,
            age=age * M,
            last=min(last, age) * M if last is not None else None,
            account=acc,
            public_id="v" if public else None,
        )
        for i, (age, last, acc, public) in enumerate(rows)
    ]
    batches = due_batches(targets, T0)
    seen = [p for b in batches for p in b.post_ids]
    assert sorted(seen) == sorted(t.post_id for t in targets if overdue(t, T0) is not None)
    by_id = {t.post_id: t for t in targets}
    for batch in batches:
        assert 1 <= len(batch.post_ids) <= BATCH_SIZE
        assert all(by_id[p].account == batch.account and by_id[p].public_id for p in batch.post_ids)
