"""Posts' retry and what they wait for after publishing, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from contentbot.seed import seed
from core.posts import PostStatus
from storage import post_followups, posts
from storage.db import session_scope
from storage.models import PostRow
from tests.factories import make_post

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_a_failed_post_is_retried_once_and_nothing_else_is(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        failed = make_post(session, "Air", "Kites", NOW, status="failed")
        waiting = make_post(session, "Air", "Kites again", NOW + timedelta(hours=2))
        session.execute(update(PostRow).where(PostRow.id == failed).values(publish_id="v_pub_file~v2-1.1"))
    with session_scope(database_url) as session:
        assert [p.id for p in posts.failed_posts(session, posts.get_post(session, failed).channel_id)] == [
            failed
        ]
        assert posts.retry(session, failed, NOW)
        assert not posts.retry(session, failed, NOW)  # scheduled now: a second press changes nothing
        assert not posts.retry(session, waiting, NOW)  # never failed: not moved to now
        retried, untouched = posts.get_post(session, failed), posts.get_post(session, waiting)
    assert retried is not None and retried.status is PostStatus.SCHEDULED and retried.publish_id is None
    assert untouched is not None and untouched.scheduled_at == NOW + timedelta(hours=2)


def test_published_posts_without_a_public_id_and_pending_drafts_are_followed(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        moderated = make_post(session, "Air", "Kites", NOW, status="published")
        linked = make_post(session, "Air", "More kites", NOW, status="published")
        draft = make_post(session, "Air", "Kite draft", NOW, status="awaiting_poster")
        old = make_post(session, "Air", "Old kites", NOW - timedelta(days=30), status="published")
        for post_id, public in ((moderated, None), (linked, "7001"), (draft, None), (old, None)):
            session.execute(
                update(PostRow)
                .where(PostRow.id == post_id)
                .values(publish_id=f"p{post_id}", public_id=public, posting_mode="draft", init_sent_at=NOW)
            )
        session.execute(update(PostRow).where(PostRow.id.in_([moderated, linked])).values(published_at=NOW))
        session.execute(
            update(PostRow).where(PostRow.id == old).values(published_at=NOW - timedelta(days=30))
        )
    with session_scope(database_url) as session:
        waiting = dict(post_followups.awaiting_tiktok(session, NOW - timedelta(days=7)))
        assert set(waiting) == {moderated, draft} and waiting[moderated] == NOW
        assert post_followups.set_public_id(session, moderated, "7002")
        assert not post_followups.set_public_id(session, moderated, "7003")  # never overwritten
        assert post_followups.public_id_taken(session, "7002")
        assert not post_followups.set_public_id(session, draft, "7004")  # not published
    with session_scope(database_url) as session:
        assert set(dict(post_followups.awaiting_tiktok(session, NOW - timedelta(days=7)))) == {draft}
