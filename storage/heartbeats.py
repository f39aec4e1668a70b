"""Heartbeats: one row per process kind, overwritten on each beat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import HeartbeatRow


def beat(session: Session, name: str, at: datetime) -> None:
    row = session.get(HeartbeatRow, name)
    if row is None:
        session.add(HeartbeatRow(name=name, beat_at=at))
    else:
        row.beat_at = at


def last_beats(session: Session) -> dict[str, datetime]:
    return {row.name: row.beat_at for row in session.scalars(select(HeartbeatRow))}
