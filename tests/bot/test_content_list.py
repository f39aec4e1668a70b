"""Content found again by state, with the buttons that fit: schedule approved, reopen rejected."""

from __future__ import annotations

from pathlib import Path

import pytest

from contentbot.local import LocalBot
from core.content import ContentStatus
from tests.bot.slack_inputs import all_text
from tests.generation_helpers import (
    ORIGIN,
    REQUESTER,
    REVIEWER,
    approve,
    click,
    content,
    request,
    start_bot,
    submit,
)


@pytest.fixture
def bot(database_url: str, redis_conn, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Content 1 approved, content 2 rejected, content 3 in review (Air hooks, offline)."""
    local = start_bot(database_url, redis_conn, sandbox_dir=str(tmp_path / "sandbox"))
    for brief in ("kites that loop", "paper planes", "bubble wands"):
        request(local, f"hook Air {brief}")
    local.run_jobs()
    approve(local, content_id=1)
    click(local, REVIEWER, "review_reject", content_id=2)
    submit(local, REVIEWER, {}, content_id=2)
    yield local
    local.close()


def shown(bot: LocalBot, words: str, user: str = REVIEWER) -> dict:
    reply = bot.workspace.slash(user, f"list {words}".strip(), channel=ORIGIN)
    assert reply.status == 200
    return reply.json()


def test_each_state_lists_its_content_with_its_buttons(bot: LocalBot) -> None:
    approved = shown(bot, "")
    assert approved["text"] == "1 approved content item(s)"
    assert "#1 ·" in all_text(approved["blocks"]) and "Schedule…" in str(approved["blocks"])
    rejected = shown(bot, "rejected Air")
    assert rejected["text"] == "1 rejected content item(s) on Air" and "Reopen" in str(rejected["blocks"])
    assert shown(bot, "review")["text"] == "1 review content item(s)"
    assert shown(bot, "all")["text"] == "3 all content item(s)"
    assert "No approved content on Water" in all_text(shown(bot, "approved Water")["blocks"])


def listed(bot: LocalBot, user: str, words: str) -> str:
    """Run `/content list <words>`; the ts of the ephemeral list it shows."""
    before = len(bot.standin.ephemerals(ORIGIN, user))
    bot.workspace.slash(user, f"list {words}", channel=ORIGIN)
    return bot.standin.wait_for(lambda: bot.standin.ephemerals(ORIGIN, user)[before:])[0].ts


def test_approved_content_is_scheduled_from_the_list(bot: LocalBot) -> None:
    ts = listed(bot, REVIEWER, "approved")
    before = len(bot.standin.ephemerals(ORIGIN, REVIEWER))
    bot.workspace.click(REVIEWER, action_id="content_schedule_next", value="1", message=(ORIGIN, ts))
    form = bot.standin.wait_for(lambda: bot.standin.modals(REVIEWER))[-1]
    assert bot.workspace.submit(REVIEWER, form.id).errors == {}
    answer = all_text(bot.standin.modals(REVIEWER)[-1].blocks)
    assert answer.startswith("Scheduled post 1: content #1 on Air")
    assert bot.standin.ephemerals(ORIGIN, REVIEWER)[before:] == []


def test_a_reviewer_reopens_rejected_content(bot: LocalBot) -> None:
    ts = listed(bot, REQUESTER, "rejected")
    bot.workspace.click(REQUESTER, action_id="content_reopen", value="2", message=(ORIGIN, ts))
    bot.standin.wait_for(
        lambda: bot.standin.ephemerals(ORIGIN, REQUESTER)[-1].text.startswith("Only reviewers")
    )
    assert content(bot, 2).status == ContentStatus.REJECTED
    ts = listed(bot, REVIEWER, "rejected")
    bot.workspace.click(REVIEWER, action_id="content_reopen", value="2", message=(ORIGIN, ts))
    bot.standin.wait_for(lambda: content(bot, 2).status == ContentStatus.IN_REVIEW)
