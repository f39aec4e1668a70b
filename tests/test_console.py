"""The terminal workspace: Block Kit rendered as text, and a typed session against a real Bolt app."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from standins.block_text import render_blocks, render_message, render_view
from standins.console import Settle, run
from standins.slack import Message, SlackStandIn, View, Workspace
from tests.standins.test_slack_standin import (
    BOT_TOKEN,
    IDEA_MODAL,
    SIGNING_SECRET,
    build_demo_app,
    draft_blocks,
    serve,
)

NAMES = {"U0ALICE": "alice", "U0CONTENTBOT": "contentbot"}


def test_message_with_buttons_renders_as_text() -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Week 12"}},
        *draft_blocks("Spring drop"),
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "For <@U0ALICE>: <https://x.test/brief|the brief> &amp; <#C1|content>",
            },
            "fields": [
                {"type": "mrkdwn", "text": "*Element*\nFire"},
                {"type": "mrkdwn", "text": "*Slot*\nFri"},
            ],
            "accessory": {
                "type": "static_select",
                "action_id": "move",
                "placeholder": {"type": "plain_text", "text": "Move to"},
                "options": [
                    {"text": {"type": "plain_text", "text": "Air"}, "value": "air"},
                    {"text": {"type": "plain_text", "text": "Water"}, "value": "water"},
                ],
            },
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "_by_ contentbot"}]},
        {"type": "divider"},
        {"type": "image", "image_url": "https://x.test/a.png", "alt_text": "storyboard"},
    ]
    message = Message("C0CONTENT", "1700000000.000100", "U0CONTENTBOT", "Draft", blocks, bot_id="B1")

    assert render_message(message, names=NAMES, label="#content m1", start=4) == "\n".join(
        [
            "#content m1 · contentbot",
            "  WEEK 12",
            "  *Draft:* Spring drop",
            "  [4] Approve  [5] Reject (danger)",
            "  For @alice: the brief (https://x.test/brief) & #content",
            "  *Element*                               *Slot*",
            "  Fire                                    Fri",
            "    [6] Move to ▾ (1) Air (2) Water",
            "  (_by_ contentbot)",
            "  " + "─" * 40,
            "  [image: storyboard]",
        ]
    )


def test_modal_renders_fields_values_and_errors() -> None:
    state = {
        "title": {"title_input": {"type": "plain_text_input", "value": "abc"}},
        "element": {"element_select": {"type": "static_select", "selected_option": None}},
        "notes": {"notes_input": {"type": "plain_text_input", "value": "none"}},
    }
    view = View(
        "V1", "U0ALICE", IDEA_MODAL, "1.a", state, "V1", errors={"title": "Give it at least 5 characters"}
    )

    assert render_view(view) == "\n".join(
        [
            "┌ Modal: New idea",
            "│ #1 Title (required)",
            "│    At least 5 characters",
            "│    = abc",
            "│    ! Give it at least 5 characters",
            "│ #2 Element (required) ▾ (1) Air (2) Fire",
            "│    = (empty)",
            "│ #3 Notes (optional)",
            "│    = none",
            "└ [submit] Save  [cancel] Cancel",
        ]
    )


def test_unknown_blocks_are_named_not_dropped() -> None:
    assert render_blocks([{"type": "video", "title": {"type": "plain_text", "text": "x"}}]) == "[video block]"


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn(BOT_TOKEN) as running:
        yield running


@pytest.fixture
def workspace(standin: SlackStandIn) -> Iterator[Workspace]:
    with serve(build_demo_app(standin)) as app_url:
        people = Workspace(standin, app_url=app_url, signing_secret=SIGNING_SECRET)
        yield people
        people.close()


def session(workspace: Workspace, standin: SlackStandIn, *lines: str) -> str:
    stdout = io.StringIO()
    # Generous first wait: every line below has an effect, so it only costs time when the app is broken.
    run(
        workspace,
        standin,
        "U0ALICE",
        stdin=io.StringIO("\n".join(lines) + "\n"),
        stdout=stdout,
        settle=Settle(5.0),
    )
    return stdout.getvalue()


def in_order(output: str, *expected: str) -> None:
    position = 0
    for text in expected:
        found = output.find(text, position)
        assert found >= 0, f"{text!r} not found after position {position} in:\n{output}"
        position = found + len(text)


def test_a_session_drives_the_real_app(standin: SlackStandIn, workspace: Workspace) -> None:
    output = session(
        workspace,
        standin,
        "/content Spring drop",
        "press 1",
        "/content new",
        "fill title abc",
        "select Element fire",
        "submit",
        "fill 1 Lava lamp",
        "submit",
        "home",
        "press 99",
        "quit",
    )

    in_order(
        output,
        "alice> #content m1 · contentbot\n  *Draft:* Spring drop\n  [1] Approve  [2] Reject (danger)\n",
        "alice> #content m1 · contentbot (edited)\n  Approved by @alice\n",
        "alice> ┌ Modal: New idea",
        "alice> Title = abc\n",
        "alice> Element = Fire\n",
        "alice> ┌ Modal: New idea\n│ #1 Title (required)\n│    At least 5 characters\n│    = abc\n"
        "│    ! Give it at least 5 characters\n",
        "alice> Title = Lava lamp\n",
        "┌ App Home\n│ CONTENT ENGINE\n│ 3 drafts waiting\n└\n",
        "alice> ! no button '99' on screen\n",
        "alice> ",
    )
    # The app posts from its listener after the ack, so this may print before or after the modal closes.
    after_submit = output[output.index("Title = Lava lamp") : output.index("┌ App Home")]
    assert "(modal closed: New idea)\n" in after_submit
    assert "#content m2 · contentbot\n  New idea: Lava lamp (fire)\n" in after_submit
    assert standin.message("C0CONTENT", standin.messages("C0CONTENT")[0].ts).text == "Approved"
    assert standin.modals("U0ALICE") == []


def test_ack_text_is_ephemeral_and_people_can_switch(standin: SlackStandIn, workspace: Workspace) -> None:
    output = session(
        workspace, standin, "/content help", "as bob", "/content Bob's idea", "thread m1", "quit"
    )

    in_order(
        output,
        "alice> #content · contentbot (only visible to you)\n  Try `/content new` or `/content TITLE`\n",
        "alice> You are now bob (U0BOB).\n",
        "bob> #content m1 · contentbot\n  *Draft:* Bob's idea\n",
        "bob> #content m1 · contentbot\n  *Draft:* Bob's idea\n",
    )
