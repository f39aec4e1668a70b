"""Scheduling approved content and publishing it once, on time, through the sandbox publisher.

Driven as Slack drives the bot (signed slash commands and button presses); the clock's sweep and
the worker run for real on RQ and Redis.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from contentbot.local import LocalBot
from core.posts import PostStatus
from storage.db import session_scope
from storage.models import ChannelRow, PostRow
from storage.posts import get_post
from tests.generation_helpers import REVIEW, REVIEWER, approve, request, start_bot
from workers.clock import Clock


@pytest.fixture
def bot(database_url: str, redis_conn, tmp_path: Path):  # type: ignore[no-untyped-def]
    """One approved TikTok hook for Air (content 1); posts go to the sandbox in tmp_path."""
    local = start_bot(database_url, redis_conn, sandbox_dir=str(tmp_path / "sandbox"))
    request(local, "hook Air kites that loop the loop")
    local.run_jobs()
    approve(local)
    yield local
    local.close()


def schedule(bot: LocalBot, words: str) -> str:
    reply = bot.workspace.slash(REVIEWER, f"schedule {words}")
    assert reply.status == 200
    return str(reply.json()["text"])


def post(bot: LocalBot, post_id: int = 1):  # type: ignore[no-untyped-def]
    with session_scope(bot.settings.database_url) as session:
        found = get_post(session, post_id)
    assert found is not None
    return found


def set_mode(bot: LocalBot, channel: str, mode: str) -> None:
    with session_scope(bot.settings.database_url) as session:
        session.execute(update(ChannelRow).where(ChannelRow.name == channel).values(posting_mode=mode))


def sandbox_requests(bot: LocalBot, endpoint: str) -> list[dict]:
    folder = Path(bot.settings.sandbox_dir)
    return (
        [json.loads(p.read_text()) for p in sorted(folder.glob(f"*-{endpoint}.json"))]
        if folder.exists()
        else []
    )


def thread(bot: LocalBot, post_id: int = 1) -> list[str]:
    found = post(bot, post_id)
    assert found.slack_ts is not None
    return [m.text for m in bot.standin.thread(REVIEW, found.slack_ts)[1:]]


def test_a_direct_post_goes_out_once_at_its_time_never_early(bot: LocalBot) -> None:
    set_mode(bot, "Air", "direct")
    answer = schedule(bot, "1 Air next public")
    assert answer.startswith("Scheduled post 1") and "sandbox" in answer
    due = post(bot).scheduled_at
    clock = Clock(bot.services.redis, bot.settings.database_url)

    assert clock.publish_tick(due - timedelta(seconds=1))
    bot.run_jobs()
    assert post(bot).status is PostStatus.SCHEDULED  # a second early: nothing moves

    assert clock.publish_tick(due)
    assert clock.publish_tick(due + timedelta(seconds=1))  # a second sweep finds nothing more to do
    bot.run_jobs()
    done = post(bot)
    assert done.status is PostStatus.PUBLISHED and done.public_id
    assert len(sandbox_requests(bot, "video_init")) == 1
    assert (
        sandbox_requests(bot, "video_init")[0]["body"]["post_info"]["privacy_level"] == "PUBLIC_TO_EVERYONE"
    )
    assert any(t.startswith("Posted (sandbox") for t in thread(bot))


def test_a_direct_post_needs_a_privacy_chosen_by_a_person(bot: LocalBot) -> None:
    set_mode(bot, "Air", "direct")
    answer = schedule(bot, "1 Air next")
    assert (
        answer.startswith("Not scheduled") and "needs its privacy chosen" in answer and "no default" in answer
    )


def test_a_draft_lands_in_the_inbox_and_waits_for_its_poster(bot: LocalBot) -> None:
    schedule(bot, "1 Air next")
    Clock(bot.services.redis, bot.settings.database_url).publish_tick(post(bot).scheduled_at)
    bot.run_jobs()
    assert post(bot).status is PostStatus.AWAITING_POSTER
    assert len(sandbox_requests(bot, "inbox_video_init")) == 1
    assert any("TikTok inbox" in t for t in thread(bot))


def test_a_worker_that_dies_after_init_is_resumed_not_redone(bot: LocalBot) -> None:
    set_mode(bot, "Air", "direct")
    schedule(bot, "1 Air next private")
    due = post(bot).scheduled_at
    clock = Clock(bot.services.redis, bot.settings.database_url)
    clock.publish_tick(due)
    bot.run_jobs()
    first = post(bot)
    assert first.status is PostStatus.PUBLISHED and len(sandbox_requests(bot, "video_init")) == 1

    # The same post as if its worker died right after TikTok answered init: a publish_id, a lapsed lease.
    with session_scope(bot.settings.database_url) as session:
        session.execute(
            update(PostRow)
            .where(PostRow.id == 1)
            .values(status="processing", lease_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    clock.publish_tick(datetime.now(UTC))
    assert post(bot).status is PostStatus.NEEDS_RECONCILE and post(bot).attempts == 2
    bot.run_jobs()
    assert post(bot).status is PostStatus.PUBLISHED
    assert len(sandbox_requests(bot, "video_init")) == 1  # asked about, never sent again


def test_a_manual_post_is_handed_to_its_poster_who_presses_posted(bot: LocalBot) -> None:
    set_mode(bot, "Air", "manual")
    schedule(bot, "1 Air next")
    Clock(bot.services.redis, bot.settings.database_url).publish_tick(post(bot).scheduled_at)
    bot.run_jobs()
    assert post(bot).status is PostStatus.AWAITING_POSTER
    found = post(bot)
    bot.workspace.click(REVIEWER, action_id="post_posted", message=(REVIEW, found.slack_ts))
    [form] = bot.standin.wait_for(lambda: bot.standin.modals(REVIEWER))
    link = {"type": "plain_text_input", "value": "https://www.tiktok.com/@air/video/7234567890123456789"}
    assert bot.workspace.submit(REVIEWER, form.id, {"link": {"link": link}}).errors == {}
    assert post(bot).status is PostStatus.PUBLISHED
    assert sandbox_requests(bot, "video_init") == []


def test_scheduling_refuses_what_is_not_approved_or_of_another_element(bot: LocalBot) -> None:
    answer = schedule(bot, "1 Fire next")
    assert "Air content and Fire is a Fire channel" in answer
    request(bot, "hook Air kites again")
    bot.run_jobs()
    assert "only approved content is scheduled" in schedule(bot, "2 Air next")


def test_a_post_is_cancelled_from_its_message(bot: LocalBot) -> None:
    schedule(bot, "1 Air next")
    found = post(bot)
    bot.workspace.click(REVIEWER, action_id="post_cancel", message=(REVIEW, found.slack_ts))
    bot.standin.wait_for(lambda: post(bot).status is PostStatus.CANCELLED)
    Clock(bot.services.redis, bot.settings.database_url).publish_tick(
        found.scheduled_at + timedelta(minutes=1)
    )
    bot.run_jobs()
    assert post(bot).status is PostStatus.CANCELLED
    assert sandbox_requests(bot, "inbox_video_init") == []
