"""Claude's check of a person's version: the rules check an edit at once, in the listener; Claude,
which takes seconds, checks it here and the review message is updated in place.

    enqueue_recheck(connection, database_url, content_id, number)
                                    the job `check-<installation>-<content id>-<number>`
"""

from __future__ import annotations

import redis
from rq.job import Job

from core.draft_checks import DraftText
from messages.review import show_review
from storage import contents
from storage.channels import get_channel_by_id
from storage.db import session_scope
from storage.installation import installation_id
from workers.draft_checker import check_draft
from workers.generate import claude_client
from workers.queues import enqueue_once
from workers.runtime import settings as current_settings


def enqueue_recheck(connection: redis.Redis, database_url: str, content_id: int, number: int) -> Job:
    """Queue Claude's check of version `number`: the job that will run it (already queued, or new)."""
    return enqueue_once(
        connection,
        "default",
        check_version,
        content_id,
        number,
        job_id=f"check-{installation_id(database_url)}-{content_id}-{number}",
        job_timeout=120,
    )


def check_version(content_id: int, number: int) -> str:
    """The RQ job: check version `number` with the rules and Claude, keep the findings, show them."""
    settings = current_settings()
    claude = claude_client(settings)
    if claude is None:
        return f"content {content_id} v{number}: no ANTHROPIC_API_KEY, the rules' findings stand"
    with session_scope(settings.database_url) as session:
        content = contents.get_content(session, content_id)
        latest = contents.latest_version(session, content_id)
        channel = get_channel_by_id(session, content.channel_id) if content and content.channel_id else None
    if content is None or latest is None or latest.number != number:
        return f"content {content_id} v{number}: a later version replaced it; nothing to check"
    avoid = channel.voice.words_to_avoid if channel else ()
    checks = check_draft(DraftText.of_fields(latest.fields, content.product, avoid), claude)
    with session_scope(settings.database_url) as session:
        contents.set_checks(session, content_id, number, checks)
        content = contents.get_content(session, content_id) or content
        version = contents.latest_version(session, content_id) or latest
    added = [f for f in version.findings if f.checker != "rules"]
    if checks.notes:
        note = f"v{number}: {'; '.join(checks.notes)}"
    elif added:
        note = f"Claude checked v{number} and added {len(added)} finding(s): " + ", ".join(
            dict.fromkeys(f.flag for f in added)
        )
    else:
        note = f"Claude checked v{number}: nothing to add."
    show_review(settings, content, note=note)
    return f"content {content_id} v{number}: {len(version.findings)} finding(s)"
