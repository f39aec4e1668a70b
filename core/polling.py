"""Which posts are due for metric collection, and how they are batched.

A post is polled often while it is young (its views move fastest in its first hours and an
on-call person must hear about 0 views within minutes), less as it ages, and not at all
after `HORIZON`. A post without a public id (private, or still in moderation) is never
polled: its metrics are "unavailable", and never "0 views" or "stale".

The Display API's video query takes at most 20 ids of one account's videos per call, so due
posts are grouped per account and cut into batches of 20, the most overdue first.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

# (age below which, poll every): read top to bottom.
SCHEDULE: tuple[tuple[timedelta, timedelta], ...] = (
    (timedelta(hours=3), timedelta(minutes=5)),
    (timedelta(hours=24), timedelta(minutes=30)),
    (timedelta(days=3), timedelta(hours=2)),
    (timedelta(days=14), timedelta(hours=12)),
    (timedelta(days=90), timedelta(hours=24)),
)
HORIZON = SCHEDULE[-1][0]
BATCH_SIZE = 20  # the Display API's video query takes at most 20 ids


@dataclass(frozen=True)
class PollTarget:
    post_id: int
    account: Hashable  # whose token reads it: the channel (id or name)
    public_id: str | None
    public_since: datetime | None
    last_polled: datetime | None  # its newest snapshot's time

    @property
    def pollable(self) -> bool:
        return bool(self.public_id) and self.public_since is not None


def interval_for(age: timedelta) -> timedelta | None:
    """How often to poll a post of this age since it became public; None once past the horizon."""
    for below, every in SCHEDULE:
        if age < below:
            return every
    return None


def next_poll_at(target: PollTarget) -> datetime | None:
    """When the post should next be polled; None when it is not polled (no public id, too old)."""
    if not target.pollable:
        return None
    assert target.public_since is not None
    if target.last_polled is None:
        return target.public_since
    every = interval_for(max(target.last_polled - target.public_since, timedelta(0)))
    return target.last_polled + every if every is not None else None


def overdue(target: PollTarget, now: datetime) -> timedelta | None:
    """How long past its poll time the post is (zero or more); None when it is not due at all."""
    due = next_poll_at(target)
    if due is None or due > now:
        return None
    return now - due


def is_stale(target: PollTarget, now: datetime) -> bool:
    """The post missed at least one whole poll: its numbers are older than they should be."""
    late = overdue(target, now)
    if late is None or target.public_since is None:
        return False
    every = interval_for(now - target.public_since) or SCHEDULE[-1][1]
    return late > every


@dataclass(frozen=True)
class Batch:
    account: Hashable
    post_ids: tuple[int, ...]
    public_ids: tuple[str, ...]


def due_batches(
    targets: Iterable[PollTarget],
    now: datetime,
    *,
    batch_size: int = BATCH_SIZE,
    max_batches: int | None = None,
) -> list[Batch]:
    """The due posts as per-account batches, most overdue first; at most `max_batches` (the rate limit's share)."""
    if not 1 <= batch_size <= BATCH_SIZE:
        raise ValueError(f"batch_size must be 1 to {BATCH_SIZE}, got {batch_size}")
    due: list[tuple[timedelta, int, PollTarget]] = []
    for target in targets:
        late = overdue(target, now)
        if late is not None:
            due.append((late, target.post_id, target))
    due.sort(key=lambda item: (-item[0], item[1]))
    per_account: dict[Hashable, list[PollTarget]] = {}
    for _, _, target in due:
        per_account.setdefault(target.account, []).append(target)
    batches: list[tuple[timedelta, Batch]] = []
    for account, waiting in per_account.items():
        for start in range(0, len(waiting), batch_size):
            chunk = waiting[start : start + batch_size]
            batch = Batch(
                account=account,
                post_ids=tuple(t.post_id for t in chunk),
                public_ids=tuple(str(t.public_id) for t in chunk),
            )
            batches.append((overdue(chunk[0], now) or timedelta(0), batch))
    batches.sort(key=lambda item: (-item[0], item[1].post_ids[0]))
    chosen = [batch for _, batch in batches]
    return chosen if max_batches is None else chosen[:max_batches]
