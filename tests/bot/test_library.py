"""`/content templates` as people use it: the list, preview, the create/edit modal, retiring."""

from __future__ import annotations

from typing import Any

import pytest

from contentbot.local import LocalBot
from core.library import Template, TemplateStatus
from standins.slack import Ephemeral, View
from storage.channels import get_channel
from storage.db import session_scope
from storage.library import list_templates, template_version
from tests.bot.slack_inputs import all_text, options, select, text
from tests.measured_posts import publish_post

USER = "U0ALICE"  # an admin: ADMINS defaults to the reviewers
CHANNEL = "C0CONTENT"


def template(bot: LocalBot, key: str) -> Template:
    with session_scope(bot.settings.database_url) as session:
        summaries = list_templates(session, include_retired=True)
    return next(s.template for s in summaries if s.template.spec.key == key)


def listing(bot: LocalBot, words: str = "") -> Ephemeral:
    """Run `/content templates <words>` and return the list message the person sees."""
    before = len(bot.standin.ephemerals(CHANNEL, USER))
    assert bot.workspace.slash(USER, f"templates {words}".strip()).status == 200
    return bot.standin.ephemerals(CHANNEL, USER)[before]


def click(bot: LocalBot, message: Ephemeral, action_id: str, value: str) -> None:
    assert (
        bot.workspace.click(USER, action_id=action_id, value=value, message=(CHANNEL, message.ts)).status
        == 200
    )


def next_ephemeral(bot: LocalBot, count_before: int) -> Ephemeral:
    return bot.standin.wait_for(
        lambda: (
            len(bot.standin.ephemerals(CHANNEL, USER)) > count_before
            and bot.standin.ephemerals(CHANNEL, USER)[count_before]
        )
    )


def open_modal(bot: LocalBot, message: Ephemeral, action_id: str, value: str) -> View:
    click(bot, message, action_id, value)
    return bot.standin.wait_for(lambda: bot.standin.modals(USER) and bot.standin.modals(USER)[-1])


def test_the_list_shows_every_template_a_page_at_a_time_with_buttons(bot: LocalBot) -> None:
    first = listing(bot)
    shown = all_text(first.blocks)
    assert first.text == "25 templates (all)"
    assert "*Gift panic* · hook · version 1" in shown
    assert shown.count("Used in 0 posts (0 content items) · no posts measured yet") == 20
    assert "1-20 of 25" in shown
    buttons = [e for b in first.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons[:3]] == ["Preview", "Edit", "Retire"]
    assert buttons[-2]["text"]["text"] == "New template" and buttons[-1]["text"]["text"] == "Next 5"
    click(bot, first, "template_page", buttons[-1]["value"])
    second = bot.standin.wait_for(
        lambda: (
            "21-25 of 25" in all_text(bot.standin.ephemerals(CHANNEL, USER)[-1].blocks)
            and bot.standin.ephemerals(CHANNEL, USER)[-1]
        )
    )
    assert second.ts == first.ts  # the page replaced the list rather than piling up messages


def test_filters_are_words_in_any_order(bot: LocalBot) -> None:
    shown = listing(bot, "water captions")
    assert shown.text == "2 templates (captions · for Water)"
    assert {"Gift pick", "Save for later"} <= set(all_text(shown.blocks).replace("*", "\n").splitlines())
    assert listing(bot, "hook plush").text == listing(bot, "plush hook").text


@pytest.mark.parametrize(
    ("words", "problem"),
    [
        ("sparkly", "`sparkly` is not a category, kind or element."),
        ("hook caption", "One kind at a time: I got `caption` as well."),
        ("a b c d e", "`templates` takes at most 4 arguments; I got `e` too."),
    ],
)
def test_an_unknown_or_repeated_word_is_named(bot: LocalBot, words: str, problem: str) -> None:
    reply = bot.workspace.slash(USER, f"templates {words}").json()
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith(problem)


def test_usage_and_performance_come_from_the_posts(bot: LocalBot) -> None:
    gift = template(bot, "gift-panic")
    with session_scope(bot.settings.database_url) as session:
        fire = get_channel(session, "Fire")
        for views, saves in ((1000, 40), (3000, 80)):
            publish_post(
                session,
                channel_id=fire.id,
                template_version_id=gift.version_id,
                snapshots=[(24, views, saves)],
            )
    shown = all_text(listing(bot, "hook fire").blocks)
    assert (
        "*Gift panic* · hook · version 1\nAir, Water, Fire, Earth · Board games, Building sets, STEM &amp; science kits,"
        in shown
    )
    assert (
        "Used in 2 posts (2 content items) · mean views at 24 h: 2,000 · save rate: 3.00% · 2 posts measured"
        in shown
    )


def test_preview_renders_the_samples(bot: LocalBot) -> None:
    gift = template(bot, "gift-panic")
    shown = listing(bot, "hook")
    count = len(bot.standin.ephemerals(CHANNEL, USER))
    click(bot, shown, "template_preview", str(gift.id))
    preview = all_text(next_ephemeral(bot, count).blocks)
    assert "```Stuck on a gift for age 6? Stop scrolling.```" in preview
    assert "• `age`: The child's age in years (sample: 6)" in preview


def new_template_values(body: str, variables: str) -> dict[str, dict[str, Any]]:
    return {
        "name": {"name": text("Puzzle afternoon")},
        "kind": {"kind": select("hook")},
        "categories": {"categories": options("multi_static_select", "puzzles", "board-games")},
        "elements": {"elements": options("checkboxes", "earth")},
        "body": {"body": text(body)},
        "variables": {"variables": text(variables)},
    }


@pytest.mark.parametrize(
    ("body", "variables", "block", "message"),
    [
        ("Rainy day? {{ product", "product: Product name = Puzzle Tower", "body", "syntax error on line 1"),
        (
            "Rainy day? {{ product }} for {{ kid }}",
            "product: Product name = Puzzle Tower",
            "body",
            "undeclared variable(s) used in the body: kid. Declare each one under Variables.",
        ),
        (
            "Rainy day? Grab a puzzle.",
            "product: Product name = Puzzle Tower",
            "variables",
            "declared variable(s) not used in the body: product",
        ),
        (
            "Rainy day? {{ product }}",
            "product = Puzzle Tower",
            "variables",
            "Line 1 (product = Puzzle Tower): write it",
        ),
        (
            "Rainy day? {{ product }}",
            "product: Product name =",
            "variables",
            "Line 1 (product) needs a sample",
        ),
        (
            "Rainy day? {{ product }}",
            "the product: Product = X",
            "variables",
            "'the product' cannot be a variable name",
        ),
    ],
)
def test_a_bad_template_is_refused_inline_and_nothing_is_saved(
    bot: LocalBot, body: str, variables: str, block: str, message: str
) -> None:
    modal = open_modal(bot, listing(bot, "hook"), "template_new", "new")
    reply = bot.workspace.submit(USER, modal.id, new_template_values(body, variables))
    assert reply.status == 200
    assert list(reply.errors) == [block] and message in reply.errors[block]
    assert bot.standin.modals(USER)[-1].id == modal.id
    assert listing(bot).text == "25 templates (all)"


def test_a_new_template_is_created_and_listed(bot: LocalBot) -> None:
    modal = open_modal(bot, listing(bot, "hook"), "template_new", "new")
    assert modal.definition["title"]["text"] == "New template"
    count = len(bot.standin.ephemerals(CHANNEL, USER))
    reply = bot.workspace.submit(
        USER,
        modal.id,
        new_template_values(
            "Rainy day? {{ product }} saves the afternoon.",
            "product: Product name as parents say it = the Puzzle Tower\n",
        ),
    )
    assert reply.status == 200 and not reply.errors
    assert next_ephemeral(bot, count).text == "Created the hook *Puzzle afternoon* (version 1)."
    made = template(bot, "puzzle-afternoon")
    assert made.spec.example == "Rainy day? the Puzzle Tower saves the afternoon."
    assert "*Puzzle afternoon* · hook · version 1" in all_text(listing(bot, "earth puzzles").blocks)


def test_an_edit_saves_a_new_version_and_posts_keep_theirs(bot: LocalBot) -> None:
    gift = template(bot, "gift-panic")
    with session_scope(bot.settings.database_url) as session:
        fire = get_channel(session, "Fire")
        publish_post(session, channel_id=fire.id, template_version_id=gift.version_id)
    modal = open_modal(bot, listing(bot, "hook"), "template_edit", str(gift.id))
    assert modal.definition["title"]["text"] == "Edit template"
    assert modal.state["body"]["body"]["value"] == "Stuck on a gift for age {{ age }}? Stop scrolling."
    assert modal.state["variables"]["variables"]["value"] == "age: The child's age in years = 6"
    assert "kind" not in modal.state  # the kind is fixed once made
    count = len(bot.standin.ephemerals(CHANNEL, USER))
    edited = {"body": {"body": text("Gift for a {{ age }}-year-old? Stop scrolling.")}}
    assert not bot.workspace.submit(USER, modal.id, edited).errors
    assert next_ephemeral(bot, count).text == (
        "Saved *Gift panic* as version 2. New content uses it; posts written from earlier versions keep the text they used."
    )
    now = template(bot, "gift-panic")
    assert now.version == 2 and now.spec.example == "Gift for a 6-year-old? Stop scrolling."
    with session_scope(bot.settings.database_url) as session:
        kept = template_version(session, gift.version_id)
        summary = next(s for s in list_templates(session) if s.template.id == gift.id)
    assert kept is not None and kept.body == "Stuck on a gift for age {{ age }}? Stop scrolling."
    assert summary.usage.posts == 1  # the post made from version 1 still counts for the template


def test_retiring_says_what_happened_and_twice_changes_nothing(bot: LocalBot) -> None:
    gift = template(bot, "gift-panic")
    shown = listing(bot, "hook")
    count = len(bot.standin.ephemerals(CHANNEL, USER))
    click(bot, shown, "template_retire", str(gift.id))
    assert next_ephemeral(bot, count).text.startswith(
        "Retired *Gift panic*: it no longer shows in lists or pickers."
    )
    click(bot, shown, "template_retire", str(gift.id))
    assert next_ephemeral(bot, count + 1).text == "*Gift panic* was already retired; nothing changed."
    assert "Gift panic" not in all_text(listing(bot, "hook").blocks)
    assert "*Gift panic* (retired) · hook" in all_text(listing(bot, "hook retired").blocks)


def test_only_admins_retire_a_template(bot: LocalBot) -> None:
    gift = template(bot, "gift-panic")
    bob = "U0BOB"
    before = len(bot.standin.ephemerals(CHANNEL, bob))
    assert bot.workspace.slash(bob, "templates hook").status == 200
    shown = bot.standin.wait_for(lambda: bot.standin.ephemerals(CHANNEL, bob)[before:])[0]
    reply = bot.workspace.click(
        bob, action_id="template_retire", value=str(gift.id), message=(CHANNEL, shown.ts)
    )
    assert reply.status == 200
    answer = bot.standin.wait_for(lambda: bot.standin.ephemerals(CHANNEL, bob)[before + 1 :])[0]
    assert answer.text == "Only admins may change the template library; ask <@U0ALICE>."
    assert template(bot, "gift-panic").status == TemplateStatus.ACTIVE


def buttons_of(message: Ephemeral, template_id: int) -> dict[str, dict[str, Any]]:
    """The list's buttons for one template, by their text."""
    return {
        e["text"]["text"]: e
        for b in message.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("value") == str(template_id)
    }


def test_retire_asks_first_and_a_retired_template_can_be_restored(bot: LocalBot) -> None:
    gift = template(bot, "gift-panic")
    retire = buttons_of(listing(bot, "hook"), gift.id)["Retire"]
    assert retire["confirm"]["title"]["text"] == "Retire this template?"
    assert "*Gift panic* leaves lists and pickers" in retire["confirm"]["text"]["text"]
    assert (retire["confirm"]["confirm"]["text"], retire["confirm"]["deny"]["text"]) == ("Retire", "Keep it")

    shown = listing(bot, "hook")
    count = len(bot.standin.ephemerals(CHANNEL, USER))
    click(bot, shown, "template_retire", str(gift.id))
    next_ephemeral(bot, count)

    retired_list = listing(bot, "hook retired")
    buttons = buttons_of(retired_list, gift.id)
    assert list(buttons) == ["Preview", "Edit", "Restore"]
    count = len(bot.standin.ephemerals(CHANNEL, USER))
    click(bot, retired_list, buttons["Restore"]["action_id"], str(gift.id))
    assert next_ephemeral(bot, count).text == (
        "Restored *Gift panic* at version 1: it shows in lists and pickers again."
    )
    assert template(bot, "gift-panic").status.value == "active"
    assert "*Gift panic* · hook" in all_text(listing(bot, "hook").blocks)

    count = len(bot.standin.ephemerals(CHANNEL, USER))
    click(bot, retired_list, buttons["Restore"]["action_id"], str(gift.id))
    assert next_ephemeral(bot, count).text == "*Gift panic* is not retired; nothing changed."
