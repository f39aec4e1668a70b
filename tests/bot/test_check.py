"""`/content check <text>` names the posts the text would repeat."""

from __future__ import annotations

from datetime import UTC, datetime

from contentbot.local import LocalBot
from storage.db import session_scope
from tests.bot.slack_inputs import all_text
from tests.factories import make_post

USER = "U0BOB"


def test_check_names_the_conflicting_post_and_channel(bot: LocalBot) -> None:
    with session_scope(bot.settings.database_url) as session:
        post_id = make_post(
            session,
            "Water",
            "Bath squirters: six sea animals that squirt, float and dry fast. Ages 1+ 🛁",
            datetime(2026, 12, 5, 18, tzinfo=UTC),
        )
    body = bot.workspace.slash(
        USER, 'check "Bath squirters: six sea animals that squirt, float & dry fast! Ages 1+"'
    ).json()
    assert body["text"] == "1 post(s) repeat this."
    text = body["blocks"][0]["text"]["text"]
    assert f"*post {post_id}* on *Water*" in text


def test_check_with_new_text_finds_nothing(bot: LocalBot) -> None:
    body = bot.workspace.slash(USER, "check A brand new caption about magnetic tiles").json()
    assert body["text"] == "No post on any channel repeats this."


def test_check_shows_the_draft_findings_beside_the_duplicate_check(bot: LocalBot) -> None:
    body = bot.workspace.slash(
        USER, "check Cheap kites! Ask your mom to buy one before they are all gone"
    ).json()
    assert body["text"] == "No post on any channel repeats this."
    shown = all_text(body["blocks"])
    assert "No post on any channel repeats this text." in shown
    assert "The draft checks found" in shown
    # Every channel that avoids the word is named; Air, Water, Fire and Earth all avoid "cheap".
    for channel in ("Air", "Water", "Fire", "Earth"):
        assert f"“cheap” is on {channel}'s list of words to avoid." in shown
    assert "(`sales_pressure`, rules)" in shown and "“Ask your mom to buy”" in shown


def test_check_of_clean_text_says_the_checks_found_nothing(bot: LocalBot) -> None:
    body = bot.workspace.slash(USER, "check Two lines, endless loops").json()
    assert "The draft checks found nothing." in all_text(body["blocks"])
