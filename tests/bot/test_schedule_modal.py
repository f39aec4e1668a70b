"""The schedule modal, driven as Slack drives it (signed requests, the Slack stand-in's modals and file
input): every error under its field at once, a video shared through the form and read for its length,
a direct post as TikTok's guidelines ask, overrides recorded, and the queue's Cancel and Reschedule."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import update

from contentbot.local import LocalBot
from core.accounts import Creator
from core.posts import PostStatus
from standins.console import Settle, run
from standins.slack import View
from storage import accounts as store
from storage.channels import get_channel
from storage.crypto import TokenCipher
from storage.db import session_scope
from storage.models import ChannelRow
from storage.posts import get_post
from tests.bot.slack_inputs import all_text
from tests.generation_helpers import ORIGIN, REQUESTER, REVIEW, REVIEWER, approve, request, start_bot
from tests.videos import make_video as video
from workers.clock import Clock

KEY = Fernet.generate_key().decode()


@pytest.fixture
def bot(database_url: str, redis_conn, tmp_path: Path):  # type: ignore[no-untyped-def]
    """One approved TikTok hook for Air (content 1); posts go to the sandbox, videos to tmp_path."""
    local = start_bot(
        database_url, redis_conn, sandbox_dir=str(tmp_path / "sandbox"), media_dir=str(tmp_path / "media")
    )
    request(local, "hook Air kites that loop the loop")
    local.run_jobs()
    approve(local)
    yield local
    local.close()


def set_mode(bot: LocalBot, channel: str, mode: str) -> None:
    with session_scope(bot.settings.database_url) as session:
        session.execute(update(ChannelRow).where(ChannelRow.name == channel).values(posting_mode=mode))


def open_form(bot: LocalBot, words: str = "", user: str = REVIEWER) -> View:
    reply = bot.workspace.slash(user, f"schedule {words}".strip(), channel=ORIGIN)
    assert reply.status == 200
    return bot.standin.wait_for(lambda: bot.standin.modals(user))[-1]


def text(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def post(bot: LocalBot, post_id: int = 1):  # type: ignore[no-untyped-def]
    with session_scope(bot.settings.database_url) as session:
        return get_post(session, post_id)


def block_ids(view: View) -> list[str]:
    return [b.get("block_id", "") for b in view.blocks]


def test_every_error_comes_back_under_its_field_at_once(bot: LocalBot) -> None:
    form = open_form(bot)
    assert bot.workspace.submit(REVIEWER, form.id).errors.keys() == {
        "content",
        "channel",
    }  # Slack's own check
    air = {
        "type": "static_select",
        "selected_option": {"value": "Air", "text": {"type": "plain_text", "text": "Air"}},
    }
    reply = bot.workspace.submit(
        REVIEWER,
        form.id,
        {
            "content": {"content": text("twelve")},
            "channel": {"schedule_channel_picked": air},
            "when": {"when": text("Blursday 25:00")},
        },
    )
    assert set(reply.errors) == {"content", "when"}
    assert "whole number" in reply.errors["content"]
    form = open_form(bot, "1")
    reply = bot.workspace.submit(
        REVIEWER,
        form.id,
        {"when": {"when": text("2020-01-01 09:00")}, "video_url": {"video_url": text("http://x.test/a.mp4")}},
    )
    assert "in the past" in reply.errors["when"] and "https" in reply.errors["video_url"]
    assert post(bot) is None


def test_a_video_shared_in_the_form_is_fetched_and_checked(bot: LocalBot) -> None:
    form = open_form(bot, "1")
    assert (
        form.definition["blocks"][block_ids(form).index("channel")]["element"]["initial_option"]["value"]
        == "Air"
    )
    too_long = bot.standin.attach_file(REVIEWER, "long.mp4", video(600))
    reply = bot.workspace.submit(
        REVIEWER, form.id, {"video": {"video": {"type": "file_input", "files": [too_long]}}}
    )
    assert "runs 10 min 1 s" in reply.errors["video"] and "at most 10 min" in reply.errors["video"]
    not_video = bot.standin.attach_file(REVIEWER, "notes.mp4", b"these are not frames" * 50)
    reply = bot.workspace.submit(
        REVIEWER, form.id, {"video": {"video": {"type": "file_input", "files": [not_video]}}}
    )
    assert "could not be read as a video" in reply.errors["video"]

    good = bot.standin.attach_file(REVIEWER, "kite.mp4", video(15))
    reply = bot.workspace.submit(
        REVIEWER, form.id, {"video": {"video": {"type": "file_input", "files": [good]}}}
    )
    assert reply.status == 200 and not reply.errors
    done = post(bot)
    assert done is not None and done.status is PostStatus.SCHEDULED and done.media
    assert Path(done.media).read_bytes() == bot.standin.files()[-1].content
    assert "Scheduled post 1" in all_text(bot.standin.modals(REVIEWER)[-1].blocks)


def test_the_approved_list_opens_the_form_at_the_next_free_slot(bot: LocalBot) -> None:
    bot.workspace.slash(REVIEWER, "list approved", channel=ORIGIN)
    listed = bot.standin.wait_for(lambda: bot.standin.ephemerals(ORIGIN, REVIEWER))[-1]
    bot.workspace.click(REVIEWER, action_id="content_schedule_next", value="1", message=(ORIGIN, listed.ts))
    form = bot.standin.wait_for(lambda: bot.standin.modals(REVIEWER))[-1]
    assert bot.workspace.submit(REVIEWER, form.id).errors == {}
    assert post(bot).status is PostStatus.SCHEDULED


def connect(bot: LocalBot, channel: str, creator: Creator) -> None:
    """A connected account whose creator info is `creator` (as TikTok's creator_info said)."""
    now = datetime.now(UTC)
    with session_scope(bot.settings.database_url) as session:
        found = get_channel(session, channel)
        assert found is not None and found.id is not None
        store.save_account(
            session,
            found.id,
            open_id="open-" + channel,
            scopes=frozenset({"video.publish"}),
            tokens=store.StoredTokens("act.x", now + timedelta(hours=2), "rft.x", now + timedelta(days=180)),
            creator=creator,
            user_id=REVIEWER,
            cipher=TokenCipher(KEY),
            now=now,
        )


def test_a_direct_post_form_follows_tiktoks_guidelines(bot: LocalBot) -> None:
    set_mode(bot, "Air", "direct")
    bot.settings.tiktok_client_key, bot.settings.tiktok_client_secret = "key", "secret"
    connect(
        bot,
        "Air",
        Creator(
            "Sky Loop Toys",
            "skyloop",
            ("PUBLIC_TO_EVERYONE", "SELF_ONLY"),
            duet_disabled=True,
            stitch_disabled=True,
            max_video_post_duration_sec=60,
        ),
    )
    form = open_form(bot, "1 Air")
    shown = all_text(form.blocks)
    assert "Posting to TikTok as *Sky Loop Toys*" in shown
    privacy = form.blocks[block_ids(form).index("privacy")]["element"]
    assert [o["value"] for o in privacy["options"]] == ["PUBLIC_TO_EVERYONE", "SELF_ONLY"]
    assert "initial_option" not in privacy  # no default: a person chooses
    interactions = form.blocks[block_ids(form).index("interactions")]["element"]
    assert [o["value"] for o in interactions["options"]] == ["comment"] and not interactions.get(
        "initial_options"
    )
    assert "turned off duets and stitches" in shown
    assert "Music Usage Confirmation" in shown and "Branded Content Policy" not in shown

    # Branded content: the consent line grows, and it cannot be private.
    bot.workspace.click(
        REVIEWER,
        action_id="schedule_disclosure_picked",
        value=["disclose", "branded_content"],
        view_id=form.id,
    )
    bot.standin.wait_for(lambda: "Branded Content Policy" in all_text(bot.standin.view(form.id).blocks))
    choice = {
        "type": "static_select",
        "selected_option": {"value": "SELF_ONLY", "text": {"type": "plain_text", "text": "Only me"}},
    }
    clip = bot.standin.attach_file(REVIEWER, "kite.mp4", video(60))
    reply = bot.workspace.submit(
        REVIEWER,
        form.id,
        {"privacy": {"privacy": choice}, "video": {"video": {"type": "file_input", "files": [clip]}}},
    )
    assert "cannot be private" in reply.errors["disclosure"] and "at most 1 min" in reply.errors["video"]


def test_the_sandbox_sends_the_choices_in_post_info(bot: LocalBot) -> None:
    set_mode(bot, "Air", "direct")
    form = open_form(bot, "1 Air")
    choice = {
        "type": "static_select",
        "selected_option": {
            "value": "FOLLOWER_OF_CREATOR",
            "text": {"type": "plain_text", "text": "Followers"},
        },
    }
    allowed = {
        "type": "checkboxes",
        "selected_options": [{"value": "comment", "text": {"type": "plain_text", "text": "x"}}],
    }
    brand = {
        "type": "checkboxes",
        "selected_options": [{"value": "your_brand", "text": {"type": "plain_text", "text": "x"}}],
    }
    reply = bot.workspace.submit(
        REVIEWER,
        form.id,
        {
            "privacy": {"privacy": choice},
            "interactions": {"interactions": allowed},
            "disclosure": {"schedule_disclosure_picked": brand},
        },
    )
    assert reply.errors == {}
    Clock(bot.services.redis, bot.settings.database_url).publish_tick(post(bot).scheduled_at)
    bot.run_jobs()
    [init] = [json.loads(p.read_text()) for p in Path(bot.settings.sandbox_dir).glob("*-video_init.json")]
    info = init["body"]["post_info"]
    assert info["privacy_level"] == "FOLLOWER_OF_CREATOR"
    assert (info["disable_comment"], info["disable_duet"], info["disable_stitch"]) == (False, True, True)
    assert (info["brand_organic_toggle"], info["brand_content_toggle"]) == (True, False)


def test_a_conflict_names_the_other_post_and_a_reviewer_may_override_it(bot: LocalBot) -> None:
    assert bot.workspace.submit(REVIEWER, open_form(bot, "1 Air").id).errors == {}
    reply = bot.workspace.submit(
        REQUESTER, open_form(bot, "1 Fire", REQUESTER).id, {"override": {"override": text("a test")}}
    )
    assert "post 1" in reply.errors["content"] and "Fire is a Fire channel" in reply.errors["content"]
    assert "Only reviewers" in reply.errors["override"]
    form = open_form(bot, "1 Fire")
    reply = bot.workspace.submit(REVIEWER, form.id)
    assert "A reviewer may post it anyway" in reply.errors["content"]
    reply = bot.workspace.submit(
        REVIEWER, form.id, {"override": {"override": text("launch on both channels")}}
    )
    assert reply.errors == {}
    second = post(bot, 2)
    assert second.channel_name == "Fire" and "launch on both channels" in (second.override or "")
    assert "post 1" in (second.override or "") and REVIEWER in (second.override or "")


def test_the_queue_shows_posts_with_cancel_and_reschedule(bot: LocalBot) -> None:
    form = open_form(bot, "1 Air")
    assert bot.workspace.submit(REVIEWER, form.id).errors == {}
    bot.workspace.cancel(REVIEWER, form.id)  # the person closes the "Scheduled" notice
    before = post(bot).scheduled_at
    reply = bot.workspace.slash(REVIEWER, "queue Air", channel=ORIGIN)
    shown = reply.json()
    assert "1 post(s) coming up" in shown["text"] and "Coming up on Air" in all_text(shown["blocks"])
    queue = bot.standin.wait_for(lambda: bot.standin.ephemerals(ORIGIN, REVIEWER))[-1]
    bot.workspace.click(REVIEWER, action_id="post_reschedule", message=(ORIGIN, queue.ts))
    form = bot.standin.wait_for(lambda: bot.standin.modals(REVIEWER))[-1]
    assert form.definition["title"]["text"] == "Move post" and "video" not in block_ids(form)
    reply = bot.workspace.submit(REVIEWER, form.id, {"when": {"when": text("2020-01-01 09:00")}})
    assert "in the past" in reply.errors["when"]
    later = (before + timedelta(days=1)).astimezone(bot.settings.tz).strftime("%Y-%m-%d %H:%M")
    assert bot.workspace.submit(REVIEWER, form.id, {"when": {"when": text(later)}}).errors == {}
    moved = post(bot)
    assert moved.scheduled_at == before + timedelta(days=1) and moved.status is PostStatus.SCHEDULED
    bot.workspace.click(REVIEWER, action_id="post_cancel", message=(ORIGIN, queue.ts))
    bot.standin.wait_for(lambda: post(bot).status is PostStatus.CANCELLED)


def thread(bot: LocalBot) -> list[str]:
    found = post(bot)
    return [m.text for m in bot.standin.thread(REVIEW, found.slack_ts)[1:]]


def test_a_manual_post_hands_over_its_file_and_caption_and_reminds_until_posted(bot: LocalBot) -> None:
    set_mode(bot, "Air", "manual")
    with session_scope(bot.settings.database_url) as session:
        session.execute(update(ChannelRow).where(ChannelRow.name == "Air").values(owner_user_id=REQUESTER))
    clip = bot.standin.attach_file(REVIEWER, "kite.mp4", video(5))
    form = open_form(bot, "1 Air")
    assert (
        bot.workspace.submit(
            REVIEWER, form.id, {"video": {"video": {"type": "file_input", "files": [clip]}}}
        ).errors
        == {}
    )
    clock = Clock(bot.services.redis, bot.settings.database_url)
    clock.publish_tick(post(bot).scheduled_at)
    bot.run_jobs()
    handed = post(bot)
    assert handed.status is PostStatus.AWAITING_POSTER
    said = thread(bot)
    assert any(t.startswith(f"<@{REQUESTER}> Time to post this on Air by hand") for t in said)
    assert any(handed.caption.split("\n")[0][:40] in t for t in said)
    [shared] = [f for f in bot.standin.files() if f.thread_ts == handed.slack_ts]
    assert shared.content == Path(handed.media or "").read_bytes()

    start = handed.started_at or handed.scheduled_at
    reminders = lambda: [t for t in thread(bot) if "Reminder:" in t]  # noqa: E731
    clock.tick(start + timedelta(minutes=29))
    bot.run_jobs()
    assert reminders() == []
    clock.tick(start + timedelta(minutes=31))
    bot.run_jobs()
    clock.tick(start + timedelta(minutes=31, seconds=30))  # the same minute again: one reminder
    bot.run_jobs()
    assert len(reminders()) == 1 and "waited 31 min" in reminders()[0]
    clock.tick(start + timedelta(minutes=62))
    bot.run_jobs()
    assert len(reminders()) == 2

    bot.workspace.click(REVIEWER, action_id="post_posted", message=(REVIEW, handed.slack_ts))
    link_form = bot.standin.wait_for(lambda: bot.standin.modals(REVIEWER))[-1]
    link = {"type": "plain_text_input", "value": "https://www.tiktok.com/@air/video/7234567890123456789"}
    assert bot.workspace.submit(REVIEWER, link_form.id, {"link": {"link": link}}).errors == {}
    clock.tick(start + timedelta(minutes=200))
    bot.run_jobs()
    assert len(reminders()) == 2 and post(bot).status is PostStatus.PUBLISHED


def test_posted_asks_for_the_link_of_a_manual_post(bot: LocalBot) -> None:
    set_mode(bot, "Air", "manual")
    form = open_form(bot, "1 Air")
    assert bot.workspace.submit(REVIEWER, form.id).errors == {}
    bot.workspace.cancel(REVIEWER, form.id)
    Clock(bot.services.redis, bot.settings.database_url).publish_tick(post(bot).scheduled_at)
    bot.run_jobs()
    waiting = post(bot)
    assert waiting.status is PostStatus.AWAITING_POSTER
    bot.workspace.click(REVIEWER, action_id="post_posted", message=(REVIEW, waiting.slack_ts))
    form = bot.standin.wait_for(lambda: bot.standin.modals(REVIEWER))[-1]
    reply = bot.workspace.submit(REVIEWER, form.id, {"link": {"link": text("https://vm.tiktok.com/ZMabc/")}})
    assert "TikTok link" in reply.errors["link"] and post(bot).status is PostStatus.AWAITING_POSTER
    link = "https://www.tiktok.com/@skyloop/video/7234567890123456789"
    assert bot.workspace.submit(REVIEWER, form.id, {"link": {"link": text(link)}}).errors == {}
    done = post(bot)
    assert done.status is PostStatus.PUBLISHED and done.public_id == "7234567890123456789"


def test_the_console_attaches_a_video_to_the_form(bot: LocalBot, tmp_path: Path) -> None:
    clip = tmp_path / "loop.mp4"
    clip.write_bytes(video(3))
    out = io.StringIO()
    lines = ["/content schedule 1", f"fill video {clip}", "submit", "quit"]
    run(
        bot.workspace,
        bot.standin,
        REVIEWER,
        stdin=io.StringIO("\n".join(lines) + "\n"),
        stdout=out,
        settle=Settle(first=2.0, quiet=0.1),
    )
    assert "Video = loop.mp4" in out.getvalue() and "Scheduled post 1" in out.getvalue()
    assert Path(post(bot).media or "").read_bytes() == clip.read_bytes()
