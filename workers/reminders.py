"""Reminders for manual posts nobody has marked Posted: every POSTER_REMINDER_MINUTES in the post's
thread, from the clock, until someone presses Posted (with the link) or Cancel.

    reminders.remind_posters(now_iso)   the job the clock enqueues once a minute
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from messages.posts import remind_poster
from storage import posts
from storage.db import session_scope
from workers.runtime import settings as current_settings


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
