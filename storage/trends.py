"""What trends, the digest and metric collection read: snapshots with their baseline, post groups,
posts due for polling, and the posts of a day."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from core.alerts import PostFacts
from core.content import ContentStatus
from core.metrics import MetricSnapshot
from core.polling import HORIZON, PollTarget
from core.posts import PostStatus
from storage.alerts import PUBLIC_ID, load_post_facts
from storage.metrics import SNAPSHOT_COLUMNS, snapshot_from
from storage.models import (
    ChannelRow,
    ContentRow,
    ExperimentRow,
    ExperimentVariantRow,
    LatestSnapshotRow,
    MetricSnapshotRow,
    PostRow,
    TemplateRow,
    TemplateVersionRow,
)

GroupBy = Literal["channel", "template", "variant"]


def snapshots_with_baseline(
    session: Session, since: datetime, until: datetime, *, channel_id: int | None = None
) -> list[MetricSnapshot]:
    """Snapshots taken in [since, until), and each of those posts' last one before `since` and last one
    with saves before `since`: `core.trends` needs that baseline so a post's earlier life is not counted
    in the period."""
    in_window = and_(MetricSnapshotRow.taken_at >= since, MetricSnapshotRow.taken_at < until)
    window = select(*SNAPSHOT_COLUMNS).where(in_window)
    if channel_id is not None:
        window = window.join(PostRow, PostRow.id == MetricSnapshotRow.post_id).where(
            PostRow.channel_id == channel_id
        )
    snapshots = [snapshot_from(row) for row in session.execute(window)]
    measured = {snap.post_id for snap in snapshots}
    if not measured:
        return []
    # The last snapshot before `since`, and the last one that knew saves (often older: the Display API
    # knows none), or the saves of a post's earlier life would count in the period.
    for known in (None, MetricSnapshotRow.saves.is_not(None)):
        before = select(
            MetricSnapshotRow.post_id, func.max(MetricSnapshotRow.taken_at).label("taken_at")
        ).where(MetricSnapshotRow.taken_at < since, MetricSnapshotRow.post_id.in_(measured))
        if known is not None:
            before = before.where(known)
        latest = before.group_by(MetricSnapshotRow.post_id).subquery()
        baseline = select(*SNAPSHOT_COLUMNS).join(
            latest,
            and_(
                MetricSnapshotRow.post_id == latest.c.post_id, MetricSnapshotRow.taken_at == latest.c.taken_at
            ),
        )
        if known is not None:
            baseline = baseline.where(known)
        snapshots += [snapshot_from(row) for row in session.execute(baseline)]
    unique = {(s.post_id, s.taken_at, s.source): s for s in snapshots}
    snapshots = list(unique.values())
    return sorted(snapshots, key=lambda s: (s.post_id, s.taken_at))


def post_groups(session: Session, by: GroupBy) -> dict[int, str]:
    """Post id → its channel, template version (`hook-unbox v2`) or experiment variant (`Hooks Nov · B`).

    Posts with no template or variant are left out of those groupings.
    """
    if by == "channel":
        query = select(PostRow.id, ChannelRow.name).join(ChannelRow, ChannelRow.id == PostRow.channel_id)
        return {post: name for post, name in session.execute(query)}
    if by == "template":
        template_query = (
            select(PostRow.id, TemplateRow.key, TemplateVersionRow.number)
            .join(TemplateVersionRow, TemplateVersionRow.id == PostRow.template_version_id)
            .join(TemplateRow, TemplateRow.id == TemplateVersionRow.template_id)
        )
        return {post: f"{key} v{number}" for post, key, number in session.execute(template_query)}
    variant_query = (
        select(PostRow.id, ExperimentRow.name, ExperimentVariantRow.label)
        .join(ExperimentVariantRow, ExperimentVariantRow.id == PostRow.experiment_variant_id)
        .join(ExperimentRow, ExperimentRow.id == ExperimentVariantRow.experiment_id)
    )
    return {post: f"{name} · {label}" for post, name, label in session.execute(variant_query)}


def poll_targets(session: Session, now: datetime) -> list[PollTarget]:
    """Published posts within the polling horizon, with their account (channel id) and last snapshot time.

    Posts without a public id are included: `core.polling` keeps them out of every batch.
    """
    query = (
        select(
            PostRow.id,
            PostRow.channel_id,
            PUBLIC_ID.label("public_id"),
            PostRow.published_at,
            LatestSnapshotRow.taken_at,
        )
        .outerjoin(LatestSnapshotRow, LatestSnapshotRow.post_id == PostRow.id)
        .where(PostRow.status == PostStatus.PUBLISHED.value, PostRow.published_at >= now - HORIZON)
    )
    return [
        PollTarget(
            post_id=row.id,
            account=row.channel_id,
            public_id=row.public_id,
            public_since=row.published_at,
            last_polled=row.taken_at,
        )
        for row in session.execute(query)
    ]


def posts_of_day(session: Session, start: datetime, end: datetime) -> list[PostFacts]:
    """Posts due, gone public or measured in [start, end): the digest's posts for that day."""
    measured = select(MetricSnapshotRow.post_id).where(
        MetricSnapshotRow.taken_at >= start, MetricSnapshotRow.taken_at < end
    )
    return load_post_facts(
        session,
        or_(
            and_(PostRow.scheduled_at >= start, PostRow.scheduled_at < end),
            and_(PostRow.published_at >= start, PostRow.published_at < end),
            PostRow.id.in_(measured),
        ),
    )


def pending_reviews(session: Session) -> int:
    query = (
        select(func.count()).select_from(ContentRow).where(ContentRow.status == ContentStatus.IN_REVIEW.value)
    )
    return session.scalar(query) or 0
