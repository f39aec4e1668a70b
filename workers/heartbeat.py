"""Jobs that keep the system honest about being alive."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.db import session_scope
from storage.heartbeats import beat
from workers.runtime import settings


def heartbeat(name: str = "worker") -> str:
    """Record that a worker ran a job just now; the clock enqueues it to prove the path works."""
    now = datetime.now(UTC)
    with session_scope(settings().database_url) as session:
        beat(session, name, now)
    return now.isoformat()
