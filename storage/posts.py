"""Posts: one version of a content item on one channel at one time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.fingerprints import INACTIVE_POST_STATUSES
from storage.models import ContentRow, PostRow, VersionRow


def create_post(
    session: Session,
    *,
    version_id: int,
    channel_id: int,
    scheduled_at: datetime,
    created_by: str,
    status: str = "scheduled",
    product_id: str | None = None,
) -> PostRow:
    version = session.get_one(VersionRow, version_id)
    content = session.get_one(ContentRow, version.content_id)
    # A post keeps the template version and experiment variant it came from, for A/B reports.
    row = PostRow(
        content_id=version.content_id,
        version_id=version_id,
        channel_id=channel_id,
        scheduled_at=scheduled_at,
        status=status,
        product_id=product_id,
        template_version_id=version.template_version_id,
        experiment_variant_id=content.experiment_variant_id,
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    return row


def count_scheduled(session: Session, since: datetime, until: datetime) -> dict[int, int]:
    """Active posts per channel whose time falls in [since, until)."""
    query = (
        select(PostRow.channel_id, func.count())
        .where(
            PostRow.scheduled_at >= since,
            PostRow.scheduled_at < until,
            PostRow.status.not_in(INACTIVE_POST_STATUSES),
        )
        .group_by(PostRow.channel_id)
    )
    return {channel_id: count for channel_id, count in session.execute(query)}
