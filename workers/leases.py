"""One lifecycle for jobs that own a database row while they work: generation now, posting next.

A job's steps, in order (the row's repository and the job supply them as `LeasedJob`):

    claim     a conditional UPDATE takes the row for this attempt, with a short lease; a job that
              finds the row taken, done or moved on to a later attempt does nothing
    renew     a thread extends the lease every third of its length while the job works, so a dead
              worker's row is noticed within one lease, however long a live job takes
    work      the job's own work; it raises `JobError` to fail, saying whether a retry may help
    release   a retryable failure gives the row back (same attempt) and RQ runs the job again later
    give_up   a failure for good: the row is marked failed and the people who care are told

The clock's side is the repository's `requeue_lapsed`: a row whose lease lapsed goes to its next
attempt, whose job (a new id) is enqueued. Every write is conditional on the attempt, so a worker
that was presumed dead and wakes up can no longer change the row.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

from rq import Retry, get_current_job
from sqlalchemy.orm import Session

from storage.db import session_scope

log = logging.getLogger(__name__)

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class JobError(Exception):
    """Why a job's work failed, in words for a person, and whether trying again may help."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


@dataclass(frozen=True)
class Policy:
    lease: timedelta
    # RQ runs a retryable failure again after each interval in turn, then the job gives up.
    retry_intervals: Sequence[int] = ()

    @property
    def renew_every(self) -> float:
        return self.lease.total_seconds() / 3


@dataclass
class Lease:
    """The row a job holds; `lost` is set once a renewal found it taken back."""

    row_id: int
    attempt: int
    lost: threading.Event = field(default_factory=threading.Event)


class LeasedJob(Protocol[T_co]):
    """What one kind of leased job supplies: its row's conditional writes and its work."""

    row_id: int
    attempt: int

    def claim(self, session: Session, until: datetime) -> bool: ...
    def renew(self, session: Session, until: datetime) -> bool: ...
    def release(self, session: Session) -> bool: ...
    def work(self, lease: Lease) -> T_co: ...
    def give_up(self, reason: str) -> T_co: ...
    def not_claimed(self) -> T_co: ...


def run(job: LeasedJob[T], database_url: str, policy: Policy) -> T | Retry:
    """Claim, work under a renewed lease, and release or give up on failure."""
    with hold(job, database_url, policy) as lease:
        if lease is None:
            return job.not_claimed()
        try:
            return job.work(lease)
        except JobError as exc:
            failure = exc
    # The renewals have stopped: the row is released or failed without a renewal racing it.
    if failure.retryable and _retries_left(policy):
        with session_scope(database_url) as session:
            job.release(session)
        log.warning("%s: %s; trying again later", _name(job), failure.reason)
        return Retry(max=len(policy.retry_intervals), interval=list(policy.retry_intervals))
    return job.give_up(failure.reason)


@contextmanager
def hold(job: LeasedJob[T], database_url: str, policy: Policy) -> Iterator[Lease | None]:
    """The row claimed for this attempt and its lease renewed until the block ends; None when the
    row was not there to take."""
    with session_scope(database_url) as session:
        claimed = job.claim(session, _now() + policy.lease)
    if not claimed:
        yield None
        return
    lease = Lease(job.row_id, job.attempt)
    done = threading.Event()
    renewer = threading.Thread(
        target=_renew, args=(job, database_url, policy, lease, done), name=f"lease-{_name(job)}", daemon=True
    )
    renewer.start()
    try:
        yield lease
    finally:
        done.set()
        renewer.join()


def _renew(job: LeasedJob[T], database_url: str, policy: Policy, lease: Lease, done: threading.Event) -> None:
    while not done.wait(policy.renew_every):
        try:
            with session_scope(database_url) as session:
                kept = job.renew(session, _now() + policy.lease)
        except Exception as exc:  # a database hiccup: the next renewal may succeed within the lease
            log.warning("%s: could not renew its lease: %s", _name(job), exc)
            continue
        if not kept:
            log.warning("%s: its row was taken back (lease lapsed); it will not write", _name(job))
            lease.lost.set()
            return


def _retries_left(policy: Policy) -> bool:
    current = get_current_job()
    return current is not None and (current.number_of_retries or 0) < len(policy.retry_intervals)


def _name(job: LeasedJob[T]) -> str:
    return f"{type(job).__name__.lower()} {job.row_id} attempt {job.attempt}"


def _now() -> datetime:
    return datetime.now(UTC)
