"""`/content check <text>` names the posts the text would repeat."""

from __future__ import annotations

from datetime import UTC, datetime

from contentbot.local import LocalBot
from storage.db import session_scope
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
