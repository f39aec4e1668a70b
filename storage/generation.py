"""Generation's side of a content item: the job's claim, lease, release, failure and finished version,
and the clock's sweep for generations whose worker died or whose job was lost.

Every change is a conditional UPDATE from the states `core.content` allows (`storage.contents.move`), for
the attempt the job was queued for, so a job that runs twice, or late, changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.content import CLAIMABLE, Content, ContentStatus
from core.versions import Version
from storage.contents import add_version, contents_of, move, status_values, version_of
from storage.db import affected
from storage.models import ContentRow


def claim(session: Session, content_id: int, attempt: int, lease_until: datetime) -> bool:
    """Take the row for generation attempt `attempt`; False when it is not there to take."""
    return move(session, content_id, ContentStatus.GENERATING, attempt=attempt, lease_until=lease_until)


def renew(session: Session, content_id: int, attempt: int, lease_until: datetime) -> bool:
    """Extend the lease of a generation still running; False when the row was taken back."""
    result = session.execute(
        update(ContentRow)
        .where(
            ContentRow.id == content_id,
            ContentRow.attempts == attempt,
            ContentRow.status == ContentStatus.GENERATING.value,
        )
        .values(lease_until=lease_until)
    )
    return affected(result) == 1


def release(session: Session, content_id: int, attempt: int) -> bool:
    """Give a claimed row back to the queue, for the same attempt to try again later."""
    return move(
        session,
        content_id,
        ContentStatus.QUEUED,
        from_={ContentStatus.GENERATING},
        attempt=attempt,
        lease_until=None,
    )


def fail(session: Session, content_id: int, attempt: int, reason: str) -> bool:
    return move(session, content_id, ContentStatus.FAILED, attempt=attempt, failure=reason, lease_until=None)


def finish(
    session: Session,
    content_id: int,
    attempt: int,
    fields: Mapping[str, Any],
    *,
    element: str,
    element_reason: str,
    template_version_ids: Sequence[int],
    **details: Any,
) -> Version | None:
    """Write the generated version and put the content in review; None when the claim was lost.

    The version is credited to the first of `template_version_ids` (what posts copy for performance)."""
    row = session.get(ContentRow, content_id, populate_existing=True)
    if row is None:
        return None
    feedback = row.feedback
    moved = move(
        session,
        content_id,
        ContentStatus.IN_REVIEW,
        from_={ContentStatus.GENERATING},
        attempt=attempt,
        lease_until=None,
        feedback=None,
        failure=None,
        element=element,
        element_reason=element_reason,
    )
    if not moved:
        return None
    version = add_version(
        session,
        content_id,
        fields,
        author_kind="agent",
        author_id=row.agent,
        feedback=feedback,
        template_version_id=template_version_ids[0] if template_version_ids else None,
        template_version_ids=list(template_version_ids),
        **details,
    )
    return version_of(version)


def requeue_lapsed(session: Session, now: datetime) -> list[Content]:
    """Generations whose lease lapsed (the worker died) back in the queue, each as its next attempt."""
    stale = session.execute(
        select(ContentRow.id, ContentRow.attempts).where(
            ContentRow.status == ContentStatus.GENERATING.value, ContentRow.lease_until < now
        )
    ).all()
    requeued = []
    for content_id, attempt in stale:
        if move(
            session,
            content_id,
            ContentStatus.QUEUED,
            from_={ContentStatus.GENERATING},
            attempt=attempt,
            attempts=ContentRow.attempts + 1,
            lease_until=None,
        ):
            requeued.append(content_id)
    return contents_of(session, requeued)


def queued_since(session: Session, before: datetime) -> list[Content]:
    """Content waiting to be generated that nobody touched since `before`: its job may be lost."""
    ids = session.scalars(
        select(ContentRow.id).where(
            ContentRow.status.in_(status_values(CLAIMABLE)), ContentRow.updated_at < before
        )
    )
    return contents_of(session, ids)


def next_attempt(session: Session, content_id: int, attempt: int) -> bool:
    """Move waiting content from `attempt` to the next one (its job for `attempt` is dead)."""
    result = session.execute(
        update(ContentRow)
        .where(
            ContentRow.id == content_id,
            ContentRow.attempts == attempt,
            ContentRow.status.in_(status_values(CLAIMABLE)),
        )
        .values(attempts=ContentRow.attempts + 1)
    )
    return affected(result) == 1
