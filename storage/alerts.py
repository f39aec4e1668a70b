"""Alerts in the database: applying `core.alert_lifecycle.decide` exactly once, and the facts rules read.

Two workers may evaluate the same snapshot at the same moment and decide the same action.
Only one of them may change the row: a new key is an INSERT that does nothing when the key
exists, and every other change is an UPDATE guarded by the revision the decision was made
on. The loser's statement changes no row, and it reports NOTHING, so it sends no message.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.accounts import AccountState
from core.alert_lifecycle import (
    Action,
    ActionKind,
    Alert,
    AlertState,
    acknowledge,
    decide,
    resolve_by_hand,
    snooze,
)
from core.alerts import POST_STATES_NOT_OUT, AccountFacts, Condition, Facts, PostFacts, Route, Severity
from core.metrics import MetricSnapshot
from core.polling import HORIZON
from core.posts import PostStatus
from storage.heartbeats import last_beats
from storage.metrics import LATEST_COLUMNS, SNAPSHOT_COLUMNS, snapshot_from
from storage.models import (
    AlertRow,
    ChannelRow,
    LatestSnapshotRow,
    MetricSnapshotRow,
    PostRow,
    TikTokAccountRow,
    VersionRow,
)

OPEN_STATES = (AlertState.FIRING.value, AlertState.ACKNOWLEDGED.value)
LABEL_CHARS = 40
# TikTok's id of the public video: publishing stores it as public_id; CSV imports matched tiktok_video_id.
PUBLIC_ID = func.coalesce(PostRow.public_id, PostRow.tiktok_video_id)


def to_alert(row: AlertRow) -> Alert:
    return Alert(
        key=row.key,
        rule=row.rule,
        subject=row.subject,
        severity=Severity(row.severity),
        state=AlertState(row.state),
        summary=row.summary,
        first_fired_at=row.first_fired_at,
        last_fired_at=row.last_fired_at,
        repeat_every=timedelta(seconds=row.repeat_every_seconds) if row.repeat_every_seconds else None,
        post_id=row.post_id,
        routes=tuple(Route(r) for r in row.routes),
        repeat_count=row.repeat_count,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=row.acknowledged_at,
        snoozed_until=row.snoozed_until,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
        slack_channel=row.slack_channel,
        slack_ts=row.slack_ts,
        revision=row.revision,
    )


def _columns(alert: Alert) -> dict[str, Any]:
    return {
        "key": alert.key,
        "rule": alert.rule,
        "subject": alert.subject,
        "severity": alert.severity.value,
        "state": alert.state.value,
        "summary": alert.summary,
        "first_fired_at": alert.first_fired_at,
        "last_fired_at": alert.last_fired_at,
        "repeat_every_seconds": int(alert.repeat_every.total_seconds()) if alert.repeat_every else None,
        "post_id": alert.post_id,
        "routes": [r.value for r in alert.routes],
        "repeat_count": alert.repeat_count,
        "acknowledged_by": alert.acknowledged_by,
        "acknowledged_at": alert.acknowledged_at,
        "snoozed_until": alert.snoozed_until,
        "resolved_at": alert.resolved_at,
        "resolved_by": alert.resolved_by,
        "slack_channel": alert.slack_channel,
        "slack_ts": alert.slack_ts,
    }


def get_alert(session: Session, key: str) -> Alert | None:
    row = session.scalar(select(AlertRow).where(AlertRow.key == key))
    return to_alert(row) if row is not None else None


def list_alerts(session: Session, states: Collection[str] = OPEN_STATES) -> list[Alert]:
    """Alerts in those states, the most severe and then the newest first."""
    return _by_severity(
        to_alert(row) for row in session.scalars(select(AlertRow).where(AlertRow.state.in_(states)))
    )


def firing_alerts(session: Session, channel_id: int | None = None) -> list[Alert]:
    """Alerts whose condition still holds (firing, or acknowledged: `state` says which), the most severe
    and then the newest first. With `channel_id`, only those about that channel: its posts and its
    TikTok account (alerts about the clock or the workers belong to no channel)."""
    query = select(AlertRow).where(AlertRow.state.in_(OPEN_STATES))
    if channel_id is not None:
        name = select(ChannelRow.name).where(ChannelRow.id == channel_id).scalar_subquery()
        on_its_posts = select(PostRow.id).where(PostRow.channel_id == channel_id)
        query = query.where(
            or_(AlertRow.post_id.in_(on_its_posts), AlertRow.subject == literal("channel:") + name)
        )
    return _by_severity(to_alert(row) for row in session.scalars(query))


def _by_severity(alerts: Iterable[Alert]) -> list[Alert]:
    return sorted(alerts, key=lambda a: (_SEVERITY_ORDER[a.severity], -a.last_fired_at.timestamp(), a.key))


_SEVERITY_ORDER = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}


def apply(session: Session, action: Action) -> Action:
    """Store the action's alert if the row is still as it was decided on; NOTHING when another got there first."""
    if action.kind is ActionKind.NOTHING or action.alert is None:
        return Action(ActionKind.NOTHING, action.alert, action.previous)
    if action.previous is None:
        stored = _insert(session, action.alert)
    else:
        stored = _update(session, action.previous, action.alert)
    if stored is None:
        return Action(ActionKind.NOTHING, None, action.previous)
    return replace(action, alert=stored)


def _insert(session: Session, alert: Alert) -> Alert | None:
    return replace(alert, revision=1) if _insert_many(session, [alert]) else None


def _insert_many(session: Session, alerts: Sequence[Alert]) -> set[str]:
    """Insert the alerts whose key is new; the keys this statement inserted (others got there first)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(AlertRow).on_conflict_do_nothing(index_elements=["key"]).returning(AlertRow.key)
    # One statement for many rows (SQLAlchemy batches them as multi-row VALUES); RETURNING names the
    # rows this sweep made, since rowcount is not reliable for that on every driver.
    rows = [{**_columns(alert), "revision": 1} for alert in alerts]
    return set(session.connection().execute(statement, rows).scalars())


def _update(session: Session, previous: Alert, alert: Alert) -> Alert | None:
    statement = (
        update(AlertRow)
        .where(AlertRow.key == previous.key, AlertRow.revision == previous.revision)
        .values(**_columns(alert), revision=previous.revision + 1)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(statement)
    return replace(alert, revision=previous.revision + 1) if result.rowcount == 1 else None  # type: ignore[attr-defined]


def record(session: Session, key: str, condition: Condition | None, now: datetime) -> Action:
    """Decide and apply for one key: the action this caller must announce, or NOTHING."""
    return apply(session, decide(get_alert(session, key), condition, now))


def sweep(
    session: Session,
    conditions: Iterable[Condition],
    now: datetime,
    *,
    rules: Collection[str] | None = None,
    posts: Collection[int] | None = None,
) -> list[Action]:
    """Apply one evaluation: every condition found, and resolve open alerts of `rules` (None: of any rule)
    that were not found; with `posts`, only alerts about those posts (an evaluation of just them).
    Returns the actions this caller won, to announce."""
    found = {c.key: c for c in conditions}
    open_query = select(AlertRow).where(AlertRow.state.in_(OPEN_STATES))
    if rules is not None:
        open_query = open_query.where(AlertRow.rule.in_(rules))
    if posts is not None:
        open_query = open_query.where(AlertRow.post_id.in_(posts))
    existing = {row.key: to_alert(row) for row in session.scalars(open_query)}
    missing = set(found) - set(existing)
    if missing:
        closed = select(AlertRow).where(AlertRow.key.in_(missing))
        existing.update({row.key: to_alert(row) for row in session.scalars(closed)})
    decided = [decide(existing.get(key), found.get(key), now) for key in sorted(set(found) | set(existing))]
    # New keys go in few statements (a first sweep may open hundreds), in key order so two sweeps
    # at once wait for each other instead of deadlocking; the rest row by row.
    new = [a.alert for a in decided if a.previous is None and a.alert is not None]
    inserted = _insert_many(session, new) if new else set()
    actions = []
    for action in decided:
        if action.previous is None and action.alert is not None:
            if action.alert.key in inserted:
                actions.append(replace(action, alert=replace(action.alert, revision=1)))
        elif action.kind is not ActionKind.NOTHING:
            applied = apply(session, action)
            if applied.kind is not ActionKind.NOTHING:
                actions.append(applied)
    return actions


# ---- what people do with the buttons -----------------------------------------------------


def acknowledge_alert(session: Session, key: str, user: str, now: datetime) -> Alert | None:
    """The alert acknowledged; None when there is no such alert or it is not firing (nothing changed)."""
    return _by_hand(session, key, lambda alert: acknowledge(alert, user, now))


def snooze_alert(session: Session, key: str, until: datetime) -> Alert | None:
    return _by_hand(session, key, lambda alert: snooze(alert, until))


def resolve_alert(session: Session, key: str, user: str, now: datetime) -> Alert | None:
    return _by_hand(session, key, lambda alert: resolve_by_hand(alert, user, now))


def _by_hand(session: Session, key: str, change: Callable[[Alert], Alert]) -> Alert | None:
    # Two people pressing at once, or a sweep in between: retry on the fresh row a few times.
    for _ in range(3):
        alert = get_alert(session, key)
        if alert is None:
            return None
        changed = change(alert)
        if changed == alert:
            return None
        stored = _update(session, alert, changed)
        if stored is not None:
            return stored
        session.expire_all()
    return None


def set_message(session: Session, key: str, channel: str, ts: str) -> None:
    """Where the alert's Slack message is, to update it in place; it does not count as a change."""
    session.execute(
        update(AlertRow)
        .where(AlertRow.key == key)
        .values(slack_channel=channel, slack_ts=ts)
        .execution_options(synchronize_session=False)
    )


# ---- facts --------------------------------------------------------------------------------


def post_facts(session: Session, now: datetime) -> list[PostFacts]:
    """The posts rules watch: published within the polling horizon, failed, or due and not yet out."""
    published = and_(
        PostRow.status == PostStatus.PUBLISHED.value,
        or_(PostRow.published_at.is_(None), PostRow.published_at >= now - HORIZON),
    )
    watched = or_(
        published,
        PostRow.status == PostStatus.FAILED.value,
        and_(PostRow.status.in_(POST_STATES_NOT_OUT), PostRow.scheduled_at <= now),
    )
    return load_post_facts(session, watched, measured=published)


def load_post_facts(
    session: Session, posts: ColumnElement[bool], *, measured: ColumnElement[bool] | None = None
) -> list[PostFacts]:
    """Posts matching `posts` as PostFacts, with the newest snapshot of those matching `measured` (default: all)."""
    # Columns, not row objects: a sweep reads 10,000 posts and ORM identity bookkeeping would triple its time.
    query = (
        select(
            PostRow.id,
            ChannelRow.name.label("channel"),
            PostRow.status,
            PostRow.scheduled_at,
            PostRow.published_at,
            PUBLIC_ID.label("public_id"),
            PostRow.failure,
            func.substr(VersionRow.text, 1, LABEL_CHARS).label("label"),
        )
        .join(ChannelRow, ChannelRow.id == PostRow.channel_id)
        .join(VersionRow, VersionRow.id == PostRow.version_id)
        .where(posts)
    )
    rows = session.execute(query).all()
    latest = _latest_snapshots(session, posts if measured is None else measured)
    with_saves = _latest_with_saves(session, posts if measured is None else measured)
    return [
        PostFacts(
            post_id=row.id,
            channel=row.channel,
            state=row.status,
            due_at=row.scheduled_at,
            public_since=row.published_at,
            public_id=row.public_id,
            latest=latest.get(row.id),
            latest_saves=with_saves.get(row.id),
            label=" ".join((row.label or "").split()),
            failure=row.failure or "",
        )
        for row in rows
    ]


def _latest_snapshots(session: Session, posts: ColumnElement[bool]) -> dict[int, MetricSnapshot]:
    """The newest snapshot of each post that matches `posts`."""
    query = select(*LATEST_COLUMNS).join(PostRow, PostRow.id == LatestSnapshotRow.post_id).where(posts)
    return {row.post_id: snapshot_from(row) for row in session.execute(query)}


def _latest_with_saves(session: Session, posts: ColumnElement[bool]) -> dict[int, MetricSnapshot]:
    """The newest snapshot that knows saves of each post that matches `posts`."""
    newest = (
        select(MetricSnapshotRow.post_id, func.max(MetricSnapshotRow.taken_at).label("taken_at"))
        .join(PostRow, PostRow.id == MetricSnapshotRow.post_id)
        .where(posts, MetricSnapshotRow.saves.is_not(None))
        .group_by(MetricSnapshotRow.post_id)
        .subquery()
    )
    query = select(*SNAPSHOT_COLUMNS).join(
        newest,
        and_(
            MetricSnapshotRow.post_id == newest.c.post_id,
            MetricSnapshotRow.taken_at == newest.c.taken_at,
            MetricSnapshotRow.saves.is_not(None),
        ),
    )
    return {row.post_id: snapshot_from(row) for row in session.execute(query)}


def gather_facts(session: Session, now: datetime, accounts: Sequence[AccountFacts] | None = None) -> Facts:
    """Everything the rules read; the accounts are the channels' TikTok connections unless given."""
    return Facts(
        posts=post_facts(session, now),
        accounts=account_facts(session) if accounts is None else accounts,
        heartbeats=last_beats(session),
    )


def account_facts(session: Session) -> list[AccountFacts]:
    """Each connected channel's grant: when it must be renewed (its refresh token's end), and whether
    TikTok refused it (the account waits for a person to reconnect it)."""
    query = select(ChannelRow.name, TikTokAccountRow.refresh_expires_at, TikTokAccountRow.state).join(
        ChannelRow, ChannelRow.id == TikTokAccountRow.channel_id
    )
    return [
        AccountFacts(channel=name, token_expires_at=expires, token_revoked=state != AccountState.CONNECTED)
        for name, expires, state in session.execute(query)
    ]
