"""Publishing through TikTok (the stand-in, with its wire format, limits and faults) as Slack drives
the bot: signed slash commands and button presses, the clock's sweeps and the worker on RQ and Redis.

What TikTok really published (`tiktok.published`) is the ground truth for "exactly once".
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from cryptography.fernet import Fernet
from sqlalchemy import update

from contentbot.local import LocalBot
from core.posts import Post, PostStatus
from standins.tiktok import TikTokStandIn
from storage.db import session_scope
from storage.models import ChannelRow, PostRow
from storage.posts import get_post
from tests.bot.slack_inputs import all_text
from tests.generation_helpers import REVIEW, REVIEWER, approve, request, start_bot
from tests.tiktok_helpers import connect_channel, consent, link_in
from tests.videos import make_video
from workers import publish
from workers.clock import Clock

OPEN_ID = "open-air"
POSTER = "U0BOB"
# Listeners answer after Slack's ack, on Bolt's threads: a loaded machine may take seconds (no timing is asserted).
PATIENCE = 30.0


@pytest.fixture
def tiktok() -> Iterator[TikTokStandIn]:
    # Processing ends at once: these tests are about what happens around it, not its length.
    with TikTokStandIn(processing_seconds=0) as standin:
        standin.add_account(OPEN_ID, nickname="Air Toys", username="air.toys")
        yield standin


@pytest.fixture
def bot(
    database_url: str, redis_conn: redis.Redis, tiktok: TikTokStandIn, tmp_path: Path
) -> Iterator[LocalBot]:
    """Channel Air connected to the stand-in's account; content 1 approved for Air."""
    local = start_bot(
        database_url,
        redis_conn,
        tiktok_client_key=tiktok.client_key,
        tiktok_client_secret=tiktok.client_secret,
        tiktok_api_url=tiktok.base_url,
        tiktok_auth_url=tiktok.base_url,
        token_key=Fernet.generate_key().decode(),
    )
    connect_channel(database_url, tiktok, "Air", OPEN_ID, local.settings.token_key)
    with session_scope(database_url) as session:
        session.execute(update(ChannelRow).where(ChannelRow.name == "Air").values(owner_user_id=POSTER))
    request(local, "hook Air kites that loop the loop")
    local.run_jobs()
    approve(local)
    (tmp_path / "kite.mp4").write_bytes(make_video(5))
    yield local
    local.close()


def set_mode(bot: LocalBot, mode: str) -> None:
    with session_scope(bot.settings.database_url) as session:
        session.execute(update(ChannelRow).where(ChannelRow.name == "Air").values(posting_mode=mode))


def schedule(bot: LocalBot, tmp_path: Path, words: str = "next public") -> str:
    reply = bot.workspace.slash(REVIEWER, f"schedule 1 Air {words} video {tmp_path / 'kite.mp4'}")
    assert reply.status == 200
    return str(reply.json()["text"])


def post(bot: LocalBot, post_id: int = 1) -> Post:
    with session_scope(bot.settings.database_url) as session:
        found = get_post(session, post_id)
    assert found is not None
    return found


def clock(bot: LocalBot) -> Clock:
    """The bot's one clock (a second one would wait for the first one's leader lock to lapse)."""
    if not hasattr(bot, "_test_clock"):
        bot._test_clock = Clock(bot.services.redis, bot.settings.database_url)  # type: ignore[attr-defined]
    return bot._test_clock  # type: ignore[attr-defined,no-any-return]


def go_out(bot: LocalBot, post_id: int = 1, *, at: datetime | None = None) -> Post:
    """The clock finds the post due and a worker takes it as far as it goes."""
    assert clock(bot).publish_tick(at or post(bot, post_id).scheduled_at)
    bot.run_jobs()
    return post(bot, post_id)


def look_again(bot: LocalBot, *, due: bool = False) -> None:
    """The clock's 5-second pass (it enqueues the follow-up looks) and the jobs it queued; `due`
    brings every post's next look forward to now."""
    if due:
        for key in bot.services.redis.keys("followup:*"):
            bot.services.redis.delete(key)
    assert clock(bot).tick(datetime.now(UTC))
    bot.run_jobs()


def thread(bot: LocalBot, post_id: int = 1) -> list[str]:
    found = post(bot, post_id)
    assert found.slack_ts is not None
    return [m.text for m in bot.standin.thread(REVIEW, found.slack_ts)[1:]]


def message(bot: LocalBot, post_id: int = 1) -> Any:
    found = post(bot, post_id)
    [shown] = [m for m in bot.standin.messages(REVIEW) if m.ts == found.slack_ts]
    return shown


def buttons(shown: Any) -> list[str]:
    return [e["text"]["text"] for b in shown.blocks if b["type"] == "actions" for e in b["elements"]]


def dms(bot: LocalBot, user: str) -> list[Any]:
    return bot.standin.messages(bot.standin.dm_channel(user))


def test_a_direct_post_goes_out_once_paced_per_token(
    bot: LocalBot, tiktok: TikTokStandIn, tmp_path: Path, redis_conn: redis.Redis
) -> None:
    set_mode(bot, "direct")
    assert schedule(bot, tmp_path).startswith("Scheduled post 1")
    done = go_out(bot)
    [published] = tiktok.published(OPEN_ID)
    assert done.status is PostStatus.PUBLISHED and done.public_id == published.video_id
    assert f"https://www.tiktok.com/video/{published.video_id}" in all_text(message(bot).blocks)
    # Each call took a slot of the token's window, shared by every worker through Redis.
    keys = [k.decode() for k in redis_conn.keys("pace:tiktok:*")]
    assert {k.split(":")[2] for k in keys} == {"init", "status"}
    assert not any("act." in k for k in keys)  # the token itself never reaches Redis


def test_a_token_that_lapses_between_upload_and_status_is_refreshed_and_the_same_post_followed(
    bot: LocalBot, tiktok: TikTokStandIn, tmp_path: Path
) -> None:
    set_mode(bot, "direct")
    schedule(bot, tmp_path)
    tiktok.script_next_posts(expire_token_on_upload=True)
    done = go_out(bot)
    assert done.status is PostStatus.PUBLISHED
    assert len(tiktok.requests_to("init")) == 1  # never a second init
    assert len(tiktok.requests_to("token")) == 1  # one refresh
    statuses = tiktok.requests_to("status")
    # The refused fetch with the lapsed token, then the same publish_id with the new one.
    assert statuses[0].headers["authorization"] != statuses[-1].headers["authorization"]
    assert {s.json["publish_id"] for s in statuses} == {done.publish_id}
    assert len(tiktok.published(OPEN_ID)) == 1


def test_a_revoked_grant_fails_the_post_plainly_and_retry_all_sends_it_once_after_reconnecting(
    bot: LocalBot, tiktok: TikTokStandIn, tmp_path: Path
) -> None:
    set_mode(bot, "direct")
    schedule(bot, tmp_path)
    tiktok.revoke_grant(OPEN_ID)
    failed = go_out(bot)
    assert failed.status is PostStatus.FAILED and failed.publish_id is None
    assert "TikTok refused the grant (expired, already used or revoked); reconnect the account" in (
        failed.failure or ""
    )
    shown = message(bot)
    assert buttons(shown) == ["Reconnect", "Retry", "Cancel"]
    assert any(t.startswith(":x: Failed: TikTok refused the grant") for t in thread(bot))
    [told] = bot.standin.wait_for(lambda: dms(bot, POSTER))  # the channel's owner, with Reconnect
    assert "needs reconnecting" in told.text and buttons(told) == ["Reconnect"]

    # Reconnect from the post's own message: a fresh Connect link, TikTok's consent, the callback.
    assert (
        bot.workspace.click(REVIEWER, action_id="tiktok_reconnect", message=(REVIEW, shown.ts)).status == 200
    )
    [answer] = bot.standin.wait_for(lambda: bot.standin.ephemerals(REVIEW, REVIEWER), timeout=PATIENCE)
    assert httpx.get(consent(bot, link_in(answer.blocks))).status_code == 200
    [connected] = bot.standin.wait_for(lambda: dms(bot, REVIEWER), timeout=PATIENCE)
    assert "Connected channel *Air*" in connected.text
    assert buttons(connected) == ["Retry 1 failed post for this channel"]
    assert buttons(message(bot)) == ["Retry", "Cancel"]  # no longer a Reconnect

    for _ in range(2):  # pressed twice: the post goes back on the schedule once
        bot.workspace.click(
            REVIEWER, action_id="posts_retry_channel", message=(connected.channel, connected.ts)
        )
    replies = bot.standin.wait_for(
        lambda: (
            len(bot.standin.ephemerals(connected.channel, REVIEWER)) == 2
            and bot.standin.ephemerals(connected.channel, REVIEWER)
        ),
        timeout=PATIENCE,
    )
    assert sorted(r.text for r in replies) == [
        "Nothing to retry: the channel has no failed posts.",
        "Sent 1 failed post(s) again: 1.",
    ]
    assert go_out(bot).status is PostStatus.PUBLISHED
    assert len(tiktok.published(OPEN_ID)) == 1 and len(tiktok.requests_to("init")) == 2


def test_the_unaudited_client_error_says_the_account_is_public_and_keeps_the_log_id(
    bot: LocalBot, tiktok: TikTokStandIn, tmp_path: Path
) -> None:
    tiktok.audited = False
    set_mode(bot, "direct")
    schedule(bot, tmp_path, "next private")  # SELF_ONLY: still refused, the account is public
    failed = go_out(bot)
    assert failed.status is PostStatus.FAILED and failed.log_id
    assert "this account is public; an unaudited app may post only to private accounts" in (
        failed.failure or ""
    )
    text = all_text(message(bot).blocks)
    assert f"(TikTok log id {failed.log_id})" in text and "Retry" in buttons(message(bot))
    assert tiktok.published(OPEN_ID) == []


def test_tiktoks_daily_limit_and_rate_limit_are_said_plainly(
    bot: LocalBot, tiktok: TikTokStandIn, tmp_path: Path
) -> None:
    set_mode(bot, "direct")
    schedule(bot, tmp_path)
    tiktok.rate_limit_next("init")
    waiting = go_out(bot)
    # TikTok's own 429 before any init took effect: tried again later, never failed.
    assert waiting.status is PostStatus.QUEUED and waiting.publish_id is None
    assert any(
        "TikTok said: TikTok's per-minute rate limit for this account was hit" in t for t in thread(bot)
    )

    tiktok.consume_daily_posts(OPEN_ID, 15)
    # RQ holds the retry back a few seconds; without it in Redis the clock's sweep sends the attempt again.
    bot.services.redis.flushdb()
    Clock(bot.services.redis, bot.settings.database_url).publish_tick(
        datetime.now(UTC) + timedelta(minutes=1)
    )
    bot.run_jobs()
    failed = post(bot)
    assert failed.status is PostStatus.FAILED
    assert (
        failed.failure
        == "this account reached TikTok's daily limit of posts through apps; it resets within 24 hours"
    )


def test_a_slow_post_is_said_still_processing_and_tiktoks_reason_given_when_it_fails(
    bot: LocalBot, tiktok: TikTokStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(publish, "STILL_PROCESSING_AFTER", (timedelta(seconds=1),))
    monkeypatch.setattr(publish, "POLL_SECONDS", 0.2)
    set_mode(bot, "direct")
    schedule(bot, tmp_path)
    tiktok.script_next_posts(stuck=True)

    def tiktok_gives_up() -> None:
        bot.standin.wait_for(lambda: any("Still processing" in t for t in thread(bot)), timeout=PATIENCE)
        [stuck] = tiktok.publishes(OPEN_ID)
        stuck.fail_reason = "spam_risk_text"
        stuck.stuck = False

    watcher = threading.Thread(target=tiktok_gives_up)
    watcher.start()
    failed = go_out(bot)
    watcher.join()
    said = thread(bot)
    assert any(
        t.startswith(":hourglass: Still processing at TikTok after 0 minutes (PROCESSING_UPLOAD)")
        for t in said
    )
    assert failed.status is PostStatus.FAILED
    assert failed.failure == "TikTok flagged the caption as spam; edit it"
    assert len(tiktok.requests_to("init")) == 1


def test_a_draft_pings_its_poster_and_is_linked_once_posted_in_the_app(
    bot: LocalBot, tiktok: TikTokStandIn, tmp_path: Path
) -> None:
    set_mode(bot, "draft")
    schedule(bot, tmp_path, "next")
    waiting = go_out(bot)
    assert waiting.status is PostStatus.AWAITING_POSTER
    [draft] = tiktok.publishes(OPEN_ID)
    assert draft.kind == "inbox" and draft.post_info == {}  # TikTok's inbox takes no caption
    [handoff] = [t for t in thread(bot) if t.startswith(":inbox_tray:")]
    assert f"<@{POSTER}>" in handoff and waiting.caption.splitlines()[0] in handoff
    [dm] = bot.standin.wait_for(lambda: dms(bot, POSTER))
    assert dm.text == handoff

    look_again(bot)  # not posted yet: nothing found, nothing changes
    assert post(bot).status is PostStatus.AWAITING_POSTER

    tiktok.complete_draft(draft.publish_id, caption=waiting.caption + " #ad")
    look_again(bot, due=True)
    done = post(bot)
    assert done.status is PostStatus.PUBLISHED and done.public_id == draft.video_id
    assert f"Posted from the TikTok inbox: https://www.tiktok.com/video/{draft.video_id}" in thread(bot)
    assert len(tiktok.published(OPEN_ID)) == 1


def test_a_public_id_that_appears_late_is_resolved_and_metrics_are_unavailable_until_then(
    bot: LocalBot, tiktok: TikTokStandIn, tmp_path: Path
) -> None:
    set_mode(bot, "direct")
    schedule(bot, tmp_path)
    tiktok.script_next_posts(public_id_delay=3600)  # an hour in moderation
    done = go_out(bot)
    assert done.status is PostStatus.PUBLISHED and done.public_id is None
    text = all_text(message(bot).blocks)
    assert "Metrics unavailable" in text and "0 views" not in text

    look_again(bot)
    assert post(bot).public_id is None
    [published] = tiktok.publishes(OPEN_ID)
    published.public_id_delay = 0  # moderation passed
    look_again(bot, due=True)
    assert post(bot).public_id == published.video_id
    assert any(t.startswith("TikTok shows the video publicly now") for t in thread(bot))
    assert "View on TikTok" in all_text(message(bot).blocks)


def test_a_grant_refused_after_tiktok_has_the_post_leaves_it_unknown_and_resumes_it_after_reconnecting(
    bot: LocalBot, tiktok: TikTokStandIn, tmp_path: Path
) -> None:
    set_mode(bot, "direct")
    schedule(bot, tmp_path)
    tiktok.script_next_posts(expire_token_on_upload=True)
    tiktok.fail_next("token", "invalid_grant", message="Refresh token is invalid or expired.")
    held = go_out(bot)
    # TikTok has the post (a publish_id): never failed, so no Retry can send it a second time.
    assert held.status is PostStatus.NEEDS_RECONCILE and held.publish_id
    assert "TikTok refused the grant" in (held.failure or "")
    assert buttons(message(bot)) == ["Reconnect"]
    assert any(t.startswith(":grey_question: TikTok has this post") for t in thread(bot))

    go_out(bot, at=datetime.now(UTC) + timedelta(minutes=1))  # still refused: nothing changes
    assert post(bot).status is PostStatus.NEEDS_RECONCILE

    connect_channel(bot.settings.database_url, tiktok, "Air", OPEN_ID, bot.settings.token_key)
    done = go_out(bot, at=datetime.now(UTC) + timedelta(minutes=2))
    assert done.status is PostStatus.PUBLISHED and done.publish_id == held.publish_id
    assert len(tiktok.requests_to("init")) == 1 and len(tiktok.published(OPEN_ID)) == 1


def test_scheduling_refuses_a_sixth_pending_inbox_draft_within_a_day(
    bot: LocalBot, tiktok: TikTokStandIn, tmp_path: Path
) -> None:
    set_mode(bot, "draft")
    with session_scope(bot.settings.database_url) as session:
        session.execute(
            update(ChannelRow)
            .where(ChannelRow.name == "Air")
            .values(daily_cap=15, min_gap_minutes=0, windows=[])
        )
    day = (datetime.now(bot.settings.tz) + timedelta(days=3)).date()
    following = day + timedelta(days=1)
    for hour in (10, 12, 14, 16, 18):
        assert schedule(bot, tmp_path, f"{day} {hour}:00").startswith("Scheduled post")
    refused = schedule(bot, tmp_path, f"{following} 09:00")
    assert refused.startswith("Not scheduled") and "at most 5 drafts pending in a creator's inbox" in refused
    # More than a day after the first draft, the window holds 5 again.
    assert schedule(bot, tmp_path, f"{following} 10:30").startswith("Scheduled post 6")
    # A draft finished in the app no longer counts.
    with session_scope(bot.settings.database_url) as session:
        session.execute(update(PostRow).where(PostRow.id == 2).values(status="published"))
    assert schedule(bot, tmp_path, f"{following} 09:00").startswith("Scheduled post 7")


def test_a_publish_id_tiktok_forgot_is_settled_by_the_video_list_never_sent_again(
    bot: LocalBot, tiktok: TikTokStandIn, tmp_path: Path
) -> None:
    set_mode(bot, "direct")
    schedule(bot, tmp_path)
    tiktok.fail_next("status", "invalid_publish_id", message="The publish_id is invalid or does not exist.")
    done = go_out(bot)
    [published] = tiktok.published(OPEN_ID)
    assert done.status is PostStatus.PUBLISHED and done.public_id == published.video_id
    assert len(tiktok.requests_to("init")) == 1 and tiktok.requests_to("video_list")


def test_the_schedule_form_shows_what_tiktok_says_of_the_creator_now(
    bot: LocalBot, tiktok: TikTokStandIn
) -> None:
    set_mode(bot, "direct")
    # Turned off in TikTok after the account was connected: the form must not offer them.
    tiktok.account(OPEN_ID).duet_disabled = True
    tiktok.account(OPEN_ID).nickname = "Air Toys HQ"
    assert bot.workspace.slash(REVIEWER, "schedule 1 Air").status == 200
    form = bot.standin.wait_for(lambda: bot.standin.modals(REVIEWER))[-1]
    shown = all_text(form.blocks)
    assert "Posting to TikTok as *Air Toys HQ*" in shown
    assert "Air Toys HQ turned off duets in TikTok." in shown
    assert tiktok.requests_to("creator_info")  # asked when the form opened, not only at connect
