"""Reminders for manual posts nobody has marked Posted: every POSTER_REMINDER_MINUTES in the post's
thread, from the clock, until someone presses Posted (with the link) or Cancel.

    reminders.sweep(connection, database_url, now)   the clock's pass: the job below, once a minute,
                                                     while a manual post waits for its poster
    reminders.remind_posters(now_iso)                the job
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis

from messages.posts import remind_poster
from storage import posts
from storage.db import session_scope
from storage.installation import installation_id
from workers.queues import enqueue_once
from workers.runtime import settings as current_settings


def sweep(connection: redis.Redis, database_url: str, now: datetime) -> bool:
    """Enqueue this minute's reminder job when a manual post waits; True when it did."""
    with session_scope(database_url) as session:
        if not posts.any_awaiting_poster(session):
            return False
    minute = int(now.timestamp()) // 60
    # On "default", not "low" with the heartbeats: a person is waiting to be reminded.
    enqueue_once(
        connection,
        "default",
        remind_posters,
        now.isoformat(),
        job_id=f"remind-posters-{installation_id(database_url)}-{minute}",
    )
    return True


def remind_posters(now_iso: str | None = None) -> int:
    """Remind each manual post's poster whose turn has come; the number reminded. Running it twice for
    one moment reminds nobody twice (storage marks each post as it takes it)."""
    settings = current_settings()
    now = datetime.fromisoformat(now_iso) if now_iso else datetime.now(UTC)
    with session_scope(settings.database_url) as session:
        due = posts.due_reminders(session, now, timedelta(minutes=settings.poster_reminder_minutes))
    for post in due:
        waited = now - (post.started_at or post.scheduled_at)
        remind_poster(settings, post, int(waited.total_seconds() // 60))
    return len(due)
