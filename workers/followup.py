"""After a post went out: what TikTok shows only later, looked for until it appears.

    sweep(connection, database_url, now)   the clock's pass: posts due a look, one job each
    follow_up(post_id)                     the job: one look, and the thread told what it found

- A published post's public id may appear long after PUBLISH_COMPLETE (moderation); until then its
  metrics are "unavailable", never "0 views". The status of its publish_id is asked again, then
  the account's video list (publish ids expire).
- An inbox draft (SEND_TO_USER_INBOX) is finished by a person in the TikTok app; the video list
  shows it then, found by its caption's beginning and a time after the upload.

Looks are frequent while a post is young and rare later (core.posts.FOLLOW_UP); a Redis key per post
holds the next look back, so a lost Redis only brings a look forward. Each look is a read and a
conditional write, so a repeated job changes nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import redis

from config.errors import SetupError
from core.posts import FOLLOW_UP, Post, PostStatus, follow_up_every
from messages.posts import draft_found_note, note, public_id_note, show_post
from storage import post_followups, posts
from storage.db import session_scope
from storage.installation import installation_id
from workers.accounts import AccountError
from workers.publish import publisher_for
from workers.publishers import Publisher
from workers.queues import enqueue_once
from workers.runtime import settings as current_settings
from workers.tiktok import TikTokError

log = logging.getLogger(__name__)

HORIZON = FOLLOW_UP[-1][0]


def sweep(connection: redis.Redis, database_url: str, now: datetime) -> list[int]:
    """Enqueue a look at each post due one; returns their ids."""
    with session_scope(database_url) as session:
        waiting = post_followups.awaiting_tiktok(session, now - HORIZON)
    installation = installation_id(database_url)
    queued = []
    for post_id, went_out in waiting:
        every = follow_up_every(now - went_out)
        if every is None:
            continue
        # Taken until the next look is due: only one sweep enqueues each look.
        if connection.set(f"followup:{installation}:{post_id}", 1, nx=True, ex=int(every.total_seconds())):
            enqueue_once(connection, "low", follow_up, post_id, job_id=f"followup-{installation}-{post_id}")
            queued.append(post_id)
    return queued


def follow_up(post_id: int) -> str:
    settings = current_settings()
    with session_scope(settings.database_url) as session:
        post = posts.get_post(session, post_id)
    if post is None or post.sandbox:
        return f"post {post_id}: nothing to look for"
    try:
        publisher = publisher_for(settings, post)
        try:
            if post.status is PostStatus.AWAITING_POSTER:
                return _find_draft(post, publisher)
            if post.status is PostStatus.PUBLISHED and not post.public_id:
                return _resolve_public_id(post, publisher)
        finally:
            publisher.close()
    except (TikTokError, AccountError, SetupError) as exc:
        # The next look asks again; a refused grant was already said to the channel's owner.
        log.info("post %s: TikTok could not be asked about it now: %s", post_id, exc)
        return f"post {post_id}: not asked now: {exc}"
    return f"post {post_id}: nothing to look for"


def _resolve_public_id(post: Post, publisher: Publisher) -> str:
    assert post.publish_id is not None
    public: str | None = None
    try:
        status = publisher.status(post.publish_id)
        public = status.public_post_ids[0] if status.public_post_ids else None
    except TikTokError as exc:
        if exc.code != "invalid_publish_id":
            raise
    if public is None:
        found = publisher.find(post)
        public = found.public_id if found is not None else None
    if public is None:
        return f"post {post.id}: no public id yet"
    settings = current_settings()
    with session_scope(settings.database_url) as session:
        stored = not post_followups.public_id_taken(session, public) and post_followups.set_public_id(
            session, post.id, public
        )
        done = posts.get_post(session, post.id)
    if stored and done is not None:
        show_post(settings, done)
        note(settings, done, public_id_note(done))
    return f"post {post.id}: public id {public}"


def _find_draft(post: Post, publisher: Publisher) -> str:
    found = publisher.find(post)
    if found is None or not found.public_id:
        return f"post {post.id}: the draft is not on the account yet"
    settings = current_settings()
    with session_scope(settings.database_url) as session:
        if post_followups.public_id_taken(session, found.public_id):
            return f"post {post.id}: the video found belongs to another post"
        moved = posts.move(
            session,
            post.id,
            None,
            PostStatus.PUBLISHED,
            public_id=found.public_id,
            published_at=datetime.now(UTC),
        )
        done = posts.get_post(session, post.id)
    if moved and done is not None:
        show_post(settings, done)
        note(settings, done, draft_found_note(done))
    return f"post {post.id}: the draft was posted as {found.public_id}"
