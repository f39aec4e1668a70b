"""What App Home reads: each post's snapshots at the edges of the last two weeks, pending reviews per
channel, and firing alerts per channel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Subquery, func, select, true, union
from sqlalchemy.orm import Session, aliased

from core.alert_lifecycle import Alert, AlertState
from core.alerts import PostFacts
from core.content import ContentStatus
from core.metrics import MetricSnapshot
from storage.alerts import firing_alerts, load_post_facts
from storage.metrics import SNAPSHOT_COLUMNS, SNAPSHOT_FIELDS
from storage.models import ChannelRow, ContentRow, LatestSnapshotRow, MetricSnapshotRow, PostRow


def snapshots_before(
    session: Session, moments: Sequence[datetime]
) -> tuple[list[MetricSnapshot], dict[int, int]]:
    """Per post measured since the first of `moments`: its last snapshot before each moment, and its last
    one with saves before each; and each of those posts' channel id.

    One index lookup per post and pick, whatever the number of snapshots: what `core.dashboard`
    needs from two weeks of history without reading it all. One statement, deduplicated by the
    database (the picks often land on the same snapshot).
    """
    posts = (
        select(LatestSnapshotRow.post_id.label("id"))
        .where(LatestSnapshotRow.taken_at >= min(moments))
        .subquery()
    )
    lateral = session.get_bind().dialect.name == "postgresql"
    picks = [_last_before(posts, moment, saves, lateral) for moment in moments for saves in (False, True)]
    rows: list[Any] = list(session.execute(union(*picks)))
    snapshots = [MetricSnapshot(*row) for row in rows]
    channel_of = {
        post: channel
        for post, channel in session.execute(
            select(PostRow.id, PostRow.channel_id).join(posts, posts.c.id == PostRow.id)
        )
    }
    return sorted(snapshots, key=lambda s: (s.post_id, s.taken_at)), channel_of


def _last_before(posts: Subquery, moment: datetime, with_saves: bool, lateral: bool) -> Select[Any]:
    """Each post's last snapshot before `moment` (with saves known, if asked)."""
    candidate = aliased(MetricSnapshotRow)
    last = select(candidate.id, *(getattr(candidate, name) for name in SNAPSHOT_FIELDS)).where(
        candidate.post_id == posts.c.id, candidate.taken_at < moment
    )
    if with_saves:
        last = last.where(candidate.saves.is_not(None))
    last = last.order_by(candidate.taken_at.desc()).limit(1)
    if lateral:
        # PostgreSQL reads the whole row in the one index lookup.
        picked = last.lateral()
        return select(*(picked.c[name] for name in SNAPSHOT_FIELDS)).select_from(posts).join(picked, true())
    # SQLite has no LATERAL: the lookup names the row, which is then read by its id.
    chosen = last.with_only_columns(candidate.id).scalar_subquery()
    return (
        select(*SNAPSHOT_COLUMNS).select_from(posts).join(MetricSnapshotRow, MetricSnapshotRow.id == chosen)
    )


# core.alerts names an account's alerts by its channel: `token_revoked:channel:Air`.
CHANNEL_SUBJECT = "channel:"


def pending_reviews_by_channel(session: Session) -> dict[int | None, int]:
    """Content waiting for a reviewer, per channel id (None: content with no channel yet)."""
    query = (
        select(ContentRow.channel_id, func.count())
        .where(ContentRow.status == ContentStatus.IN_REVIEW.value)
        .group_by(ContentRow.channel_id)
    )
    return {channel: count for channel, count in session.execute(query)}


def alerts_by_channel(session: Session) -> dict[int | None, list[Alert]]:
    """Firing alerts per channel id: a post's alerts under its channel, an account's (`channel:Air`) under
    that channel, and the rest (the clock, the workers, a channel since renamed) under None."""
    # Acknowledged alerts are in someone's hands: the dashboard shows those still asking for one.
    alerts = [alert for alert in firing_alerts(session) if alert.state is AlertState.FIRING]
    posts = {a.post_id for a in alerts if a.post_id is not None}
    by_post = {
        post: channel
        for post, channel in session.execute(
            select(PostRow.id, PostRow.channel_id).where(PostRow.id.in_(posts))
        )
    }
    by_name = {name: channel for name, channel in session.execute(select(ChannelRow.name, ChannelRow.id))}
    grouped: dict[int | None, list[Alert]] = {}
    for alert in alerts:
        if alert.post_id is not None:
            channel = by_post.get(alert.post_id)
        else:
            channel = (
                by_name.get(alert.subject.removeprefix(CHANNEL_SUBJECT))
                if alert.subject.startswith(CHANNEL_SUBJECT)
                else None
            )
        grouped.setdefault(channel, []).append(alert)
    return grouped


def post_labels(session: Session, post_ids: Sequence[int]) -> dict[int, PostFacts]:
    """The few posts a dashboard names, with their channel and the start of their text."""
    if not post_ids:
        return {}
    return {facts.post_id: facts for facts in load_post_facts(session, PostRow.id.in_(post_ids))}
