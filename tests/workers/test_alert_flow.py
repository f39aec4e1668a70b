"""Alerts from a snapshot to Slack and email: sweeps run as RQ jobs on real Redis, the Slack stand-in
answers, buttons are pressed with signed requests, and critical alerts reach a local SMTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message as EmailMessage
from typing import Any

import pytest
import redis
from aiosmtpd.controller import Controller
from sqlalchemy import update

from contentbot.local import LocalBot
from core.alert_lifecycle import ActionKind
from core.metrics import MetricSnapshot
from messages.posts import show_post
from standins.slack import Message
from storage.db import session_scope
from storage.heartbeats import beat
from storage.metrics import record_snapshot
from storage.models import PostRow
from storage.posts import get_post
from tests.bot.slack_inputs import all_text
from tests.factories import make_post
from tests.generation_helpers import REVIEW, REVIEWER, buttons, start_bot
from tests.workers.test_email import Inbox, free_port
from workers.alerts import sweep_alerts, watch
from workers.queues import enqueue_once
from workers.worker import make_worker

ALERTS = "C0ALERTS"
H = timedelta(hours=1)
MIN = timedelta(minutes=1)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def bot(database_url: str, redis_conn: redis.Redis, smtp: tuple[Inbox, int]) -> Iterator[LocalBot]:
    _, port = smtp
    local = start_bot(
        database_url,
        redis_conn,
        smtp_url=f"smtp://127.0.0.1:{port}?from=contentbot@example.com",
        alert_emails=["oncall@example.com"],
    )
    yield local
    local.close()


def published(
    bot: LocalBot, now: datetime, *, views: int | None = 0, public_id: str | None = "7300000000000000001"
) -> int:
    """A post public since 3 h on Air, with its message in REVIEW_CHANNEL, last measured 5 minutes ago."""
    with session_scope(bot.settings.database_url) as session:
        post_id = make_post(session, "Air", "Kites that loop the loop", now - 3 * H, status="published")
        session.execute(
            update(PostRow).where(PostRow.id == post_id).values(published_at=now - 3 * H, public_id=public_id)
        )
        if views is not None:
            record_snapshot(session, MetricSnapshot(post_id, now - 5 * MIN, views, source="display"))
        post = get_post(session, post_id)
    assert post is not None
    show_post(bot.settings, post)
    return post_id


def measure(bot: LocalBot, post_id: int, at: datetime, views: int) -> None:
    with session_scope(bot.settings.database_url) as session:
        record_snapshot(session, MetricSnapshot(post_id, at, views, source="display"))


def sweep(bot: LocalBot, at: datetime) -> None:
    """The clock's sweep, as the job runs it, at `at`."""
    assert bot.services.redis is not None
    stamp = at.isoformat()
    enqueue_once(
        bot.services.redis, "high", sweep_alerts, stamp, job_id=f"test-sweep-{int(at.timestamp() * 1000)}"
    )
    bot.run_jobs()


def alert_messages(bot: LocalBot) -> list[Message]:
    return [m for m in bot.standin.messages(ALERTS) if not m.is_reply]


def only_alert(bot: LocalBot) -> Message:
    [message] = alert_messages(bot)
    return message


def replies(bot: LocalBot, message: Message) -> list[str]:
    return [m.text for m in bot.standin.thread(message.channel, message.ts)[1:]]


def post_thread(bot: LocalBot, post_id: int) -> list[str]:
    with session_scope(bot.settings.database_url) as session:
        post = get_post(session, post_id)
    assert post is not None and post.slack_ts is not None
    return [m.text for m in bot.standin.thread(REVIEW, post.slack_ts)[1:]]


def press(bot: LocalBot, action_id: str, message: Message, user: str = REVIEWER) -> Message:
    """Press a button on the alert's message and wait for the message to change."""
    before = bot.standin.message(message.channel, message.ts)
    assert before is not None
    bot.workspace.click(user, action_id=action_id, message=(message.channel, message.ts))
    return bot.standin.wait_for(
        lambda: (
            (m := bot.standin.message(message.channel, message.ts)) is not None
            and m.blocks != before.blocks
            and m
        )
    )


def emails(smtp: tuple[Inbox, int]) -> list[tuple[str, list[str], EmailMessage]]:
    return smtp[0].messages


def test_a_post_at_zero_views_alerts_repeats_is_acknowledged_and_resolves(
    bot: LocalBot, smtp: tuple[Inbox, int]
) -> None:
    now = datetime.now(UTC)
    post_id = published(bot, now)
    sweep(bot, now)
    message = only_alert(bot)
    text = all_text(message.blocks)
    assert (
        "Critical · zero_views" in text
        and f"Post {post_id} “Kites that loop the loop” on Air has 0 views" in text
    )
    assert buttons(message) == ["Acknowledge", "Snooze 1 h", "Snooze 4 h", "Snooze 24 h", "Resolve"]
    [link] = [t for t in post_thread(bot, post_id) if "Alert:" in t]
    assert f"/archives/{ALERTS}/p{message.ts.replace('.', '')}" in link
    [(sender, to, mail)] = emails(smtp)
    assert sender == "contentbot@example.com"
    assert to == ["oncall@example.com"] and "0 views" in str(mail["Subject"])

    sweep(bot, now + 30 * MIN)  # the same snapshot again, before the repeat interval: nothing new
    assert len(alert_messages(bot)) == 1 and replies(bot, message) == [] and len(emails(smtp)) == 1

    sweep(bot, now + 61 * MIN)  # unacknowledged past the rule's 60 minutes: said again, in place
    message = only_alert(bot)
    assert "reminder 1" in all_text(message.blocks) and message.edited
    assert replies(bot, message) == ["Reminder 1: still firing."]
    assert bot.standin.thread(ALERTS, message.ts)[1].reply_broadcast
    assert len(emails(smtp)) == 2

    message = press(bot, "alert_acknowledge", message)
    assert f"acknowledged by <@{REVIEWER}>" in all_text(message.blocks)
    assert "Acknowledge" not in buttons(message)
    measure(bot, post_id, now + 3 * H - MIN, 0)  # still nobody sees it (and its metrics are fresh)
    sweep(bot, now + 3 * H)  # acknowledged: no more reminders
    assert replies(bot, message) == ["Reminder 1: still firing."]

    measure(bot, post_id, now + 3 * H, 40)  # views arrive: the condition clears
    sweep(bot, now + 3 * H + MIN)
    message = only_alert(bot)
    assert all_text(message.blocks).startswith(":white_check_mark:") and "the condition cleared" in all_text(
        message.blocks
    )
    assert buttons(message) == []
    assert any(t.startswith(":white_check_mark: Resolved:") for t in post_thread(bot, post_id))
    assert str(emails(smtp)[-1][2]["Subject"]).startswith("[contentbot] Resolved:")


def test_a_snooze_holds_reminders_back_until_it_runs_out(bot: LocalBot) -> None:
    now = datetime.now(UTC)
    published(bot, now)
    sweep(bot, now)
    message = press(bot, "alert_snooze_1h", only_alert(bot))
    assert "snoozed until" in all_text(message.blocks)
    sweep(bot, now + 50 * MIN)
    assert replies(bot, message) == []
    sweep(bot, now + 62 * MIN)  # the snooze ran out: a reminder, and it fires on
    assert replies(bot, message) == ["Reminder 1: still firing."]
    assert "Acknowledge" in buttons(only_alert(bot))


def test_resolving_by_hand_from_the_list_updates_the_alert_in_place(bot: LocalBot) -> None:
    now = datetime.now(UTC)
    post_id = published(bot, now)
    sweep(bot, now)
    before = len(bot.standin.ephemerals("C0CONTENT", REVIEWER))
    bot.workspace.slash(REVIEWER, "alerts", channel="C0CONTENT")
    listing = bot.standin.wait_for(lambda: bot.standin.ephemerals("C0CONTENT", REVIEWER)[before:])[0]
    assert "1 alert(s) open" in all_text(listing.blocks) and "Resolve" in all_text(listing.blocks)
    bot.workspace.click(REVIEWER, action_id="alert_resolve", message=("C0CONTENT", listing.ts))
    answer = bot.standin.wait_for(lambda: bot.standin.ephemerals("C0CONTENT", REVIEWER)[before + 1 :])[0]
    assert answer.text.startswith("Resolved: Post")
    assert f"resolved by <@{REVIEWER}>" in all_text(only_alert(bot).blocks)
    assert any("Resolved:" in t for t in post_thread(bot, post_id))
    bot.workspace.click(REVIEWER, action_id="alert_resolve", message=("C0CONTENT", listing.ts))
    again = bot.standin.wait_for(lambda: bot.standin.ephemerals("C0CONTENT", REVIEWER)[before + 2 :])[0]
    assert again.text == "Nothing changed: the alert is resolved already."
    reply = bot.workspace.slash(REVIEWER, "alerts", channel="C0CONTENT")
    assert reply.json()["text"] == "Nothing is firing."


def test_two_workers_sweeping_the_same_snapshot_say_it_once(bot: LocalBot, smtp: tuple[Inbox, int]) -> None:
    now = datetime.now(UTC)
    for _ in range(5):
        published(bot, now)
    connection = bot.services.redis
    assert connection is not None
    for n in range(2):
        enqueue_once(connection, "high", sweep_alerts, now.isoformat(), job_id=f"test-twin-{n}")
    workers = [make_worker(connection, in_thread=True) for _ in range(2)]
    threads = [threading.Thread(target=w.work, kwargs={"burst": True}) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(alert_messages(bot)) == 5
    assert len({all_text(m.blocks) for m in alert_messages(bot)}) == 5
    assert len(emails(smtp)) == 5


def test_a_post_without_a_public_id_never_alerts_zero_views(bot: LocalBot) -> None:
    now = datetime.now(UTC)
    published(bot, now, public_id=None)  # private, or still in moderation: views cannot be counted
    sweep(bot, now + 5 * H)
    assert alert_messages(bot) == []


def test_the_clock_silent_is_told_by_a_worker_and_resolves_when_it_beats(bot: LocalBot) -> None:
    now = datetime.now(UTC)
    with session_scope(bot.settings.database_url) as session:
        beat(session, "clock", now - 10 * MIN)
    [opened] = watch("clock", now)
    assert "The clock has been silent for 10 min." in all_text(only_alert(bot).blocks)
    # Still silent, within the repeat interval: the same message says how long, in place.
    assert [a.kind for a in watch("clock", now + MIN)] == [ActionKind.UPDATE]
    assert "silent for 11 min" in all_text(only_alert(bot).blocks) and replies(bot, only_alert(bot)) == []
    with session_scope(bot.settings.database_url) as session:
        beat(session, "clock", now + 2 * MIN)
    [resolved] = watch("clock", now + 2 * MIN)
    assert all_text(only_alert(bot).blocks).startswith(":white_check_mark:")
    assert opened.alert is not None and resolved.alert is not None and opened.alert.key == resolved.alert.key


def test_alerts_rules_shows_every_rule(bot: LocalBot) -> None:
    reply: Any = bot.workspace.slash(REVIEWER, "alerts rules", channel="C0CONTENT").json()
    text = all_text(reply["blocks"])
    assert (
        "*zero_views*: zero_views (after_hours 2) · critical · to ALERT_CHANNEL, the post's thread, ALERT_EMAILS"
        in text
    )
    assert "*clock_silent*: process_silent (process clock, after_minutes 2)" in text


def test_a_rule_routed_to_the_thread_alone_keeps_its_alert_there(
    bot: LocalBot, smtp: tuple[Inbox, int]
) -> None:
    now = datetime.now(UTC)
    with session_scope(bot.settings.database_url) as session:
        post_id = make_post(session, "Water", "Pool float that glows", now - 30 * H, status="published")
        session.execute(
            update(PostRow)
            .where(PostRow.id == post_id)
            .values(published_at=now - 30 * H, public_id="7300000000000000002")
        )
        # A Studio import: 2 saves in 2,000 views, under the default rule's 0.5%.
        record_snapshot(session, MetricSnapshot(post_id, now - 5 * MIN, 2000, saves=2, source="csv"))
        post = get_post(session, post_id)
    assert post is not None
    show_post(bot.settings, post)
    sweep(bot, now)
    assert alert_messages(bot) == [] and emails(smtp) == []
    with session_scope(bot.settings.database_url) as session:
        post = get_post(session, post_id)
    assert post is not None and post.slack_ts is not None
    [alert] = bot.standin.thread(REVIEW, post.slack_ts)[1:]
    assert "Info · low_save_rate" in all_text(alert.blocks) and "saves 0.10% of 2,000 views" in all_text(
        alert.blocks
    )
    acknowledged = press(bot, "alert_acknowledge", alert)
    assert f"acknowledged by <@{REVIEWER}>" in all_text(acknowledged.blocks)
