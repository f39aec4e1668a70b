"""Bulk schedules: the batch row, its posts written in one go, and the Undo that cancels them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.bulk import Batch
from core.posts import Post, PostStatus
from storage.db import affected
from storage.models import BulkBatchRow, ContentRow, PostRow, VersionRow, utcnow
from storage.posts import _posts

# Undo cancels what has not begun to go out; anything further on is said to have gone.
NOT_STARTED = (PostStatus.SCHEDULED.value, PostStatus.QUEUED.value)


def create_batch(
    session: Session, *, created_by: str, file_name: str | None, file_url: str | None, text: str | None
) -> Batch:
    row = BulkBatchRow(
        created_by=created_by, file_name=file_name, file_url=file_url, text=text, status="checking", rows=0
    )
    session.add(row)
    session.flush()
    return _batch(row)


def get_batch(session: Session, batch_id: int) -> Batch | None:
    row = session.get(BulkBatchRow, batch_id, populate_existing=True)
    return _batch(row) if row else None


def set_message(session: Session, batch_id: int, channel: str, ts: str) -> None:
    session.execute(
        update(BulkBatchRow).where(BulkBatchRow.id == batch_id).values(slack_channel=channel, slack_ts=ts)
    )


def refuse(session: Session, batch_id: int, rows: int) -> bool:
    result = session.execute(
        update(BulkBatchRow)
        .where(BulkBatchRow.id == batch_id, BulkBatchRow.status == "checking")
        .values(status="refused", rows=rows, finished_at=utcnow())
    )
    return affected(result) == 1


def schedule_batch(session: Session, batch_id: int, posts: Sequence[Mapping[str, Any]]) -> list[int] | None:
    """Write every post of the batch (create_post's columns each) and mark it scheduled; None when the
    batch was already decided (a job run twice). The caller's transaction makes it all or nothing."""
    result = session.execute(
        update(BulkBatchRow)
        .where(BulkBatchRow.id == batch_id, BulkBatchRow.status == "checking")
        .values(status="scheduled", rows=len(posts), finished_at=utcnow())
    )
    if affected(result) != 1:
        return None
    version_ids = list({p["version_id"] for p in posts})
    versions = {
        row.id: row
        for row in session.execute(
            select(VersionRow.id, VersionRow.content_id, VersionRow.template_version_id).where(
                VersionRow.id.in_(version_ids)
            )
        )
    }
    content_ids = list({v.content_id for v in versions.values()})
    variants: dict[int, int | None] = {
        content_id: variant
        for content_id, variant in session.execute(
            select(ContentRow.id, ContentRow.experiment_variant_id).where(ContentRow.id.in_(content_ids))
        )
    }
    rows = []
    for columns in posts:
        version = versions[columns["version_id"]]
        # As create_post: a post keeps the template version and experiment variant it came from.
        rows.append(
            PostRow(
                content_id=version.content_id,
                template_version_id=version.template_version_id,
                experiment_variant_id=variants.get(version.content_id),
                status=PostStatus.SCHEDULED.value,
                batch_id=batch_id,
                **columns,
            )
        )
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def batch_posts(session: Session, batch_id: int) -> list[Post]:
    ids = session.scalars(select(PostRow.id).where(PostRow.batch_id == batch_id))
    return _posts(session, ids)


def undo(session: Session, batch_id: int, user_id: str, now: datetime) -> list[Post]:
    """Cancel the batch's posts that have not started; every post of the batch, as it now is."""
    session.execute(
        update(PostRow)
        .where(PostRow.batch_id == batch_id, PostRow.status.in_(NOT_STARTED))
        .values(status=PostStatus.CANCELLED.value, lease_until=None, updated_at=now)
    )
    session.execute(
        update(BulkBatchRow)
        .where(BulkBatchRow.id == batch_id, BulkBatchRow.undone_at.is_(None))
        .values(undone_by=user_id, undone_at=now)
    )
    return batch_posts(session, batch_id)


def _batch(row: BulkBatchRow) -> Batch:
    return Batch(
        id=row.id,
        created_by=row.created_by,
        file_name=row.file_name,
        file_url=row.file_url,
        text=row.text,
        status=row.status,
        rows=row.rows,
        slack_channel=row.slack_channel,
        slack_ts=row.slack_ts,
        undone_by=row.undone_by,
    )
