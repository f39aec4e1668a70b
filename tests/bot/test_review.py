"""Reviewing content in Slack: approve, reject, request changes, edit, regenerate; who may do what."""

from __future__ import annotations

import pytest
import redis

from contentbot.local import LocalBot
from core.content import ContentStatus
from standins.anthropic import AnthropicStandIn
from storage.db import session_scope
from storage.models import ContentRow
from tests.bot.slack_inputs import all_text, text
from tests.generation_helpers import (
    REQUESTER,
    REVIEW,
    REVIEWER,
    buttons,
    click,
    content,
    message_text,
    request,
    review_message,
    start_bot,
    submit,
    thread_texts,
    version_count,
    writes,
)


@pytest.fixture
def bot(claude_bot: LocalBot) -> LocalBot:
    """A bot with one TikTok hook for Air in review (content 1, written by Claude)."""
    request(claude_bot, "hook Air kites that loop the loop")
    claude_bot.run_jobs()
    return claude_bot


def told(bot: LocalBot, user: str) -> list[str]:
    return [e.text for e in bot.standin.ephemerals(REVIEW, user)]


def test_a_reviewer_approves_and_the_message_updates_in_place(bot: LocalBot) -> None:
    before = review_message(bot, 1)
    click(bot, REVIEWER, "review_approve")

    after = review_message(bot, 1)
    assert after.ts == before.ts and after.edited
    assert "Approved by <@U0ALICE> — ready to schedule" in message_text(after)
    assert buttons(after) == []
    assert thread_texts(bot, after)[-1] == "<@U0ALICE> approved it — ready to schedule."
    assert content(bot, 1).status == ContentStatus.APPROVED
    assert [call["ts"] for _, call in bot.standin.calls("chat.update")] == [before.ts]


@pytest.mark.parametrize("action", ["review_approve", "review_reject"])
def test_someone_else_is_told_why_and_nothing_changes(bot: LocalBot, action: str) -> None:
    click(bot, REQUESTER, action)
    assert told(bot, REQUESTER) == ["Only reviewers may approve or reject content; ask <@U0ALICE>."]
    assert content(bot, 1).status == ContentStatus.IN_REVIEW
    assert buttons(review_message(bot, 1))[0] == "Approve"


def test_a_reviewer_rejects_with_a_reason_kept_in_history(bot: LocalBot) -> None:
    click(bot, REVIEWER, "review_reject")  # asks why, optionally
    submit(bot, REVIEWER, {"reason": {"reason": text("Off-brand: <!here> too salesy")}})
    assert "Rejected by <@U0ALICE>" in message_text(review_message(bot, 1))
    assert content(bot, 1).status == ContentStatus.REJECTED
    assert thread_texts(bot, review_message(bot, 1))[-1] == (
        "<@U0ALICE> rejected it: Off-brand: &lt;!here&gt; too salesy"
    )
    history = all_text(bot.workspace.slash(REVIEWER, "history 1").json()["blocks"])
    assert (
        "*Rejected* by <@U0ALICE> on " in history and "(v1): Off-brand: &lt;!here&gt; too salesy" in history
    )
    assert "Requested by <@U0BOB>" in history and "brief: kites that loop the loop" in history


def test_a_reviewer_rejects_without_a_reason(bot: LocalBot) -> None:
    click(bot, REVIEWER, "review_reject")
    submit(bot, REVIEWER, {})
    assert content(bot, 1).status == ContentStatus.REJECTED
    assert thread_texts(bot, review_message(bot, 1))[-1] == "<@U0ALICE> rejected it."


def test_reviewers_may_be_a_user_group(
    database_url: str, redis_conn: redis.Redis, claude: AnthropicStandIn
) -> None:
    # Claude's draft has no findings (an offline one holds gaps, which take a second click).
    bot = start_bot(database_url, redis_conn, claude, reviewers=["S0REVIEWERS"])
    bot.standin.set_usergroup("S0REVIEWERS", [REQUESTER])
    try:
        request(bot, "hook Air kites that loop the loop")
        bot.run_jobs()
        click(bot, REVIEWER, "review_approve")
        assert told(bot, REVIEWER) == [
            "Only reviewers may approve or reject content; ask <!subteam^S0REVIEWERS>."
        ]
        click(bot, REQUESTER, "review_approve")
        assert content(bot, 1).status == ContentStatus.APPROVED
        assert bot.standin.calls("usergroups.users.list")
    finally:
        bot.close()


def test_request_changes_regenerates_with_the_reason(bot: LocalBot, claude: AnthropicStandIn) -> None:
    first = review_message(bot, 1)
    click(bot, REQUESTER, "review_request_changes")
    reply = submit(bot, REQUESTER, {"reason": {"reason": text("Shorter, and say it is for ages 6+")}})
    assert reply.status == 200 and not reply.errors

    waiting = review_message(bot, 1)
    assert "Changes requested by <@U0BOB>: Shorter, and say it is for ages 6+" in message_text(waiting)
    assert buttons(waiting) == []
    assert content(bot, 1).status == ContentStatus.CHANGES_REQUESTED

    bot.run_jobs()

    prompt = writes(claude)[-1].body["messages"][0]["content"]
    assert (
        "A reviewer asked for changes to the previous version: Shorter, and say it is for ages 6+" in prompt
    )
    assert "hook:" in prompt  # the previous version, for the model to revise
    updated = review_message(bot, 1)
    assert updated.ts == first.ts
    assert "(v2)" in message_text(updated) and buttons(updated)[0] == "Approve"
    note = thread_texts(bot, updated)[-1]
    assert note.startswith("*v2* · Written: claude-sonnet-5-5")
    assert "Answering: Shorter, and say it is for ages 6+" in note
    assert content(bot, 1).feedback is None and content(bot, 1).status == ContentStatus.IN_REVIEW


def test_a_blank_reason_is_refused(bot: LocalBot) -> None:
    click(bot, REQUESTER, "review_request_changes")
    reply = submit(bot, REQUESTER, {"reason": {"reason": text("   ")}})
    assert reply.errors == {"reason": "Say what should change."}
    assert content(bot, 1).status == ContentStatus.IN_REVIEW


def test_edit_saves_a_person_version_and_the_thread_shows_the_diff(bot: LocalBot) -> None:
    click(bot, REQUESTER, "review_edit")
    [modal] = bot.standin.modals(REQUESTER)
    old_hook = modal.state["hook"]["hook"]["value"]
    assert old_hook  # the version's text, ready to change
    reply = submit(bot, REQUESTER, {"hook": {"hook": text("Kites that loop? Watch this.")}})
    assert reply.status == 200 and not reply.errors

    message = review_message(bot, 1)
    assert "Kites that loop? Watch this." in message_text(message)
    assert "edited by <@U0BOB>" in message_text(message)
    note = thread_texts(bot, message)[-1]
    assert note.startswith("*v2* · Edited: edited by <@U0BOB>")
    assert f"- {old_hook}" in note and "+ Kites that loop? Watch this." in note
    assert version_count(bot, 1) == 2
    assert content(bot, 1).status == ContentStatus.IN_REVIEW


def test_an_edit_that_breaks_the_shape_is_refused_by_field(bot: LocalBot) -> None:
    click(bot, REQUESTER, "review_edit")
    reply = submit(bot, REQUESTER, {"hashtags": {"hashtags": text("#  \n!!")}})
    assert "hashtags" in reply.errors and "is not a hashtag" in reply.errors["hashtags"]
    assert version_count(bot, 1) == 1


def test_regenerate_writes_a_new_version(bot: LocalBot, claude: AnthropicStandIn) -> None:
    click(bot, REQUESTER, "review_regenerate")
    assert content(bot, 1).status == ContentStatus.QUEUED
    assert (
        thread_texts(bot, review_message(bot, 1))[-1]
        == "<@U0BOB> asked for a new version. A new version is on its way."
    )
    bot.run_jobs()
    assert version_count(bot, 1) == 2 and len(writes(claude)) == 2
    assert "A reviewer asked" not in writes(claude)[-1].body["messages"][0]["content"]
    assert content(bot, 1).attempts == 2


def test_approve_on_a_version_no_longer_the_latest_is_refused_naming_who_changed_it(bot: LocalBot) -> None:
    shown = review_message(bot, 1)
    [approve_on_v1] = [
        e["value"]
        for b in shown.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == "Approve"
    ]
    assert approve_on_v1 == "1:1"
    click(bot, REQUESTER, "review_edit")
    submit(bot, REQUESTER, {"hook": {"hook": text("Kites that loop? Watch this.")}})
    assert version_count(bot, 1) == 2

    # Alice's screen still shows v1 when she presses Approve.
    before = len(told(bot, REVIEWER))
    bot.workspace.click(REVIEWER, action_id="review_approve", value=approve_on_v1, message=(REVIEW, shown.ts))
    bot.standin.wait_for(lambda: len(told(bot, REVIEWER)) > before)
    assert told(bot, REVIEWER)[-1].startswith(
        "Nothing changed: you saw v1, but v2 is the latest (<@U0BOB> edited it)"
    )
    assert content(bot, 1).status == ContentStatus.IN_REVIEW
    bot.standin.wait_for(lambda: "v2 is the latest" in thread_texts(bot, shown)[-1])

    click(bot, REVIEWER, "review_approve")  # the message now carries v2
    assert content(bot, 1).status == ContentStatus.APPROVED
    with session_scope(bot.settings.database_url) as session:
        assert session.get_one(ContentRow, 1).decided_version == 2


@pytest.mark.parametrize("value", ["", "abc", "1:1:1", "99999999999999999999:1", "0:1", "-1:1"])
def test_a_button_value_the_bot_never_drew_is_answered_and_changes_nothing(bot: LocalBot, value: str) -> None:
    before = len(told(bot, REVIEWER))
    reply = bot.workspace.click(
        REVIEWER, action_id="review_approve", value=value, message=(REVIEW, review_message(bot, 1).ts)
    )
    assert reply.status == 200
    bot.standin.wait_for(lambda: len(told(bot, REVIEWER)) > before)
    assert "nothing changed" in told(bot, REVIEWER)[-1]
    assert content(bot, 1).status == ContentStatus.IN_REVIEW
