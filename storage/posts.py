"""Posts: one version of a content item on one channel at one time, and the moves of its publishing.

Every move is a conditional UPDATE from the states core.posts allows, and a worker's writes are
conditional on its attempt, so a clock, a worker and a person pressing Cancel cannot both win.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from core.posts import CANCELLABLE, Post, PostSettings, PostStatus, TransitionError, sources
from storage.db import affected
from storage.fingerprints import INACTIVE_POST_STATUSES
from storage.models import ChannelRow, ContentRow, PostRow, VersionRow, utcnow

# What a publishing job may take a lease on: a due post, or one whose outcome it resumes.
_LEASABLE = (PostStatus.QUEUED, PostStatus.PUBLISHING, PostStatus.PROCESSING, PostStatus.NEEDS_RECONCILE)


def create_post(
    session: Session,
    *,
    version_id: int,
    channel_id: int,
    scheduled_at: datetime,
    created_by: str,
    status: str = "scheduled",
    product_id: str | None = None,
    **details: Any,
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
        **details,
    )
    session.add(row)
    session.flush()
    return row


def get_post(session: Session, post_id: int) -> Post | None:
    row = session.get(PostRow, post_id, populate_existing=True)
    return _post(session, row) if row else None


def upcoming(session: Session, channel_id: int | None = None, limit: int = 30) -> list[Post]:
    """Posts not yet done, soonest first."""
    done = {*INACTIVE_POST_STATUSES, PostStatus.PUBLISHED.value}
    # The statuses still to go, named: NOT IN would walk every published post in time order first.
    query = select(PostRow).where(PostRow.status.in_([s.value for s in PostStatus if s.value not in done]))
    if channel_id is not None:
        query = query.where(PostRow.channel_id == channel_id)
    rows = session.scalars(query.order_by(PostRow.scheduled_at, PostRow.id).limit(limit))
    return [_post(session, row) for row in rows]


def taken_times(session: Session, channel_id: int, since: datetime, until: datetime) -> list[datetime]:
    """The times of the channel's live posts in [since, until): what slots must keep clear of."""
    return list(
        session.scalars(
            select(PostRow.scheduled_at).where(
                PostRow.channel_id == channel_id,
                PostRow.scheduled_at >= since,
                PostRow.scheduled_at < until,
                PostRow.status.not_in(INACTIVE_POST_STATUSES),
            )
        )
    )


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


def failed_posts(session: Session, channel_id: int) -> list[Post]:
    ids = session.scalars(
        select(PostRow.id).where(PostRow.channel_id == channel_id, PostRow.status == PostStatus.FAILED.value)
    )
    return _posts(session, ids)


def retry(session: Session, post_id: int, now: datetime) -> bool:
    """A failed post back on the schedule, due now. Only from failed (a conditional UPDATE), so two
    presses retry it once; failed never holds a publish_id TikTok may still act on (core.posts)."""
    return _move(
        session,
        post_id,
        PostStatus.SCHEDULED,
        # Not from the other states that may become scheduled: a second press finds it moved on.
        where=(PostRow.status == PostStatus.FAILED.value,),
        scheduled_at=now,
        failure=None,
        log_id=None,
        publish_id=None,
    )


# --- The clock's side -----------------------------------------------------------------------------


def take_due(session: Session, now: datetime, limit: int = 500) -> list[Post]:
    """Due posts moved scheduled → queued as their next attempt, soonest first; the caller enqueues them.

    On PostgreSQL the rows are locked with SKIP LOCKED, so two clocks (a leader change) never take
    the same row; the conditional UPDATE makes that true on SQLite too.
    """
    query = (
        select(PostRow.id)
        .where(PostRow.status == PostStatus.SCHEDULED.value, PostRow.scheduled_at <= now)
        .order_by(PostRow.scheduled_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    taken = [
        post_id
        for post_id in session.scalars(query).all()
        if _move(session, post_id, PostStatus.QUEUED, attempts=PostRow.attempts + 1)
    ]
    return _posts(session, taken)


def lapsed(session: Session, now: datetime) -> list[Post]:
    """Posts whose worker died (the lease lapsed) become needs_reconcile as their next attempt."""
    stale = session.execute(
        select(PostRow.id, PostRow.attempts).where(
            PostRow.status.in_([PostStatus.PUBLISHING.value, PostStatus.PROCESSING.value]),
            PostRow.lease_until < now,
        )
    ).all()
    # A publishing row without a publish_id may still have sent an init whose answer was lost: only
    # TikTok can tell, so it is reconciled too, never simply sent again.
    moved = [
        post_id
        for post_id, attempt in stale
        if _move(
            session,
            post_id,
            PostStatus.NEEDS_RECONCILE,
            attempt=attempt,
            lease_until=None,
            attempts=PostRow.attempts + 1,
        )
    ]
    return _posts(session, moved)


def waiting_for_a_job(session: Session, before: datetime) -> list[Post]:
    """Queued or unsettled posts untouched since `before`: their job may be lost (Redis flushed)."""
    ids = session.scalars(
        select(PostRow.id).where(
            PostRow.status.in_([PostStatus.QUEUED.value, PostStatus.NEEDS_RECONCILE.value]),
            PostRow.updated_at < before,
            or_(PostRow.lease_until.is_(None), PostRow.lease_until < before),
        )
    )
    return _posts(session, ids)


def any_awaiting_poster(session: Session) -> bool:
    """Whether a manual post waits for its poster: the clock enqueues reminders only then."""
    return (
        session.scalar(
            select(PostRow.id)
            .where(PostRow.status == PostStatus.AWAITING_POSTER.value, PostRow.posting_mode == "manual")
            .limit(1)
        )
        is not None
    )


def due_reminders(session: Session, now: datetime, every: timedelta) -> list[Post]:
    """Manual posts still waiting for their poster, not reminded (or handed over) within `every`; each
    is marked reminded now, conditionally, so two clocks never remind twice."""
    waiting = or_(PostRow.reminded_at.is_(None), PostRow.reminded_at <= now - every)
    since = func.coalesce(PostRow.reminded_at, PostRow.started_at, PostRow.updated_at)
    query = select(PostRow.id).where(
        PostRow.status == PostStatus.AWAITING_POSTER.value,
        PostRow.posting_mode == "manual",
        since <= now - every,
    )
    due = []
    for post_id in session.scalars(query).all():
        result = session.execute(
            update(PostRow)
            .where(PostRow.id == post_id, PostRow.status == PostStatus.AWAITING_POSTER.value, waiting)
            .values(reminded_at=now)
        )
        if affected(result) == 1:
            due.append(post_id)
    return _posts(session, due)


# --- The worker's side ----------------------------------------------------------------------------


def claim(session: Session, post_id: int, attempt: int, lease_until: datetime, now: datetime) -> bool:
    """Take the post's lease for attempt `attempt`: a due post becomes publishing; one being resumed
    keeps its state. False when another worker holds it or it moved on."""
    result = session.execute(
        update(PostRow)
        .where(
            PostRow.id == post_id,
            PostRow.attempts == attempt,
            PostRow.status.in_([s.value for s in _LEASABLE]),
            or_(PostRow.lease_until.is_(None), PostRow.lease_until < now),
        )
        .values(lease_until=lease_until)
    )
    if affected(result) != 1:
        return False
    _move(session, post_id, PostStatus.PUBLISHING, attempt=attempt, started_at=now)
    return True


def renew(session: Session, post_id: int, attempt: int, lease_until: datetime) -> bool:
    result = session.execute(
        update(PostRow)
        .where(PostRow.id == post_id, PostRow.attempts == attempt, PostRow.lease_until.is_not(None))
        .values(lease_until=lease_until)
    )
    return affected(result) == 1


def release(session: Session, post_id: int, attempt: int) -> bool:
    """Give the lease back; a post with no publish_id returns to queued for RQ's retry of this attempt."""
    result = session.execute(
        update(PostRow).where(PostRow.id == post_id, PostRow.attempts == attempt).values(lease_until=None)
    )
    row = session.get(PostRow, post_id, populate_existing=True)
    if row is not None and row.status == PostStatus.PUBLISHING.value and row.publish_id is None:
        session.execute(
            update(PostRow)
            .where(PostRow.id == post_id, PostRow.attempts == attempt)
            .values(status=PostStatus.QUEUED.value)
        )
    return affected(result) == 1


def mark_init_sent(session: Session, post_id: int, attempt: int, now: datetime) -> bool:
    """Note that init is about to go out: from here a lost answer means TikTok may have the post."""
    result = session.execute(
        update(PostRow)
        .where(
            PostRow.id == post_id,
            PostRow.attempts == attempt,
            PostRow.status == PostStatus.PUBLISHING.value,
            PostRow.publish_id.is_(None),
        )
        .values(init_sent_at=now)
    )
    return affected(result) == 1


def record_publish_id(session: Session, post_id: int, attempt: int, publish_id: str) -> bool:
    """Keep TikTok's publish_id the moment init answers: from now on the post is only resumed."""
    return _move(session, post_id, PostStatus.PROCESSING, attempt=attempt, publish_id=publish_id)


def move(session: Session, post_id: int, attempt: int | None, target: PostStatus, **values: Any) -> bool:
    """A worker's (attempt) or a person's (None) move; False when the post was not where it could."""
    if target in (
        PostStatus.PUBLISHED,
        PostStatus.FAILED,
        PostStatus.AWAITING_POSTER,
        PostStatus.CANCELLED,
        PostStatus.HELD,
    ):
        values.setdefault("lease_until", None)
    return _move(session, post_id, target, attempt=attempt, **values)


def release_held(session: Session, post_id: int, now: datetime, **values: Any) -> bool:
    """A held post back on the schedule at `now` (a person chose); False when it is not held."""
    held = [PostRow.status == PostStatus.HELD.value]
    return _move(
        session, post_id, PostStatus.SCHEDULED, where=held, scheduled_at=now, hold_reason=None, **values
    )


def cancel(session: Session, post_id: int) -> Post:
    if not _move(session, post_id, PostStatus.CANCELLED, lease_until=None):
        post = get_post(session, post_id)
        if post is None:
            raise TransitionError(f"there is no post {post_id}")
        raise TransitionError(
            f"post {post_id} is {post.status.label}; only {_labels(CANCELLABLE)} posts can be cancelled"
        )
    post = get_post(session, post_id)
    assert post is not None
    return post


def set_thread(session: Session, post_id: int, channel: str, ts: str) -> None:
    session.execute(update(PostRow).where(PostRow.id == post_id).values(slack_channel=channel, slack_ts=ts))


# --- Rows to values -------------------------------------------------------------------------------


def _move(
    session: Session,
    post_id: int,
    target: PostStatus,
    *,
    attempt: int | None = None,
    where: Iterable[ColumnElement[bool]] = (),
    **values: Any,
) -> bool:
    conditions: list[ColumnElement[bool]] = [
        PostRow.id == post_id,
        PostRow.status.in_([s.value for s in sources(target)]),
        *where,
    ]
    if attempt is not None:
        conditions.append(PostRow.attempts == attempt)
    if target in (PostStatus.SCHEDULED, PostStatus.QUEUED):
        # A post holding a publish_id is resumed, never sent again (core.posts), unless TikTok failed it.
        conditions.append(or_(PostRow.publish_id.is_(None), PostRow.status == PostStatus.FAILED.value))
    result = session.execute(
        update(PostRow).where(*conditions).values(status=target.value, updated_at=utcnow(), **values)
    )
    return affected(result) == 1


def _labels(states: Iterable[PostStatus]) -> str:
    return ", ".join(sorted(s.label for s in states))


def _posts(session: Session, ids: Iterable[int]) -> list[Post]:
    wanted = list(ids)
    if not wanted:
        return []
    rows = session.scalars(select(PostRow).where(PostRow.id.in_(wanted)).order_by(PostRow.scheduled_at))
    return [_post(session, row) for row in rows]


def _post(session: Session, row: PostRow) -> Post:
    channel_name = session.scalar(select(ChannelRow.name).where(ChannelRow.id == row.channel_id)) or ""
    return Post(
        id=row.id,
        content_id=row.content_id,
        version_id=row.version_id,
        channel_id=row.channel_id,
        channel_name=channel_name,
        scheduled_at=row.scheduled_at,
        status=PostStatus(row.status),
        posting_mode=row.posting_mode,
        caption=row.caption,
        media=row.media,
        privacy_level=row.privacy_level,
        sandbox=row.sandbox,
        attempts=row.attempts,
        publish_id=row.publish_id,
        public_id=row.public_id,
        product_id=row.product_id,
        failure=row.failure,
        log_id=row.log_id,
        created_by=row.created_by,
        slack_channel=row.slack_channel,
        slack_ts=row.slack_ts,
        started_at=row.started_at,
        published_at=row.published_at,
        init_sent_at=row.init_sent_at,
        hold_reason=row.hold_reason,
        settings=PostSettings(
            allow_comment=row.allow_comment,
            allow_duet=row.allow_duet,
            allow_stitch=row.allow_stitch,
            brand_organic=row.brand_organic,
            brand_content=row.brand_content,
        ),
        override=row.override,
    )


# --- Product tags, the day after -------------------------------------------------------------------


def untag_checked(session: Session, since: datetime, before: datetime) -> list[Post]:
    """Published posts with a shop product, out in [since, before), whose tag nobody has read yet."""
    ids = session.scalars(
        select(PostRow.id).where(
            PostRow.status == PostStatus.PUBLISHED.value,
            PostRow.product_id.is_not(None),
            PostRow.tag_checked_at.is_(None),
            PostRow.published_at >= since,
            PostRow.published_at < before,
        )
    )
    return _posts(session, ids)


def mark_tag_checked(session: Session, post_id: int, now: datetime) -> bool:
    """True for the one caller that marks it: a job run twice reports once."""
    result = session.execute(
        update(PostRow)
        .where(PostRow.id == post_id, PostRow.tag_checked_at.is_(None))
        .values(tag_checked_at=now)
    )
    return affected(result) == 1
