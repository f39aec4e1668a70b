"""Review with findings (issue 16): every version is checked, its findings are on the review message,
and approving a version with findings takes one more click, kept with the version."""

from __future__ import annotations

import pytest

from contentbot.local import LocalBot
from core.content import ContentStatus
from standins.anthropic import AnthropicStandIn
from storage.contents import versions
from storage.db import session_scope
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
    submit,
    thread_texts,
)

# Air avoids "cheap"; an unfilled placeholder is never publishable.
FLAWED = {
    "hook": "Cheap kites that loop the loop!",
    "caption": "[Product name] loops all afternoon.",
    "hashtags": ["#AirPlay"],
}
CLEAN = {"hook": "Kites that loop the loop", "caption": "Two lines, endless loops.", "hashtags": ["#AirPlay"]}


@pytest.fixture
def bot(claude_bot: LocalBot, claude: AnthropicStandIn) -> LocalBot:
    """Content 1, a TikTok hook for Air whose draft has two findings (Claude adds none)."""
    claude.reply_tool(FLAWED)
    request(claude_bot, "hook Air kites that loop the loop")
    claude_bot.run_jobs()
    return claude_bot


def stored(bot: LocalBot) -> list:
    with session_scope(bot.settings.database_url) as session:
        return versions(session, 1)


def test_the_review_message_shows_each_finding_with_its_words_and_checker(bot: LocalBot) -> None:
    message = review_message(bot, 1)
    shown = message_text(message)
    assert "2 findings to read before approving" in shown
    assert "*A word the channel avoids* (`avoid_word`, rules): “cheap” is on the channel's list" in shown
    assert "“Cheap”" in shown
    assert "(`placeholder`, rules)" in shown and "“[Product name]”" in shown
    assert "Checked by rules and Claude" in shown
    assert buttons(message)[0] == "Approve with findings…"
    [version] = stored(bot)
    assert {f.flag for f in version.findings} == {"avoid_word", "placeholder"}
    assert version.checks is not None and version.checks.checkers == ("rules", "claude")


def test_approving_with_findings_takes_one_more_click_and_is_kept(bot: LocalBot) -> None:
    click(bot, REVIEWER, "review_approve")
    assert content(bot, 1).status == ContentStatus.IN_REVIEW  # the modal is open; nothing decided yet
    [modal] = bot.standin.modals(REVIEWER)
    assert modal.definition["title"]["text"] == "Approve with findings"
    assert "“[Product name]”" in all_text(modal.blocks)

    reply = submit(bot, REVIEWER, {})
    assert reply.status == 200 and not reply.errors
    assert content(bot, 1).status == ContentStatus.APPROVED
    message = review_message(bot, 1)
    assert thread_texts(bot, message)[-1] == (
        "<@U0ALICE> approved v1 with findings (avoid_word, placeholder) — ready to schedule."
    )
    assert "Approved with 2 finding(s) by <@U0ALICE>" in message_text(message)
    [version] = stored(bot)
    assert version.accepted is not None and version.accepted.by == REVIEWER
    assert [f.flag for f in version.accepted.findings] == ["avoid_word", "placeholder"]


def test_someone_who_may_not_approve_gets_no_modal(bot: LocalBot) -> None:
    click(bot, REQUESTER, "review_approve")
    assert [e.text for e in bot.standin.ephemerals(REVIEW, REQUESTER)] == [
        "Only reviewers may approve or reject content; ask <@U0ALICE>."
    ]
    assert bot.standin.modals(REQUESTER) == []
    assert content(bot, 1).status == ContentStatus.IN_REVIEW


def test_a_version_added_while_the_modal_was_open_is_not_approved_unread(bot: LocalBot) -> None:
    click(bot, REVIEWER, "review_approve")
    [confirm] = bot.standin.modals(REVIEWER)
    click(bot, REQUESTER, "review_edit")
    submit(bot, REQUESTER, {"hook": {"hook": text("Cheaper kites that loop!")}})
    assert len(stored(bot)) == 2

    reply = bot.workspace.submit(REVIEWER, confirm.id, {})
    assert reply.status == 200
    bot.standin.wait_for(lambda: bot.standin.ephemerals(REVIEW, REVIEWER))
    [told] = bot.standin.ephemerals(REVIEW, REVIEWER)
    assert told.text.startswith("Nothing changed: you saw v1, but v2 is the latest (<@U0BOB> edited it)")
    assert content(bot, 1).status == ContentStatus.IN_REVIEW


def test_an_edit_is_checked_again(bot: LocalBot) -> None:
    click(bot, REQUESTER, "review_edit")
    submit(
        bot,
        REQUESTER,
        {"hook": {"hook": text(CLEAN["hook"])}, "caption": {"caption": text(CLEAN["caption"])}},
    )
    message = review_message(bot, 1)
    assert "Checked by rules: no findings" in message_text(message)
    assert buttons(message)[0] == "Approve"
    click(bot, REVIEWER, "review_approve")  # no findings: one click approves
    assert content(bot, 1).status == ContentStatus.APPROVED
    assert stored(bot)[-1].accepted is None


def test_a_regenerated_version_is_checked_again(bot: LocalBot, claude: AnthropicStandIn) -> None:
    claude.reply_tool(CLEAN)
    click(bot, REQUESTER, "review_regenerate")
    bot.run_jobs()
    message = review_message(bot, 1)
    assert "(v2)" in message_text(message)
    assert "Checked by rules and Claude: no findings" in message_text(message)
    assert buttons(message)[0] == "Approve"
    assert stored(bot)[-1].findings == ()


def test_claude_checks_a_person_version_after_the_rules(bot: LocalBot, claude: AnthropicStandIn) -> None:
    click(bot, REQUESTER, "review_edit")
    edited = "Kites that loop. The whole class is flying one!"
    submit(bot, REQUESTER, {"hook": {"hook": text(edited)}, "caption": {"caption": text(CLEAN["caption"])}})
    assert "Checked by rules: no findings" in message_text(review_message(bot, 1))

    claude.reply_tool(
        {
            "findings": [
                {
                    "flag": "sales_pressure",
                    "reason": "Belonging aimed at children.",
                    "evidence": "The whole class is flying one",
                }
            ]
        }
    )
    assert bot.run_jobs()
    message = review_message(bot, 1)
    shown = message_text(message)
    assert "(`sales_pressure`, Claude): Belonging aimed at children. “The whole class is flying one”" in shown
    assert "Checked by rules and Claude" in shown
    assert buttons(message)[0] == "Approve with findings…"
    assert thread_texts(bot, message)[-1] == "Claude checked v2 and added 1 finding(s): sales_pressure"
    assert claude.requests[-1].body["tool_choice"]["name"] == "report_findings"
