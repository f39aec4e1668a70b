"""Published posts with metric snapshots, made through the storage functions the app uses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from core.metrics import MetricSnapshot
from storage.contents import add_version, create_content
from storage.metrics import record_snapshot
from storage.models import PostRow
from storage.posts import create_post

PUBLISHED = datetime(2026, 11, 1, 18, 0, tzinfo=UTC)


def publish_post(
    session: Session,
    *,
    channel_id: int,
    template_version_id: int | None,
    variant_id: int | None = None,
    snapshots: Sequence[tuple[float, int, int | None]] = (),
    published_at: datetime = PUBLISHED,
) -> int:
    """A post written from `template_version_id` (in experiment variant `variant_id`), published at
    `published_at`, with a snapshot per (hours after publishing, views, saves); returns the post id."""
    content = create_content(
        session,
        agent="tiktok_hook",
        channel_id=channel_id,
        requester_id="U0BOB",
        status="approved",
        template_version_id=template_version_id,
        experiment_variant_id=variant_id,
    )
    version = add_version(
        session,
        content.id,
        {"caption": f"post of content {content.id}"},
        author_kind="agent",
        author_id="writer",
        template_version_id=template_version_id,
    )
    post = create_post(
        session,
        version_id=version.id,
        channel_id=channel_id,
        scheduled_at=published_at,
        created_by="U0BOB",
        status="published",
    )
    # Publishing arrives with the scheduling surface; until then the test sets the time itself.
    session.get_one(PostRow, post.id).published_at = published_at
    for hours, views, saves in snapshots:
        record_snapshot(
            session,
            MetricSnapshot(
                post_id=post.id,
                taken_at=published_at + timedelta(hours=hours),
                views=views,
                saves=saves,
                source="test",
            ),
        )
    session.flush()
    return post.id
