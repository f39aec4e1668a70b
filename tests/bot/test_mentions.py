"""User text echoed into Slack is escaped: nobody pings the workspace through the bot."""

from __future__ import annotations

import json
import re

from contentbot.local import LocalBot
from tests.bot.slack_inputs import text
from tests.generation_helpers import (
    REQUESTER,
    REVIEW,
    REVIEWER,
    click,
    request,
    review_message,
    submit,
    thread_texts,
)

PINGS = ("<!channel>", "<!everyone>", "<!here>", "<@U0EVIL>")
ADMIN = REVIEWER  # ADMINS defaults to the reviewers
RAW_PING = re.compile(r"<!(channel|everyone|here)>|<@U0EVIL>")


def everything_shown(bot: LocalBot) -> str:
    """Every message, thread reply, ephemeral and view the bot sent, as Slack received it."""
    parts: list[str] = []
    for channel in bot.standin.channels():
        for message in bot.standin.messages(channel.id):
            parts.append(json.dumps(message.to_slack()))
            parts += [json.dumps(m.to_slack()) for m in bot.standin.thread(channel.id, message.ts)]
        for user in bot.standin.users():
            parts += [json.dumps([e.text, e.blocks]) for e in bot.standin.ephemerals(channel.id, user.id)]
    for method in ("views.publish", "views.open", "views.update", "chat.postMessage", "chat.update"):
        parts += [json.dumps(call) for _, call in bot.standin.calls(method)]
    return "\n".join(parts)


def test_a_request_changes_reason_is_escaped_in_the_thread(bot: LocalBot) -> None:
    request(bot, "hook Air kites that loop")
    bot.run_jobs()
    click(bot, REQUESTER, "review_request_changes")
    submit(bot, REQUESTER, {"reason": {"reason": text(f"louder {' '.join(PINGS)}")}})
    assert "&lt;!channel&gt;" in thread_texts(bot, review_message(bot, 1))[-1]
    assert not RAW_PING.search(everything_shown(bot))


def test_an_edit_is_escaped_on_the_review_message(bot: LocalBot) -> None:
    request(bot, "hook Air kites that loop")
    bot.run_jobs()
    click(bot, REQUESTER, "review_edit")
    submit(bot, REQUESTER, {"hook": {"hook": text(f"Kites! {' '.join(PINGS)}")}})
    assert not RAW_PING.search(everything_shown(bot))


def test_a_channel_name_is_escaped_wherever_it_is_shown(bot: LocalBot) -> None:
    bot.workspace.slash(ADMIN, "channel setup Water")
    [modal] = bot.standin.wait_for(lambda: bot.standin.modals(ADMIN))
    reply = bot.workspace.submit(ADMIN, modal.id, {"name": {"name": text("Water <!everyone>")}})
    assert reply.status == 200 and not reply.errors
    bot.standin.wait_for(lambda: bot.standin.ephemerals("C0CONTENT", ADMIN))
    listing = bot.workspace.slash(REQUESTER, "channels").body
    bot.workspace.open_home(REQUESTER)
    bot.standin.wait_for(lambda: bot.standin.home(REQUESTER))
    assert "&lt;!everyone&gt;" in listing
    assert not RAW_PING.search(listing + everything_shown(bot))


def test_commands_that_echo_their_words_escape_them(bot: LocalBot) -> None:
    answers = [
        bot.workspace.slash(REQUESTER, "<!here> please").body,
        bot.workspace.slash(REQUESTER, "generate hook <!channel> kites").body,
        bot.workspace.slash(REQUESTER, "queue <@U0EVIL>").body,
    ]
    assert all(answers)
    assert not RAW_PING.search("\n".join(answers) + everything_shown(bot))
    assert REVIEW  # the review channel saw nothing of these
