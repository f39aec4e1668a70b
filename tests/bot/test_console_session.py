"""The console drives the real app: a person types, presses and fills as in Slack."""

from __future__ import annotations

import io
import os
import re
import threading
import time
from pathlib import Path

import pytest
import redis

from config.settings import Settings
from contentbot.console import workspace_file
from contentbot.local import LocalBot, start_local
from contentbot.seed import seed
from core.content import ContentStatus
from standins.console import Settle, run
from storage.channels import get_channel
from storage.contents import get_content
from storage.db import session_scope
from storage.library import list_templates
from tests.conftest import REDIS_URL


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
        bot, ["/content channel setup Earth", "fill daily_cap 2", "submit"], user="U0ALICE"
    )  # an admin
    assert "Edit channel" in out
    assert "Daily cap" in out
    assert "Updated channel *Earth*" in out or "Updated channel Earth" in out
    with session_scope(bot.settings.database_url) as db:
        earth = get_channel(db, "Earth")
    assert earth is not None and earth.daily_cap == 2


def test_an_inline_error_shows_under_the_field(bot: LocalBot) -> None:
    out = session(
        bot, ["/content channel setup Earth", "fill windows Someday 10:00-11:00", "submit"], user="U0ALICE"
    )
    assert "is not a weekday" in out


def test_each_button_in_a_list_sends_its_own_item(bot: LocalBot) -> None:
    # One Preview, Edit and Retire per template, with one action_id each: [4] is Save for
    # later's Preview, [1] Gift pick's.
    out = session(bot, ["/content templates water captions", "press 4", "press 1"])
    assert "*Gift pick* · caption · version 1" in out and "[4] Preview" in out
    previews = out.split("Rendered with the sample values:")
    assert len(previews) == 3
    assert previews[0].splitlines()[-2].strip() == "*Save for later* · caption · version 1"
    assert previews[1].splitlines()[-2].strip() == "*Gift pick* · caption · version 1"


def test_a_field_takes_several_lines_and_can_be_cleared(bot: LocalBot) -> None:
    label = "Posting windows (local time, one per line)"
    out = session(
        bot,
        [
            "/content channel setup Earth",
            "fill windows",
            "Mon-Fri 09:00-12:00",
            "quit",  # a line of the field, not the command: the field ends only at "."
            ".",
            "fill windows",
            "Mon-Fri 09:00-12:00",
            "Sat 10:00-13:00",
            ".",
            "submit",
        ],
        user="U0ALICE",  # an admin
    )
    assert "alice> Type the lines; end with a line holding just .\n... ... ... " in out
    indent = " " * (len(label) + 3)
    assert f"{label} = Mon-Fri 09:00-12:00\n{indent}quit\n" in out
    assert f"{label} = Mon-Fri 09:00-12:00\n{indent}Sat 10:00-13:00\n" in out
    with session_scope(bot.settings.database_url) as db:
        earth = get_channel(db, "Earth")
    assert earth is not None
    assert [w.describe() for w in earth.windows] == ["Mon-Fri 09:00-12:00", "Sat 10:00-13:00"]

    out = session(bot, ["/content channel setup Earth", "clear windows", "clear 9", "submit"], user="U0ALICE")
    assert f"{label} = (empty)\n" in out and "Hashtags = (empty)\n" in out
    with session_scope(bot.settings.database_url) as db:
        earth = get_channel(db, "Earth")
    assert earth is not None and earth.windows == () and earth.hashtags == ()


def test_a_one_line_field_says_it_takes_one_line(bot: LocalBot) -> None:
    out = session(bot, ["/content channel setup Earth", "fill tone"])
    assert "! Brand voice: tone takes one line: fill tone <value>" in out


def test_an_option_is_picked_by_number_label_or_words_of_its_label(bot: LocalBot) -> None:
    out = session(
        bot,
        [
            "/content generate",
            "select 2 Fire",
            "select channel 1",
            "select agent hook",
            "select agent TikTok",
        ],
    )
    assert "bob> Channel = Fire (Fire)\n" in out
    assert "bob> Channel = Air (Air)\n" in out
    assert "bob> Agent = TikTok hook + caption\n" in out
    assert (
        "bob> ! 'TikTok' could be TikTok script, TikTok hook + caption, TikTok Shop listing; say which" in out
    )


def eventually(check, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)


def test_new_messages_appear_while_the_person_types(bot: LocalBot) -> None:
    """The draft a worker posts after the command prints by itself: no second command needed."""
    read_end, write_end = os.pipe()
    with os.fdopen(read_end) as stdin, os.fdopen(write_end, "w") as keyboard:
        out = io.StringIO()
        console = threading.Thread(
            target=run,
            args=(bot.workspace, bot.standin, "U0BOB"),
            kwargs={"stdin": stdin, "stdout": out, "settle": Settle(first=2.0, quiet=0.1)},
        )
        console.start()
        keyboard.write("/content generate hook Water kids' pool float\n")
        keyboard.flush()
        eventually(lambda: "Queued" in out.getvalue() and out.getvalue().endswith("bob> "))
        assert "#content-review m1" not in out.getvalue()

        assert bot.run_jobs()  # the worker drafts it and posts it for review, typed line or not
        eventually(lambda: "#content-review m1" in out.getvalue() and out.getvalue().endswith("bob> "))
        keyboard.write("quit\n")
    console.join(10)
    assert not console.is_alive()
    shown = out.getvalue()
    assert "\n#content-review m1 · contentbot\n" in shown  # on its own line, after the waiting prompt


def test_workspace_file_sits_beside_an_sqlite_database(tmp_path: Path) -> None:
    assert workspace_file(f"sqlite:///{tmp_path}/contentbot.db") == tmp_path / "contentbot.slack.json"
    assert workspace_file("sqlite:///contentbot.db") == Path("contentbot.slack.json")
    assert workspace_file("sqlite://") is None
    assert workspace_file("postgresql+psycopg://localhost/contentbot") is None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_messages_outlive_a_restart_and_their_buttons_still_work(
    database_url: str, redis_conn: redis.Redis, tmp_path: Path
) -> None:
    seed(database_url)
    settings = Settings(database_url=database_url, redis_url=REDIS_URL)
    kept = tmp_path / "contentbot.slack.json"
    first = start_local(settings, redis_conn, workspace_file=kept)
    try:
        out = session(first, ["/content generate hook Water kids' pool float"])
        assert f"Messages are kept in {kept} for next time." in out
        assert first.run_jobs()
        first.standin.wait_for(lambda: first.standin.messages("C0REVIEW"))
    finally:
        first.close()

    second = start_local(settings, redis_conn, workspace_file=kept)
    try:
        out = session(second, ["read #content-review"], user="U0ALICE")
        assert re.search(
            r"Kept from last time: \d+ messages in #content-review\. `read #content-review`", out
        )
        # The offline draft has no findings (no gaps left), so Approve approves at once.
        approve = re.search(r"\[(\d+)\] Approve \(primary\)", out)
        assert approve is not None, out
        session(second, ["read #content-review", f"press {approve.group(1)}"], user="U0ALICE")
        with session_scope(database_url) as db:
            content = get_content(db, 1)
        assert content is not None and content.status is ContentStatus.APPROVED
        new = second.standin.seed_message("C0CONTENT", "U0BOB", "after the restart")
        assert float(new.ts) > float(second.standin.messages("C0REVIEW")[0].ts)
    finally:
        second.close()


def test_a_button_that_asks_first_sends_nothing_until_confirmed(bot: LocalBot) -> None:
    out = session(
        bot, ["/content templates water captions", "press 3", "n", "press 3", "yes"], user="U0ALICE"
    )
    assert "[1] Preview  [2] Edit  [3] Retire (asks first)" in out
    dialog = "alice> ┌ Retire this template?\n│ *Gift pick* leaves lists and pickers"
    assert out.count(dialog) == 2
    assert "└ [y] Retire  [n] Keep it\ny/n? (nothing sent)\nalice> " in out
    assert "y/n? #content · contentbot (only visible to you)\n  Retired *Gift pick*" in out
    with session_scope(bot.settings.database_url) as db:
        listed = {
            s.template.spec.key: s.template.status.value for s in list_templates(db, include_retired=True)
        }
    assert listed["gift-pick"] == "retired"


def test_a_file_is_picked_for_a_file_input_by_its_path(bot: LocalBot, tmp_path: Path) -> None:
    rows = tmp_path / "week.csv"
    rows.write_text("content,channel,time\n99,Water,next\n")
    out = session(bot, ["/content schedule bulk", f"fill file {rows}", "submit"], user="U0ALICE")
    assert "CSV file = week.csv" in out
    bot.run_jobs()
    [answer] = bot.standin.messages(bot.standin.dm_channel("U0ALICE"))
    assert "nothing was scheduled" in str(answer.blocks)
    assert "line 2, column content: There is no content 99." in str(answer.blocks)
