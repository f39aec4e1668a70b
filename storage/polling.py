"""What metric collection reads and writes: the posts to poll, those still waiting for a public id.

A post is polled through the Display API by its public id (TikTok's video id), with its channel's
token; a sandbox post never reached TikTok and is not polled. A post TikTok published without a public
id yet (in moderation, or whose id comes late) is asked about by its publish id until one appears or
`PUBLIC_ID_WAIT` passes; a private post never gets one, and its metrics stay "unavailable".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from core.accounts import AccountState
from core.polling import HORIZON, PollTarget
from core.posts import PostStatus
from storage.alerts import PUBLIC_ID
from storage.db import affected
from storage.models import LatestSnapshotRow, PostRow, TikTokAccountRow

# Moderation usually takes minutes; a post with no public id after this is taken to be private.
PUBLIC_ID_WAIT = timedelta(hours=48)
# Posts whose privacy may let them be public: direct posts to everyone, and inbox drafts (the creator
# picks the privacy in the app).
MAY_BE_PUBLIC = ("PUBLIC_TO_EVERYONE",)


def _on_tiktok(now: datetime, since: timedelta) -> list[ColumnElement[bool]]:
    """Published through TikTok within `since`, on a channel whose account is connected (a revoked one
    cannot be asked: its metrics go stale, and its alert says why)."""
    connected = select(TikTokAccountRow.channel_id).where(
        TikTokAccountRow.state == AccountState.CONNECTED.value
    )
    return [
        PostRow.status == PostStatus.PUBLISHED.value,
        PostRow.sandbox.is_(False),
        PostRow.published_at >= now - since,
        PostRow.channel_id.in_(connected),
    ]


def poll_targets(session: Session, now: datetime) -> list[PollTarget]:
    """Published posts with a public id, within the polling horizon, with when each was last measured."""
    query = (
        select(PostRow.id, PostRow.channel_id, PUBLIC_ID, PostRow.published_at, LatestSnapshotRow.taken_at)
        .outerjoin(LatestSnapshotRow, LatestSnapshotRow.post_id == PostRow.id)
        .where(*_on_tiktok(now, HORIZON), PUBLIC_ID.is_not(None))
    )
    return [
        PollTarget(post_id=post_id, account=channel, public_id=public, public_since=since, last_polled=taken)
        for post_id, channel, public, since, taken in session.execute(query)
    ]


@dataclass(frozen=True)
class AwaitingId:
    post_id: int
    channel_id: int
    publish_id: str
    published_at: datetime


def awaiting_public_id(session: Session, now: datetime) -> list[AwaitingId]:
    """Posts TikTok published whose public id has not come yet, and may still come."""
    query = select(PostRow.id, PostRow.channel_id, PostRow.publish_id, PostRow.published_at).where(
        *_on_tiktok(now, PUBLIC_ID_WAIT),
        PUBLIC_ID.is_(None),
        PostRow.publish_id.is_not(None),
        or_(
            PostRow.privacy_level.in_(MAY_BE_PUBLIC),
            and_(PostRow.privacy_level.is_(None), PostRow.posting_mode == "draft"),
        ),
    )
    return [
        AwaitingId(post_id, channel_id, publish_id, published_at)
        for post_id, channel_id, publish_id, published_at in session.execute(query)
        if publish_id is not None and published_at is not None
    ]


def set_public_id(session: Session, post_id: int, public_id: str) -> bool:
    """Store the public id TikTok gave late; False when the post had one already."""
    result = session.execute(
        update(PostRow)
        .where(PostRow.id == post_id, PostRow.public_id.is_(None))
        .values(public_id=public_id)
        .execution_options(synchronize_session=False)
    )
    return affected(result) == 1
