"""The daily digest: gathering one local day from the database, and the row that lets it go out once.

A day's digest is claimed (an INSERT that yields to an existing row) before it is posted, and the
row then keeps where the message and its chart went: a job run twice, or by two workers, finds the
claim and posts nothing more than what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.alert_lifecycle import AlertState
from core.digest import Digest, Winner, build_digest, day_bounds
from core.experiments import ExperimentStatus
from storage.alerts import list_alerts
from storage.channels import list_channels
from storage.db import affected
from storage.experiments import experiment_report, list_experiments
from storage.models import DigestRow
from storage.trends import pending_reviews, posts_of_day, snapshots_with_baseline


def load_digest(session: Session, day: date, tz: tzinfo) -> Digest:
    """Everything the digest says about `day` (local to `tz`), as it stands now."""
    start, end = day_bounds(day, tz)
    posts = posts_of_day(session, start, end)
    # The day before too: the digest compares the day with it.
    snapshots = snapshots_with_baseline(session, start - timedelta(days=1), end)
    every_state = [state.value for state in AlertState]
    return build_digest(
        day,
        channels=[c.name for c in list_channels(session)],
        posts=posts,
        snapshots=snapshots,
        alerts=list_alerts(session, every_state),
        pending_reviews=pending_reviews(session),
        winners=winners(session, start, end),
        tz=tz,
    )


def winners(session: Session, start: datetime, end: datetime) -> list[Winner]:
    """Experiments promoted in [start, end), and running ones whose report names a winner now."""
    found = []
    for experiment in list_experiments(session):
        metric = experiment.metric.label
        if experiment.status is ExperimentStatus.PROMOTED and experiment.winner is not None:
            if experiment.ended_at is not None and start <= experiment.ended_at < end:
                found.append(Winner(experiment.name, experiment.winner.label, metric))
        elif experiment.status is ExperimentStatus.RUNNING:
            winner = experiment_report(session, experiment.id).winner
            if winner is not None:
                found.append(Winner(experiment.name, winner.label, f"{metric}, not promoted yet"))
    return found


@dataclass(frozen=True)
class Sent:
    """Where a day's digest went; None for what is not out yet."""

    day: date
    slack_channel: str
    slack_ts: str | None
    chart_file_id: str | None


def claim(session: Session, day: date, channel: str) -> Sent | None:
    """Take the day's digest: what this job must still post, or None when there is nothing for it to do.

    Only the job whose INSERT made the row posts the message; a later job (a retry) only adds a chart
    that never went out. A job that died between its claim and Slack's answer loses that day's
    message rather than risk sending it twice.
    """
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # RETURNING names the row this statement made: rowcount is not reliable for that on every driver.
    made = session.scalar(
        insert(DigestRow)
        .values(day=day, slack_channel=channel)
        .on_conflict_do_nothing(index_elements=["day"])
        .returning(DigestRow.day)
    )
    row = session.get_one(DigestRow, day)
    if made is not None:
        return Sent(row.day, row.slack_channel, None, None)
    session.refresh(row)
    if row.slack_ts is None or row.chart_file_id is not None:
        return None
    return Sent(row.day, row.slack_channel, row.slack_ts, None)


def sent(session: Session, day: date) -> bool:
    """Whether the day's digest was claimed (posted, or on its way)."""
    return session.get(DigestRow, day) is not None


def record(
    session: Session, day: date, *, slack_ts: str | None = None, chart_file_id: str | None = None
) -> bool:
    """Keep where a part went, once: False when another job recorded that part first."""
    if slack_ts is not None:
        statement = update(DigestRow).where(DigestRow.day == day, DigestRow.slack_ts.is_(None))
        return affected(session.execute(statement.values(slack_ts=slack_ts))) == 1
    statement = update(DigestRow).where(DigestRow.day == day, DigestRow.chart_file_id.is_(None))
    return affected(session.execute(statement.values(chart_file_id=chart_file_id))) == 1


def release(session: Session, day: date) -> None:
    """Give up a claim that posted nothing (Slack refused it), so the next attempt may."""
    session.execute(delete(DigestRow).where(DigestRow.day == day, DigestRow.slack_ts.is_(None)))
