"""Metric snapshots: recording them, importing CSV exports, and reading them per post, channel, template
and experiment variant."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, SQLColumnExpression, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from core.experiments import VIEWS_AT_HOURS, Metric, VariantSnapshot
from core.metrics import ImportedRow, MetricsFileError, MetricSnapshot, problem_line
from storage.db import affected
from storage.models import LatestSnapshotRow, MetricSnapshotRow, PostRow
from storage.sqlfunctions import hours_after, hours_between


def record_snapshot(session: Session, snapshot: MetricSnapshot) -> None:
    record_snapshots(session, [snapshot])


def record_snapshots(session: Session, snapshots: Sequence[MetricSnapshot]) -> int:
    """Add to the history (a snapshot already there, same post, time and source, is skipped), and move
    each post's latest snapshot forward (never back: an old CSV row imported late leaves a newer poll in
    place). Returns how many were added."""
    rows = [asdict(snapshot) for snapshot in snapshots]
    if not rows:
        return 0
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    added = 0
    for start in range(0, len(rows), _BATCH):
        statement = dialect.insert(MetricSnapshotRow).values(rows[start : start + _BATCH])
        result = session.execute(
            statement.on_conflict_do_nothing(index_elements=["post_id", "taken_at", "source"])
        )
        added += max(affected(result), 0)
    newest: dict[int, dict[str, Any]] = {}
    for row in rows:
        kept = newest.get(row["post_id"])
        if kept is None or row["taken_at"] >= kept["taken_at"]:
            newest[row["post_id"]] = row
    upsert = dialect.insert(LatestSnapshotRow)
    latest = upsert.on_conflict_do_update(
        index_elements=["post_id"],
        set_={name: upsert.excluded[name] for name in SNAPSHOT_FIELDS if name != "post_id"},
        where=LatestSnapshotRow.taken_at <= upsert.excluded.taken_at,
    )
    session.execute(latest, list(newest.values()))
    return added


@dataclass(frozen=True)
class Imported:
    """What an import did: snapshots added, and rows skipped because that snapshot was already there."""

    added: int
    skipped: int


# A clock a few minutes fast on the exporting machine is not an error.
_CLOCK_SKEW = timedelta(minutes=10)
# Rows per INSERT: SQLite allows a few thousand bound values in one statement.
_BATCH = 500


def import_rows(
    session: Session,
    rows: Sequence[ImportedRow],
    source: str = "csv",
    *,
    problems: Sequence[str] = (),
    now: datetime | None = None,
) -> Imported:
    """Add the rows' snapshots, skipping those already there; any impossible row refuses the whole file.

    A row is impossible when its post is unknown or it was taken outside the post's life: before the
    day the post went out (a date-only value means that day) or in the future. `problems` are the
    file's unreadable lines, named along with these.
    """
    now = now or datetime.now(UTC)
    post_ids = {int(r.post_ref) for r in rows if r.post_ref.isdigit()}
    video_ids = {r.post_ref.removeprefix("video:") for r in rows if r.post_ref.startswith("video:")}
    life_query = select(PostRow.id, PostRow.tiktok_video_id, PostRow.published_at, PostRow.scheduled_at)
    posts = session.execute(
        life_query.where(or_(PostRow.id.in_(post_ids), PostRow.tiktok_video_id.in_(video_ids)))
    ).all()
    started = {post.id: post.published_at or post.scheduled_at for post in posts}
    by_video = {post.tiktok_video_id: post.id for post in posts if post.tiktok_video_id}
    problems = list(problems)
    resolved: list[tuple[ImportedRow, int]] = []
    for row in rows:
        if row.post_ref.startswith("video:"):
            post_id = by_video.get(row.post_ref.removeprefix("video:"))
        else:
            post_id = int(row.post_ref) if int(row.post_ref) in started else None
        if post_id is None:
            problems.append(f"line {row.line}: no post {row.post_ref.removeprefix('video:')!r} here")
        elif row.taken_at.astimezone(UTC).date() < started[post_id].date():
            problems.append(
                f"line {row.line}: taken {row.taken_at:%Y-%m-%d}, before post {post_id} went out "
                f"({started[post_id]:%Y-%m-%d})"
            )
        elif row.taken_at > now + _CLOCK_SKEW:
            problems.append(f"line {row.line}: taken {row.taken_at:%Y-%m-%d %H:%M}, which is in the future")
        else:
            resolved.append((row, post_id))
    if problems:
        raise MetricsFileError(sorted(problems, key=problem_line))
    values = [
        (
            MetricSnapshot(
                post_id=post_id,
                taken_at=row.taken_at,
                views=row.views,
                likes=row.likes,
                comments=row.comments,
                shares=row.shares,
                saves=row.saves,
                source=source,
            )
        )
        for row, post_id in resolved
    ]
    added = record_snapshots(session, values)
    return Imported(added=added, skipped=len(values) - added)


def snapshots(
    session: Session,
    *,
    post_id: int | None = None,
    channel_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[MetricSnapshot]:
    query = select(MetricSnapshotRow).order_by(MetricSnapshotRow.taken_at)
    if post_id is not None:
        query = query.where(MetricSnapshotRow.post_id == post_id)
    if channel_id is not None:
        query = query.join(PostRow, PostRow.id == MetricSnapshotRow.post_id)
        query = query.where(PostRow.channel_id == channel_id)
    if since is not None:
        query = query.where(MetricSnapshotRow.taken_at >= since)
    if until is not None:
        query = query.where(MetricSnapshotRow.taken_at < until)
    return [to_snapshot(row) for row in session.scalars(query)]


# MetricSnapshot's fields as columns, in its order: `MetricSnapshot(*row)` builds one from a selected row.
SNAPSHOT_FIELDS = tuple(field.name for field in fields(MetricSnapshot))
SNAPSHOT_COLUMNS = tuple(getattr(MetricSnapshotRow, name) for name in SNAPSHOT_FIELDS)
LATEST_COLUMNS = tuple(getattr(LatestSnapshotRow, name) for name in SNAPSHOT_FIELDS)


def snapshot_from(row: Row[Any]) -> MetricSnapshot:
    """A snapshot from a row selected with SNAPSHOT_COLUMNS or LATEST_COLUMNS."""
    return MetricSnapshot(**row._mapping)


def to_snapshot(row: MetricSnapshotRow) -> MetricSnapshot:
    return MetricSnapshot(*(getattr(row, name) for name in SNAPSHOT_FIELDS))


# --- What A/B reports and the library read ---------------------------------------------------------


def post_measurements(
    session: Session,
    metric: Metric,
    group: SQLColumnExpression[Any],
    *conditions: ColumnElement[bool],
    joins: Iterable[tuple[Any, ColumnElement[bool]]] = (),
) -> list[VariantSnapshot]:
    """Per published post matching `conditions`, the snapshot `metric` reads, tagged with `group`.

    core.experiments.observations_from_snapshots decides which snapshot counts (the latest for save
    rate, the first at 24 h or later for views). Reading every snapshot would move ~20 rows per post
    out of the database, so this query narrows each post to that one snapshot with an indexed
    lookup on (post_id, taken_at); core still applies its rule to what comes back. For save rate only
    snapshots that know saves count: the Display API reports none, and a missing count is not zero.
    """
    candidate = aliased(MetricSnapshotRow)
    pick: Select[Any] = select(candidate.id).where(candidate.post_id == PostRow.id)
    if metric is Metric.SAVE_RATE:
        pick = pick.where(candidate.saves.is_not(None)).order_by(candidate.taken_at.desc())
    else:
        pick = pick.where(candidate.taken_at >= hours_after(PostRow.published_at, int(VIEWS_AT_HOURS)))
        pick = pick.order_by(candidate.taken_at)
    chosen = pick.limit(1).correlate(PostRow).scalar_subquery()
    snapshot = MetricSnapshotRow
    query = select(
        PostRow.id,
        group,
        hours_between(snapshot.taken_at, PostRow.published_at),
        snapshot.views,
        snapshot.saves,
    ).select_from(PostRow)
    for table, on in joins:
        query = query.join(table, on)
    query = query.join(snapshot, snapshot.id == chosen).where(PostRow.published_at.is_not(None), *conditions)
    rows: list[Any] = list(session.execute(query))
    return [
        # Sources count views and saves separately and can disagree by a few; one odd row must not
        # stop a report, so saves are capped at views.
        VariantSnapshot(str(post_id), str(label), age, views, min(saves or 0, views))
        for post_id, label, age, views, saves in rows
    ]
