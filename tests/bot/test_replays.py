"""A signed request acts once: replayed byte for byte, or resent by Slack as a retry."""

from __future__ import annotations

from contentbot.local import LocalBot
from storage.db import session_scope
from storage.models import ContentRow
from tests.generation_helpers import REQUESTER, request


def content_count(bot: LocalBot) -> int:
    with session_scope(bot.settings.database_url) as session:
        return session.query(ContentRow).count()


def test_a_replayed_slash_command_makes_one_content_item(bot: LocalBot) -> None:
    request(bot, "hook Air kites that loop")
    assert content_count(bot) == 1
    reply = bot.workspace.replay()
    assert reply.status == 200
    assert content_count(bot) == 1


def test_slack_retrying_an_event_it_thinks_was_missed_publishes_home_once(bot: LocalBot) -> None:
    bot.workspace.open_home(REQUESTER)
    bot.standin.wait_for(lambda: bot.standin.home(REQUESTER))
    published = len(bot.standin.calls("views.publish"))
    assert bot.workspace.retry(1).status == 200
    assert bot.workspace.retry(2).status == 200
    bot.workspace.slash(REQUESTER, "help")  # a later request is handled as usual, after any stray publish
    assert len(bot.standin.calls("views.publish")) == published


def test_two_commands_typed_alike_are_both_handled(bot: LocalBot) -> None:
    request(bot, "hook Air kites that loop")
    request(bot, "hook Air kites that loop")  # a person asking twice is not a replay
    assert content_count(bot) == 2
