"""Metric snapshots: recording them, importing CSV exports, and reading them per post and channel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.metrics import ImportedRow, MetricsFileError, MetricSnapshot, problem_line
from storage.models import MetricSnapshotRow, PostRow


def record_snapshot(session: Session, snapshot: MetricSnapshot) -> None:
    session.add(MetricSnapshotRow(**asdict(snapshot)))


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
        asdict(
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
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    added = 0
    for start in range(0, len(values), _BATCH):
        statement = insert(MetricSnapshotRow).values(values[start : start + _BATCH])
        result = session.execute(
            statement.on_conflict_do_nothing(index_elements=["post_id", "taken_at", "source"])
        )
        added += max(result.rowcount, 0)  # type: ignore[attr-defined]
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


def to_snapshot(row: MetricSnapshotRow) -> MetricSnapshot:
    return MetricSnapshot(**{field.name: getattr(row, field.name) for field in fields(MetricSnapshot)})
