"""`/content channel setup`: the modal, inline errors, the one-channel-per-element rule, the audit."""

from __future__ import annotations

from typing import Any

import pytest

from contentbot.local import LocalBot
from storage.channels import channel_history, get_channel, list_channels
from storage.db import session_scope

USER = "U0ALICE"  # an admin: ADMINS defaults to the reviewers
CHANNEL = "C0CONTENT"


def open_setup(bot: LocalBot, name: str) -> Any:
    reply = bot.workspace.slash(USER, f"channel setup {name}")
    assert reply.status == 200
    return bot.standin.wait_for(lambda: bot.standin.modals(USER) and bot.standin.modals(USER)[-1])


def text(value: str) -> dict[str, str]:
    return {"type": "plain_text_input", "value": value}


def number(value: str) -> dict[str, str]:
    return {"type": "number_input", "value": value}


def select(value: str) -> dict[str, Any]:
    return {
        "type": "static_select",
        "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}},
    }


def channel(bot: LocalBot, name: str):
    with session_scope(bot.settings.database_url) as session:
        return get_channel(session, name)


def test_setup_opens_a_modal_filled_with_the_channel(bot: LocalBot) -> None:
    modal = open_setup(bot, "Water")
    assert modal.definition["title"]["text"] == "Edit channel"
    assert modal.state["name"]["name"]["value"] == "Water"
    assert modal.state["daily_cap"]["daily_cap"]["value"] == "3"
    assert modal.state["windows"]["windows"]["value"] == "Mon-Fri 17:00-20:00\nSat,Sun 10:00-13:00"
    assert modal.state["element"]["element"]["selected_option"]["value"] == "water"
    account = next(b for b in modal.blocks if b.get("block_id") == "account")
    assert "not connected" in account["text"]["text"]
    assert account["accessory"]["text"]["text"] == "Connect"


@pytest.mark.parametrize(
    ("values", "block", "message"),
    [
        ({"daily_cap": {"daily_cap": number("16")}}, "daily_cap", "The daily cap must be 1 to 15"),
        ({"windows": {"windows": text("Mon-Fri 20:00-18:00")}}, "windows", "ends before it starts"),
        ({"windows": {"windows": text("Someday 10:00-11:00")}}, "windows", "is not a weekday"),
        (
            {"branding_template": {"branding_template": text("{{ caption }")}},
            "branding_template",
            "syntax error",
        ),
        (
            {"branding_template": {"branding_template": text("{{ caption }} {{ logo }}")}},
            "branding_template",
            "logo",
        ),
        ({"hashtags": {"hashtags": text("#ok not-ok!")}}, "hashtags", "is not a hashtag"),
        ({"name": {"name": text("Air")}}, "name", "exists already"),
    ],
)
def test_invalid_fields_come_back_inline_and_nothing_is_saved(
    bot: LocalBot, values: dict, block: str, message: str
) -> None:
    modal = open_setup(bot, "Water")
    before = channel(bot, "Water")
    reply = bot.workspace.submit(USER, modal.id, values)
    assert reply.status == 200
    assert block in reply.errors and message in reply.errors[block]
    assert bot.standin.modals(USER)[-1].id == modal.id  # still open, for the person to fix
    assert channel(bot, "Water") == before


def test_a_saved_change_is_audited_and_shown_in_channels(bot: LocalBot) -> None:
    modal = open_setup(bot, "Water")
    reply = bot.workspace.submit(
        USER,
        modal.id,
        {
            "daily_cap": {"daily_cap": number("2")},
            "windows": {"windows": text("Tue,Thu 18:00-21:00")},
            "posting_mode": {"posting_mode": select("manual")},
        },
    )
    assert reply.status == 200 and not reply.errors
    assert bot.standin.modals(USER) == []
    confirmation = bot.standin.wait_for(lambda: bot.standin.ephemerals(CHANNEL, USER))
    assert confirmation[-1].text == (
        "Updated channel *Water* (Water): manual, up to 2/day, 90 min apart, Tue,Thu 18:00-21:00."
    )
    water = channel(bot, "Water")
    assert water.daily_cap == 2 and water.posting_mode.value == "manual"
    with session_scope(bot.settings.database_url) as session:
        history = channel_history(session, water.id)
    assert len(history) == 1
    entry = history[0]
    assert entry.user_id == USER
    assert set(entry.changed) == {"daily_cap", "windows", "posting_mode"}
    assert entry.before["daily_cap"] == 3 and entry.after["daily_cap"] == 2
    listing = str(bot.workspace.slash(USER, "channels").json()["blocks"])
    assert "manual, up to 2/day, 90 min apart, Tue,Thu 18:00-21:00" in listing
    assert "Last changed by <@U0ALICE>" in listing
    # Before and after, in the form's words.
    assert "posting mode draft → manual" in listing and "daily cap 3 → 2" in listing
    assert "posting windows Mon-Fri 17:00-20:00, Sat,Sun 10:00-13:00 → Tue,Thu 18:00-21:00" in listing


def test_saving_without_changes_writes_no_audit(bot: LocalBot) -> None:
    modal = open_setup(bot, "Fire")
    assert not bot.workspace.submit(USER, modal.id).errors
    with session_scope(bot.settings.database_url) as session:
        assert channel_history(session, channel(bot, "Fire").id) == []


def test_a_second_channel_for_an_element_needs_confirmation(bot: LocalBot) -> None:
    modal = open_setup(bot, "Splash Zone")
    assert modal.definition["title"]["text"] == "New channel"
    values = {"element": {"element": select("water")}, "tone": {"tone": text("splashy")}}
    reply = bot.workspace.submit(USER, modal.id, values)
    assert "Water already has the channel Water" in reply.errors["element"]
    with session_scope(bot.settings.database_url) as session:
        assert len(list_channels(session)) == 4

    confirm = {
        "allow_second": {
            "allow_second": {
                "type": "checkboxes",
                "selected_options": [{"value": "yes", "text": {"type": "plain_text", "text": "yes"}}],
            }
        }
    }
    reply = bot.workspace.submit(USER, modal.id, {**values, **confirm})
    assert not reply.errors
    created = channel(bot, "Splash Zone")
    assert created is not None and created.element.value == "water" and created.voice.tone == "splashy"
    with session_scope(bot.settings.database_url) as session:
        history = channel_history(session, created.id)
    assert history[0].before is None  # a creation is audited too


def test_only_admins_change_a_channel_and_the_refusal_says_who_may(bot: LocalBot) -> None:
    bot.workspace.slash("U0BOB", "channel setup Water")
    [modal] = bot.standin.wait_for(lambda: bot.standin.modals("U0BOB"))
    before = channel(bot, "Water")
    reply = bot.workspace.submit("U0BOB", modal.id, {"daily_cap": {"daily_cap": number("1")}})
    assert reply.errors == {"name": "Only admins may change channels; ask <@U0ALICE>."}
    assert channel(bot, "Water") == before
    with session_scope(bot.settings.database_url) as session:
        assert channel_history(session, before.id) == []


def test_every_wrong_field_is_marked_in_one_submit(bot: LocalBot) -> None:
    modal = open_setup(bot, "Water")
    before = channel(bot, "Water")
    reply = bot.workspace.submit(
        USER,
        modal.id,
        {
            "name": {"name": text("W" * 81)},
            "windows": {"windows": text("Someday 10:00-11:00")},
            "min_gap": {"min_gap": number("-5")},
            "branding_template": {"branding_template": text("{{ caption }")},
        },
    )
    assert set(reply.errors) == {"name", "windows", "min_gap", "branding_template"}
    assert channel(bot, "Water") == before


def test_rules_that_cannot_be_met_are_refused_saying_what_fits(bot: LocalBot) -> None:
    modal = open_setup(bot, "Water")
    reply = bot.workspace.submit(
        USER,
        modal.id,
        {
            "windows": {"windows": text("Mon-Fri 17:00-20:00")},
            "daily_cap": {"daily_cap": number("15")},
            "min_gap": {"min_gap": number("180")},
        },
    )
    assert "at most 2 posts 3 h apart fit in 17:00-20:00" in reply.errors["daily_cap"]


def test_hashtags_typed_on_one_line_become_separate_tags(bot: LocalBot) -> None:
    modal = open_setup(bot, "Water")
    reply = bot.workspace.submit(USER, modal.id, {"hashtags": {"hashtags": text("#a #b, c\nd")}})
    assert reply.status == 200 and not reply.errors
    assert channel(bot, "Water").hashtags == ("#a", "#b", "#c", "#d")
