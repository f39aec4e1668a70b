"""Metric snapshots: recording them, importing CSV exports, and reading them per post and channel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.metrics import ImportedRow, MetricsFileError, MetricSnapshot
from storage.models import LatestSnapshotRow, MetricSnapshotRow, PostRow


def record_snapshot(session: Session, snapshot: MetricSnapshot) -> None:
    record_snapshots(session, [snapshot])


def record_snapshots(session: Session, snapshots: Sequence[MetricSnapshot]) -> None:
    """Add to the history, and move each post's latest snapshot forward (never back: an old CSV
    row imported late leaves a newer poll in place)."""
    if not snapshots:
        return
    rows = [asdict(snapshot) for snapshot in snapshots]
    session.execute(insert(MetricSnapshotRow), rows)
    newest: dict[int, dict[str, Any]] = {}
    for row in rows:
        kept = newest.get(row["post_id"])
        if kept is None or row["taken_at"] >= kept["taken_at"]:
            newest[row["post_id"]] = row
    dialect = session.get_bind().dialect.name
    upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(LatestSnapshotRow)
    statement = upsert.on_conflict_do_update(
        index_elements=["post_id"],
        set_={name: upsert.excluded[name] for name in SNAPSHOT_FIELDS if name != "post_id"},
        where=LatestSnapshotRow.taken_at <= upsert.excluded.taken_at,
    )
    session.execute(statement, list(newest.values()))


def import_rows(session: Session, rows: Sequence[ImportedRow], source: str = "csv") -> int:
    """Resolve every row's post first; one unknown post refuses the whole file."""
    post_ids = {int(r.post_ref) for r in rows if r.post_ref.isdigit()}
    video_ids = {r.post_ref.removeprefix("video:") for r in rows if r.post_ref.startswith("video:")}
    known_posts = set(session.scalars(select(PostRow.id).where(PostRow.id.in_(post_ids))))
    video_query = select(PostRow.tiktok_video_id, PostRow.id).where(PostRow.tiktok_video_id.in_(video_ids))
    by_video = {video: post for video, post in session.execute(video_query)}
    problems = []
    resolved: list[tuple[ImportedRow, int]] = []
    for row in rows:
        if row.post_ref.startswith("video:"):
            post_id = by_video.get(row.post_ref.removeprefix("video:"))
        elif row.post_ref.isdigit() and int(row.post_ref) in known_posts:
            post_id = int(row.post_ref)
        else:
            post_id = None
        if post_id is None:
            problems.append(f"line {row.line}: no post {row.post_ref.removeprefix('video:')!r} here")
        else:
            resolved.append((row, post_id))
    if problems:
        raise MetricsFileError(problems)
    record_snapshots(
        session,
        [
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
            for row, post_id in resolved
        ],
    )
    return len(resolved)


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
