"""`/content generate`, `queue` and `history` as people use them: Slack requests in, review messages out.

Jobs run on real RQ (`bot.run_jobs()`); with Claude, the real SDK talks to the Anthropic stand-in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis

from contentbot.local import LocalBot
from core.content import ContentStatus
from core.templates import TemplateKind, TemplateSpec
from core.versions import Version
from standins.anthropic import AnthropicStandIn
from storage.contents import versions
from storage.db import session_scope
from storage.library import template_version
from storage.models import TemplateRow, TemplateVersionRow, VersionRow
from tests.bot.slack_inputs import all_text, select, text
from tests.generation_helpers import (
    ORIGIN,
    REQUESTER,
    buttons,
    click,
    content,
    message_text,
    request,
    review_message,
    start_bot,
    submit,
    thread_texts,
    writes,
)


@pytest.fixture
def offline_bot(database_url: str, redis_conn: redis.Redis) -> Iterator[LocalBot]:
    bot = start_bot(database_url, redis_conn)
    yield bot
    bot.close()


def add_template(bot: LocalBot, name: str, body: str) -> int:
    with session_scope(bot.settings.database_url) as session:
        template = TemplateRow(
            key="test-splash-hook", kind="hook", name=name, elements=["water"], categories=[]
        )
        session.add(template)
        session.flush()
        version = TemplateVersionRow(template_id=template.id, number=1, body=body, created_by="U0ALICE")
        session.add(version)
        session.flush()
        return version.id


def versions_of(bot: LocalBot, content_id: int) -> list[Version]:
    with session_scope(bot.settings.database_url) as session:
        return versions(session, content_id)


def test_the_shortcut_queues_and_the_draft_arrives_for_review(offline_bot: LocalBot) -> None:
    answer = request(offline_bot, "script Water bath boat that squirts")
    assert answer.startswith(
        "Queued *#1 · TikTok script for Water* (normal priority): 1st in the generation queue."
    )
    assert "<#C0REVIEW>" in answer
    assert "offline draft" in answer

    assert offline_bot.run_jobs()

    message = review_message(offline_bot, 1)
    shown = message_text(message)
    for part in (
        "Channel: *Water*",
        "Element: *Water*",
        "Templates: You're using it wrong (hook), Hook, problem, solution, call to action "
        "(script framework), Gift pick (caption)",
        "Model: offline draft",
    ):
        assert part in shown
    for field in ("*Hook*", "*Script beats*", "*Caption*", "*Hashtags*"):
        assert field in shown
    # A draft with findings (an offline one may hold gaps) takes one more click to approve (issue 16).
    [version] = versions_of(offline_bot, 1)
    approve = "Approve with findings…" if version.findings else "Approve"
    assert buttons(message) == [approve, "Request changes", "Edit", "Regenerate", "Reject"]
    assert thread_texts(offline_bot, message) == [
        "*v1* · Written: offline draft (no ANTHROPIC_API_KEY: written from the template library)"
    ]
    assert content(offline_bot, 1).status == ContentStatus.IN_REVIEW


def shop_listing(brief: str, facts: str) -> dict[str, dict[str, Any]]:
    """The request modal's values for a TikTok Shop listing of the Tidepool Bath Boat on Water."""
    return {
        "agent": {"agent": select("tiktok_shop")},
        "channel": {"channel": select("2")},
        "brief": {"brief": text(brief)},
        "product_title": {"product_title": text("Tidepool Bath Boat")},
        "product_category": {"product_category": text("Toys > Bath > Water Toys")},
        "product_age_grade": {"product_age_grade": text("3+")},
        "product_facts": {"product_facts": text(facts)},
    }


def library_templates(bot: LocalBot, version: Version) -> list[TemplateSpec]:
    with session_scope(bot.settings.database_url) as session:
        found = [template_version(session, v) for v in version.template_version_ids]
    return [spec for spec in found if spec is not None]


def test_an_offline_draft_names_the_library_templates_it_was_written_from(offline_bot: LocalBot) -> None:
    request(offline_bot, "hook Water kids' pool float that glows, ages 3-6")
    assert offline_bot.run_jobs()

    [version] = versions_of(offline_bot, 1)
    hook, caption = library_templates(offline_bot, version)
    assert (hook.kind, caption.kind) == (TemplateKind.HOOK, TemplateKind.CAPTION)
    # Their text is the draft's: each template's words are in its field.
    assert version.fields["hook"].startswith("3 reasons ") and hook.body.startswith("3 reasons ")
    assert (hook.name, caption.name) == ("Three reasons", "Question prompt")
    shown = message_text(review_message(offline_bot, 1))
    assert "Templates: Three reasons (hook), Question prompt (caption) · Model: offline draft" in shown
    # The version is credited to the first, as posts copy it for the library's performance figures.
    with session_scope(offline_bot.settings.database_url) as session:
        credited = session.query(VersionRow.template_version_id).scalar()
    assert credited == version.template_version_ids[0]

    # A person's edit keeps what the text was written from.
    click(offline_bot, REQUESTER, "review_edit")
    reply = submit(offline_bot, REQUESTER, {"hook": {"hook": text("Glows after dark. Floats all day.")}})
    assert reply.status == 200 and not reply.errors
    edited = versions_of(offline_bot, 1)[-1]
    assert edited.number == 2 and edited.template_version_ids == version.template_version_ids
    assert "Templates: Three reasons (hook), Question prompt (caption)" in message_text(
        review_message(offline_bot, 1)
    )


def test_an_offline_draft_from_no_library_template_says_none(offline_bot: LocalBot) -> None:
    # A shop listing is written from the product alone; the caption template is only its fallback.
    offline_bot.workspace.slash(REQUESTER, "generate", channel=ORIGIN)
    [modal] = offline_bot.standin.modals(REQUESTER)
    reply = offline_bot.workspace.submit(
        REQUESTER,
        modal.id,
        shop_listing("Launch listing", "Squirts water from its funnel"),
    )
    assert reply.status == 200 and not reply.errors
    assert offline_bot.run_jobs()
    [version] = versions_of(offline_bot, 1)
    assert version.template_version_ids == ()
    assert "Template: none · Model: offline draft" in message_text(review_message(offline_bot, 1))


def test_the_modal_request_with_template_and_product_reaches_claude(
    claude_bot: LocalBot, claude: AnthropicStandIn
) -> None:
    template_version = add_template(claude_bot, "Splash test", "Ever seen {{ product }} soak a grown-up?")
    assert request(claude_bot, "") == "Opening the content request."
    [modal] = claude_bot.standin.modals(REQUESTER)
    labels = all_text(modal.blocks)
    for label in (
        "Agent",
        "Channel",
        "Template",
        "Brief",
        "Product",
        "Product category",
        "Age grade",
        "Key facts",
        "Priority",
    ):
        assert label in labels

    reply = claude_bot.workspace.submit(
        REQUESTER,
        modal.id,
        {
            **shop_listing("Launch listing for summer", "Ages 3-6\nSquirts water from its funnel\n"),
            "template": {"template": select(str(template_version))},
            "priority": {"priority": select("high")},
        },
    )
    assert reply.status == 200 and not reply.errors
    [answer] = claude_bot.standin.ephemerals(ORIGIN, REQUESTER)[-1:]
    assert "TikTok Shop listing for Water* (high priority): 1st in the generation queue" in answer.text

    claude_bot.run_jobs()

    [call] = writes(claude)
    system = call.body["system"][0]["text"]
    prompt = call.body["messages"][0]["content"]
    assert "calm and splashy" in system  # the Water channel's brand voice
    assert "element Water" in system
    assert 'template "Splash test"' in system and "Ever seen {{ product }} soak a grown-up?" in system
    assert "Write a TikTok Shop product listing." in prompt
    assert "Brief: Launch listing for summer" in prompt
    assert "Product: Tidepool Bath Boat" in prompt and "- Squirts water from its funnel" in prompt
    assert "For ages: 3+" in prompt
    assert call.body["tools"][0]["name"] == "write_tiktok_shop"

    shown = message_text(review_message(claude_bot, 1))
    assert "Template: Splash test" in shown
    assert "Model: claude-sonnet-5-5" in shown and "tokens" in shown
    assert "Element: *Water*" in shown
    stored = content(claude_bot, 1)
    assert stored.template_version_id == template_version
    assert stored.product is not None and stored.product.age_grade == "3+"
    assert stored.element_reason is not None and "Water" in stored.element_reason


@pytest.mark.parametrize(
    ("values", "block", "problem"),
    [
        ({"brief": {"brief": text("   ")}}, "brief", "Write a brief"),
        ({"product_facts": {"product_facts": text("Ages 3-6")}}, "product_title", "Name the product"),
        (
            {
                "product_title": {"product_title": text("Kite")},
                "product_age_grade": {"product_age_grade": text("toddlers")},
            },
            "product_age_grade",
            "youngest age as a number",
        ),
        (
            {"product_facts": {"product_facts": text("\n".join(f"fact {i}" for i in range(11)))}},
            "product_facts",
            "Keep to 10",
        ),
    ],
)
def test_a_bad_modal_field_is_named_and_nothing_is_queued(
    offline_bot: LocalBot, values: dict, block: str, problem: str
) -> None:
    request(offline_bot, "")
    [modal] = offline_bot.standin.modals(REQUESTER)
    filled = {"channel": {"channel": select("1")}, "brief": {"brief": text("kites")}, **values}
    reply = offline_bot.workspace.submit(REQUESTER, modal.id, filled)
    assert problem in reply.errors[block]
    assert not offline_bot.run_jobs()


def test_every_bad_modal_field_is_named_in_one_submit(offline_bot: LocalBot) -> None:
    request(offline_bot, "")
    [modal] = offline_bot.standin.modals(REQUESTER)
    filled = {
        "channel": {"channel": select("1")},
        "brief": {"brief": text("kites")},
        "product_facts": {"product_facts": text("\n".join(f"fact {i}" for i in range(11)))},
    }
    reply = offline_bot.workspace.submit(REQUESTER, modal.id, filled)
    assert set(reply.errors) == {"product_facts", "product_title"}
    assert not offline_bot.run_jobs()


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("script Water", "Give an agent, a channel and a brief"),
        ("poem Water kites", "`poem` is not an agent; choose one of script, hook, social, blog, shop."),
        ("script Lava kites", "`Lava` is not a channel; the channels are Air, Water, Fire, Earth."),
    ],
)
def test_a_bad_shortcut_is_explained_and_nothing_is_queued(
    offline_bot: LocalBot, command: str, problem: str
) -> None:
    assert problem in request(offline_bot, command)
    assert not offline_bot.run_jobs()


def test_without_a_review_channel_nothing_is_queued(database_url: str, redis_conn: redis.Redis) -> None:
    bot = start_bot(database_url, redis_conn)
    bot.services.settings = bot.settings.model_copy(update={"review_channel": None})
    try:
        assert request(bot, "hook Air kites that loop") == (
            "REVIEW_CHANNEL is not set, so drafts would have nowhere to go: nothing was queued."
        )
        assert not bot.run_jobs()
    finally:
        bot.close()


def test_queue_lists_waiting_content_in_run_order(offline_bot: LocalBot) -> None:
    request(offline_bot, "hook Air kites that loop")
    request(offline_bot, "blog Fire racing cars")
    offline_bot.workspace.slash(REQUESTER, "generate", channel=ORIGIN)  # opens a modal, queues nothing
    [modal] = offline_bot.standin.modals(REQUESTER)
    offline_bot.workspace.submit(
        REQUESTER,
        modal.id,
        {
            "channel": {"channel": select("4")},
            "brief": {"brief": text("sandpit")},
            "priority": {"priority": select("high")},
        },
    )
    shown = all_text(offline_bot.workspace.slash(REQUESTER, "queue").json()["blocks"])
    lines = [line for line in shown.splitlines() if line.startswith("•")]
    assert [line.split(" · ")[1] for line in lines] == [
        "TikTok script for Earth*",
        "TikTok hook + caption for Air*",
        "Blog post for Fire*",
    ]
    assert "1st in the queue" in lines[0] and "3rd in the queue" in lines[2]


def test_history_shows_versions_and_the_last_change(offline_bot: LocalBot) -> None:
    request(offline_bot, "hook Air kites that loop")
    offline_bot.run_jobs()
    offline_bot.workspace.click(
        REQUESTER,
        action_id="review_edit",
        message=(review_message(offline_bot, 1).channel, review_message(offline_bot, 1).ts),
    )
    # The Edit modal opens after the ack, on Bolt's listener thread: wait for it.
    [modal] = offline_bot.standin.wait_for(lambda: offline_bot.standin.modals(REQUESTER))
    offline_bot.workspace.submit(REQUESTER, modal.id, {"hook": {"hook": text("Kites that loop the loop!")}})

    shown = all_text(offline_bot.workspace.slash(REQUESTER, "history 1").json()["blocks"])
    assert "*v1*" in shown and "offline draft" in shown
    assert "*v2*" in shown and "edited by <@U0BOB>" in shown
    assert "Last change (v1 → v2)" in shown
    assert "+ Kites that loop the loop!" in shown
    assert "- " in shown.split("Last change")[1]


@pytest.mark.parametrize(
    ("command", "problem"), [("history", "needs a content id"), ("history 99", "no content 99")]
)
def test_history_of_nothing_says_so(offline_bot: LocalBot, command: str, problem: str) -> None:
    assert problem in offline_bot.workspace.slash(REQUESTER, command).json()["text"]


def test_a_one_line_request_keeps_apostrophes_and_finds_names_with_spaces(offline_bot: LocalBot) -> None:
    from dataclasses import replace

    from storage.channels import get_channel, save_channel

    with session_scope(offline_bot.settings.database_url) as session:
        water = get_channel(session, "Water")
        assert water is not None
        save_channel(session, replace(water, id=None, name="Water Park", hashtags=()), "U0ALICE")

    assert request(offline_bot, "hook Water kids' pool float").startswith("Queued *#1 · TikTok hook")
    assert content(offline_bot, 1).brief == "kids' pool float"

    assert "for Water Park*" in request(offline_bot, "hook water park slide into summer")
    assert "for Water Park*" in request(offline_bot, 'hook "Water Park" it\'s splash time')
    assert content(offline_bot, 2).brief == "slide into summer"
    assert content(offline_bot, 3).brief == "it's splash time"

    refused = request(offline_bot, "hook Waterpark Fun slide")
    assert refused.startswith(
        "`Waterpark` is not a channel; the channels are Air, Water, Fire, Earth, Water Park."
    )
    assert 'or in quotes: `"Water Park"`' in refused
