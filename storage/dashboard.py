"""What App Home reads: each post's snapshots at the edges of the last two weeks, pending reviews per
channel, and firing alerts per channel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from core.alert_lifecycle import Alert, AlertState
from core.alerts import PostFacts
from core.content import ContentStatus
from core.metrics import MetricSnapshot
from storage.alerts import list_alerts, load_post_facts
from storage.metrics import SNAPSHOT_COLUMNS, snapshot_from
from storage.models import ChannelRow, ContentRow, LatestSnapshotRow, MetricSnapshotRow, PostRow


def snapshots_before(
    session: Session, moments: Sequence[datetime]
) -> tuple[list[MetricSnapshot], dict[int, int]]:
    """Per post measured since the first of `moments`: its last snapshot before each moment, and its last
    one with saves before each; and each of those posts' channel id.

    Two index lookups per post and moment, whatever the number of snapshots: what `core.dashboard`
    needs from two weeks of history without reading it all.
    """
    first = min(moments)
    posts = (
        select(PostRow.id, PostRow.channel_id)
        .join(LatestSnapshotRow, LatestSnapshotRow.post_id == PostRow.id)
        .where(LatestSnapshotRow.taken_at >= first)
        .subquery()
    )
    picks: list[Any] = []
    for moment in moments:
        for with_saves in (False, True):
            picks.append(_last_before(posts.c.id, moment, with_saves).label(f"s{len(picks)}"))
    rows = session.execute(select(posts.c.id, posts.c.channel_id, *picks)).all()
    channel_of = {row[0]: row[1] for row in rows}
    ids = {snapshot_id for row in rows for snapshot_id in row[2:] if snapshot_id is not None}
    snapshots = []
    for chunk in _chunks(sorted(ids), 5000):
        query = select(*SNAPSHOT_COLUMNS).where(MetricSnapshotRow.id.in_(chunk))
        snapshots += [snapshot_from(row) for row in session.execute(query)]
    return sorted(snapshots, key=lambda s: (s.post_id, s.taken_at)), channel_of


def _last_before(post_id: Any, moment: datetime, with_saves: bool) -> Any:
    candidate = aliased(MetricSnapshotRow)
    pick: Select[Any] = select(candidate.id).where(candidate.post_id == post_id, candidate.taken_at < moment)
    if with_saves:
        pick = pick.where(candidate.saves.is_not(None))
    return pick.order_by(candidate.taken_at.desc()).limit(1).scalar_subquery()


def _chunks(values: list[int], size: int) -> list[list[int]]:
    return [values[start : start + size] for start in range(0, len(values), size)]


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


def firing_alerts(session: Session) -> list[Alert]:
    """Alerts firing now (acknowledged ones are in hand), most severe first.

    Stands in for storage.alerts.firing_alerts until the alerts work brings it: import that instead.
    """
    return list_alerts(session, (AlertState.FIRING.value,))


def alerts_by_channel(session: Session) -> dict[int | None, list[Alert]]:
    """Firing alerts per channel id: a post's alerts under its channel, an account's (`channel:Air`) under
    that channel, and the rest (the clock, the workers, a channel since renamed) under None."""
    alerts = firing_alerts(session)
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
