"""The console drives the real app: a person types, presses and fills as in Slack."""

from __future__ import annotations

import io

from contentbot.local import LocalBot
from standins.console import Settle, run
from storage.channels import get_channel
from storage.db import session_scope


def session(bot: LocalBot, lines: list[str], user: str = "U0BOB") -> str:
    out = io.StringIO()
    run(
        bot.workspace,
        bot.standin,
        user,
        stdin=io.StringIO("\n".join([*lines, "quit"]) + "\n"),
        stdout=out,
        settle=Settle(first=2.0, quiet=0.1),
    )
    return out.getvalue()


def test_help_and_channels_render_as_text(bot: LocalBot) -> None:
    out = session(bot, ["/content help", "/content channels"])
    assert "/content channel setup [name]" in out
    assert "/content check <text>" in out  # Slack's escaping undone for the terminal
    assert "Water" in out and "TikTok inbox draft, up to 3/day" in out


def test_a_modal_is_filled_by_field_name_and_submitted(bot: LocalBot) -> None:
    out = session(
        bot, ["/content channel setup Earth", "fill daily_cap 5", "submit"], user="U0ALICE"
    )  # an admin
    assert "Edit channel" in out
    assert "Daily cap" in out
    assert "Updated channel *Earth*" in out or "Updated channel Earth" in out
    with session_scope(bot.settings.database_url) as db:
        earth = get_channel(db, "Earth")
    assert earth is not None and earth.daily_cap == 5


def test_an_inline_error_shows_under_the_field(bot: LocalBot) -> None:
    out = session(
        bot, ["/content channel setup Earth", "fill windows Someday 10:00-11:00", "submit"], user="U0ALICE"
    )
    assert "is not a weekday" in out
