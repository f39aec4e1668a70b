"""Inputs that used to crash or hang the app, sent as Slack sends them: each gets a plain answer in time.

NUL characters (PostgreSQL refuses them), ids beyond the database's integer range, arguments longer
than a Slack block can quote, and template bodies that cost too much to render.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.inputs import UNSTORABLE_TEXT
from contentbot.local import LocalBot
from core.templates import TemplateKind
from standins.slack import Ephemeral, View
from storage.channels import get_channel
from storage.db import session_scope
from storage.library import create_template, list_active, list_templates
from storage.models import ContentRow, TemplateRow, TemplateVersionRow
from tests.bot.slack_inputs import all_text, options, text
from tests.bot.slack_inputs import select as pick
from tests.generation_helpers import REVIEW, REVIEWER, request, review_message

USER = "U0ALICE"  # a reviewer, so admin by default: inputs reach every surface
CHANNEL = "C0CONTENT"
HUGE = "99999999999999999999"  # beyond PostgreSQL's bigint, let alone its integer
JUST_PAST_INT4 = str(2**31)


def count(bot: LocalBot, model: type) -> int:
    with session_scope(bot.settings.database_url) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def answer(bot: LocalBot, command: str) -> str:
    reply = bot.workspace.slash(USER, command, channel=CHANNEL)
    assert reply.status == 200, command
    return reply.json()["text"] if reply.json() else reply.body


def ephemerals(bot: LocalBot, channel: str = CHANNEL, user: str = USER) -> list[Ephemeral]:
    return bot.standin.ephemerals(channel, user)


def open_modal(bot: LocalBot, command: str) -> View:
    assert bot.workspace.slash(USER, command, channel=CHANNEL).status == 200
    return bot.standin.wait_for(lambda: bot.standin.modals(USER) and bot.standin.modals(USER)[-1])


# --- NUL characters -------------------------------------------------------------------------------


def test_a_command_holding_a_nul_is_refused_with_a_plain_answer(bot: LocalBot) -> None:
    for command in (
        "generate script Water a kite\x00 that sings",
        "channel setup Wa\x00ter",
        "check a caption\x00",
        "templates hook\x00",
        "history 1\x00",
    ):
        assert answer(bot, command) == UNSTORABLE_TEXT, command
    assert count(bot, ContentRow) == 0
    assert bot.standin.modals(USER) == []


@pytest.mark.parametrize("bad", ["\x00", "\ud800"], ids=["NUL", "lone surrogate"])
def test_a_modal_field_holding_unstorable_text_is_marked_and_nothing_changes(bot: LocalBot, bad: str) -> None:
    modal = open_modal(bot, "channel setup Water")
    reply = bot.workspace.submit(USER, modal.id, {"tone": {"tone": text(f"calm{bad} and kind")}})
    assert reply.status == 200
    assert reply.errors == {"tone": UNSTORABLE_TEXT}
    with session_scope(bot.settings.database_url) as session:
        water = get_channel(session, "Water")
    assert water is not None and bad not in water.voice.tone


def test_a_button_value_holding_a_nul_is_answered_beside_the_message(bot: LocalBot) -> None:
    listing = bot.workspace.slash(USER, "templates hook", channel=CHANNEL)
    assert listing.status == 200
    shown = ephemerals(bot)[-1]
    before = len(ephemerals(bot))
    reply = bot.workspace.click(USER, action_id="template_retire", value="1\x00", message=(CHANNEL, shown.ts))
    assert reply.status == 200
    said = bot.standin.wait_for(lambda: ephemerals(bot)[before:])
    assert [e.text for e in said] == [UNSTORABLE_TEXT]
    assert sum(1 for s in list_all(bot) if s.template.status.value == "retired") == 0


def list_all(bot: LocalBot) -> list[Any]:
    with session_scope(bot.settings.database_url) as session:
        return list_templates(session, include_retired=True)


# --- Ids beyond the database's range --------------------------------------------------------------


def test_an_id_beyond_the_database_is_not_an_id(bot: LocalBot) -> None:
    for command, said in (
        (f"history {HUGE}", f"`{HUGE}` is not a content id"),
        (f"history {JUST_PAST_INT4}", f"`{JUST_PAST_INT4}` is not a content id"),
        ("history ²", "`²` is not a content id"),
        (f"experiments {HUGE}", f"`{HUGE}` is not an experiment id"),
        (f"experiments #{JUST_PAST_INT4}", f"`#{JUST_PAST_INT4}` is not an experiment id"),
        (f"schedule {HUGE} Water", f"`{HUGE}` is not a content id"),
        ("schedule ² Water", "`²` is not a content id"),
    ):
        assert answer(bot, command).startswith(said), command


def test_a_template_button_with_an_impossible_id_is_answered(bot: LocalBot) -> None:
    assert bot.workspace.slash(USER, "templates hook", channel=CHANNEL).status == 200
    shown = ephemerals(bot)[-1]
    for action in ("template_preview", "template_edit", "template_retire"):
        for value in (HUGE, JUST_PAST_INT4, "-1", "x"):
            before = len(ephemerals(bot))
            reply = bot.workspace.click(USER, action_id=action, value=value, message=(CHANNEL, shown.ts))
            assert reply.status == 200, (action, value)
            said = bot.standin.wait_for(lambda: ephemerals(bot)[before:])  # noqa: B023
            assert said[0].text.startswith(f"`{value}` is not a template id"), (action, value)
    assert bot.standin.modals(USER) == []


def test_a_review_button_with_an_impossible_id_is_answered(bot: LocalBot) -> None:
    assert "Queued" in request(bot, "script Water a kite that sings")
    bot.run_jobs()
    message = review_message(bot, 1)
    for action in ("review_approve", "review_reject", "review_regenerate", "review_edit"):
        # "²" passes str.isdigit() but not int(); 5,000 digits pass both checks' lengths only in int().
        for value in (HUGE, f"{HUGE}:1", "²", "1:²", "9" * 5_000):
            before = len(ephemerals(bot, REVIEW, REVIEWER))
            reply = bot.workspace.click(REVIEWER, action_id=action, value=value, message=(REVIEW, message.ts))
            assert reply.status == 200, (action, value[:20])
            said = bot.standin.wait_for(lambda: ephemerals(bot, REVIEW, REVIEWER)[before:])  # noqa: B023
            assert said[0].text == "That button's value is not one I drew, so nothing changed.", action
    assert review_message(bot, 1).text == message.text


# --- Long arguments -------------------------------------------------------------------------------


def test_a_long_argument_gets_a_short_usage_message(bot: LocalBot) -> None:
    for command in (
        "x" * 20_000,
        "templates " + "a" * 5_000,
        "channels " + "b" * 5_000,
        "generate script " + "c" * 5_000 + " a brief",
        "generate " + "d" * 5_000 + " Water a brief",
        "history " + "9" * 5_000,
    ):
        reply = bot.workspace.slash(USER, command, channel=CHANNEL)
        assert reply.status == 200, command[:30]
        body = reply.json()
        assert len(body["text"]) < 1_000 and "…" in body["text"], body["text"][:100]
        assert all(len(b["text"]["text"]) <= 3_000 for b in body["blocks"] if b["type"] == "section")


# --- Template bodies that cost too much -----------------------------------------------------------

COSTLY_BODIES = [
    ("{{ 9**(9**7) }}", "powers in a template stay under"),
    ("{{ 'x' * 10**7 }}", "repeating this would make more than"),
    ("{{ range(10**7)|length }}", "range() makes at most"),
    (
        "{% for i in range(999) %}{% for j in range(999) %}{% for k in range(999) %}{% endfor %}{% endfor %}"
        "{% endfor %}",
        "took longer than",
    ),
    (
        "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        "joining with ~ would make",
    ),
    ("{{ 'x'|center(10**9) }}", "the center filter takes numbers up to"),
    ("{{ '%999999999d'|format(1) }}", "a format width or precision is at most"),
    ("x" * 5_001, "Keep this under 5,000 characters; it has 5,001."),
]


def new_template(body: str) -> dict[str, dict[str, Any]]:
    return {
        "name": {"name": text("Costly")},
        "kind": {"kind": pick("hook")},
        "categories": {"categories": options("multi_static_select", "puzzles")},
        "elements": {"elements": options("checkboxes", "earth")},
        "body": {"body": text(body)},
    }


def test_a_costly_template_body_is_refused_in_time_and_nothing_is_saved(bot: LocalBot) -> None:
    assert bot.workspace.slash(USER, "templates", channel=CHANNEL).status == 200
    shown = ephemerals(bot)[-1]
    bot.workspace.click(USER, action_id="template_new", message=(CHANNEL, shown.ts))
    modal = bot.standin.wait_for(lambda: bot.standin.modals(USER) and bot.standin.modals(USER)[-1])
    templates_before, versions_before = count(bot, TemplateRow), count(bot, TemplateVersionRow)
    for body, problem in COSTLY_BODIES:
        started = time.monotonic()
        reply = bot.workspace.submit(USER, modal.id, new_template(body))
        took = time.monotonic() - started
        assert reply.status == 200, problem
        assert problem in reply.errors["body"], reply.errors
        assert took < 3.0, problem  # Slack's deadline for the ack
    assert (count(bot, TemplateRow), count(bot, TemplateVersionRow)) == (templates_before, versions_before)


def water_branding(bot: LocalBot) -> str:
    with session_scope(bot.settings.database_url) as session:
        water = get_channel(session, "Water")
    assert water is not None
    return water.branding_template


def test_a_costly_branding_template_is_refused_in_time(bot: LocalBot) -> None:
    before = water_branding(bot)
    modal = open_modal(bot, "channel setup Water")
    for body, problem in COSTLY_BODIES[:4]:
        started = time.monotonic()
        reply = bot.workspace.submit(USER, modal.id, {"branding_template": {"branding_template": text(body)}})
        assert time.monotonic() - started < 3.0, problem
        assert problem in reply.errors["branding_template"], reply.errors
    assert water_branding(bot) == before


def test_a_costly_template_saved_before_the_limits_previews_as_a_plain_answer(bot: LocalBot) -> None:
    # Written straight to the tables, as a template saved by an earlier release would be.
    with session_scope(bot.settings.database_url) as session:
        row = TemplateRow(
            key="old-bomb", kind="hook", name="Old bomb", elements=["earth"], categories=["puzzles"]
        )
        session.add(row)
        session.flush()
        session.add(TemplateVersionRow(template_id=row.id, number=1, body="{{ 9**(9**7) }}", created_by=USER))
        session.flush()
        template_id = row.id
    assert bot.workspace.slash(USER, "templates hook earth", channel=CHANNEL).status == 200
    shown = ephemerals(bot)[-1]
    before = len(ephemerals(bot))
    started = time.monotonic()
    bot.workspace.click(
        USER, action_id="template_preview", value=str(template_id), message=(CHANNEL, shown.ts)
    )
    preview = bot.standin.wait_for(lambda: ephemerals(bot)[before:])[0]
    assert time.monotonic() - started < 3.0
    assert "It cannot be rendered: powers in a template stay under" in all_text(preview.blocks)


def test_a_template_within_the_limits_still_saves(bot: LocalBot) -> None:
    body = "{% for i in range(3) %}{{ 'ha' * 2 }}{% endfor %} {{ 2**10 }} puzzles for age {{ age }}"
    with session_scope(bot.settings.database_url) as session:
        from core.elements import Element
        from core.templates import TemplateKind, TemplateSpec, Variable

        spec = TemplateSpec(
            key="",
            name="Fine",
            kind=TemplateKind.HOOK,
            body=body,
            variables=(Variable("age", "age", "6"),),
            elements=(Element.EARTH,),
            categories=("puzzles",),
        )
        created = create_template(session, spec, USER)
    assert created.spec.example == "hahahahahaha 1024 puzzles for age 6"


def test_an_experiment_sample_beyond_the_database_is_refused(bot: LocalBot) -> None:
    with session_scope(bot.settings.database_url) as session:
        hooks = [str(t.id) for t in list_active(session, TemplateKind.HOOK)][:2]
    for raw in (HUGE, "9" * 5_000, "²"):
        modal = open_modal(bot, "experiments new")
        reply = bot.workspace.submit(
            USER,
            modal.id,
            {
                "name": {"name": text("Big sample")},
                "templates": {"templates": options("multi_static_select", *hooks)},
                "min_sample": {"min_sample": {"type": "number_input", "value": raw}},
            },
        )
        assert reply.status == 200, raw[:20]
        assert "The minimum sample" in reply.errors["min_sample"], reply.errors
        bot.standin.close_modals(USER, all_views=True)
