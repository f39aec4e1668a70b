"""What posts wait for after scheduling, beyond their own row: TikTok's inbox limit, the person who
finishes a draft in the app, and what TikTok shows only later (a public id, a draft posted by hand).

The moves of a post's publishing stay in storage/posts.py; these are reads and one write that never
moves a post (its public id, set once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from core.posts import SHARE_WINDOW, Post, PostStatus, inbox_share_problem
from storage.db import affected
from storage.fingerprints import INACTIVE_POST_STATUSES
from storage.models import ChannelRow, ContentRow, PostRow, utcnow


def pending_inbox_times(session: Session, channel_id: int, around: datetime) -> list[datetime]:
    """When the channel's inbox drafts within a day of `around` reach (or reached) TikTok's inbox,
    for those not known to be finished: what core.posts.inbox_share_problem counts."""
    at = func.coalesce(PostRow.init_sent_at, PostRow.scheduled_at)
    return list(
        session.scalars(
            select(at).where(
                PostRow.channel_id == channel_id,
                PostRow.posting_mode == "draft",
                PostRow.status.not_in([*INACTIVE_POST_STATUSES, PostStatus.PUBLISHED.value]),
                at > around - SHARE_WINDOW,
                at < around + SHARE_WINDOW,
            )
        )
    )


def pending_share_problem(session: Session, channel_id: int, at: datetime) -> str | None:
    """Why an inbox draft on the channel at `at` would exceed TikTok's pending shares, or None: the
    scheduling check for draft-mode channels."""
    return inbox_share_problem(at, pending_inbox_times(session, channel_id, at))


@dataclass(frozen=True)
class Handoff:
    """Who finishes a post in the TikTok app, and the product to add there."""

    poster: str
    product: str | None


def handoff(session: Session, post: Post) -> Handoff:
    """The channel's owner (who finishes drafts), else whoever scheduled the post; the content's product."""
    owner = session.scalar(select(ChannelRow.owner_user_id).where(ChannelRow.id == post.channel_id))
    product = session.scalar(select(ContentRow.product).where(ContentRow.id == post.content_id))
    title = product.get("title") if isinstance(product, dict) else None
    return Handoff(owner or post.created_by, str(title) if title else post.product_id)


def awaiting_tiktok(session: Session, since: datetime) -> list[tuple[int, datetime]]:
    """Posts that went out since `since` and wait for TikTok to show something, with when they went
    out: a published post's public id (moderation), or an inbox draft its poster is to post."""
    went_out = func.coalesce(PostRow.published_at, PostRow.init_sent_at, PostRow.scheduled_at)
    rows = session.execute(
        select(PostRow.id, went_out).where(
            PostRow.sandbox.is_(False),
            PostRow.publish_id.is_not(None),
            or_(
                and_(PostRow.status == PostStatus.PUBLISHED.value, PostRow.public_id.is_(None)),
                and_(PostRow.status == PostStatus.AWAITING_POSTER.value, PostRow.posting_mode == "draft"),
            ),
            went_out >= since,
        )
    )
    return [(post_id, at) for post_id, at in rows]


def set_public_id(session: Session, post_id: int, public_id: str) -> bool:
    """A published post's public id, once TikTok shows it; never overwritten."""
    result = session.execute(
        update(PostRow)
        .where(
            PostRow.id == post_id,
            PostRow.status == PostStatus.PUBLISHED.value,
            PostRow.public_id.is_(None),
        )
        .values(public_id=public_id, updated_at=utcnow())
    )
    return affected(result) == 1


def public_id_taken(session: Session, public_id: str) -> bool:
    """Whether a post already has this TikTok video (two drafts with one caption find one video)."""
    return session.scalar(select(PostRow.id).where(PostRow.public_id == public_id).limit(1)) is not None
