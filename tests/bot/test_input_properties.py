"""Generated text sent to every verb, modal and button as Slack sends it (signed HTTP to the real app).

Each input gets an answer (HTTP 200 and something the sender sees), and an input that was refused
leaves the database as it was. Example counts are modest: every example is a real request.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.inputs import UNSTORABLE_TEXT
from contentbot.local import LocalBot
from core.channels import Channel
from core.experiments import Allocation, Metric
from core.templates import TemplateKind
from standins.slack import ChangeKind, View
from storage.channels import list_channels
from storage.db import session_scope
from storage.experiments import create_experiment
from storage.library import list_active
from storage.models import Base
from tests.bot.slack_inputs import options, text
from tests.bot.slack_inputs import select as pick
from tests.generation_helpers import REVIEW, REVIEWER, request, review_message

USER = "U0ALICE"  # a reviewer, so admin by default: inputs reach every surface
CHANNEL = "C0CONTENT"

# Values that broke something once, or might: NUL, ids past int4/int8, costly templates, mentions.
AWKWARD = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "99999999999999999999",
    str(2**31),
    "-1",
    "0",
    "²",
    "#12",
    "{{ 9**(9**7) }}",
    "{{ 'x' * 10**7 }}",
    "{{ range(10**9)|list }}",
    "{% for i in range(999) %}{% for j in range(999) %}{% endfor %}{% endfor %}",
    "<!channel> <@U0ALICE>",
    "'; DROP TABLE channels; --",
    '"unclosed',
    "🙂" * 700,
    "Mon-Fri 25:00-99:00",
]


def long_text() -> st.SearchStrategy[str]:
    return st.builds(
        lambda piece, times: piece * times, st.text(min_size=1, max_size=4), st.integers(300, 3000)
    )


def any_text(alphabet: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[str]:
    """Short text, long text, and the awkward values; `alphabet` widens the characters (JSON carries surrogates)."""
    short = st.text(alphabet, max_size=40) if alphabet is not None else st.text(max_size=40)
    return st.one_of(
        short, long_text(), st.sampled_from(AWKWARD), st.from_regex(r"-?[0-9]{1,40}", fullmatch=True)
    )


# A slash command is form-encoded UTF-8: no lone surrogates. Modal and button payloads are JSON: anything.
JSON_CHARACTERS = st.characters(codec=None, exclude_categories=())

RELAXED = settings(
    max_examples=25,
    deadline=None,
    # One bot serves every example of a test: starting one per example would take minutes.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def snapshot(bot: LocalBot) -> dict[str, int]:
    """Rows per table (and the channels' text): what a refused input must leave as it was."""
    with session_scope(bot.settings.database_url) as session:
        counts = {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
            if table.name != "heartbeats"
        }
        channels = session.execute(select(Base.metadata.tables["channels"]).order_by("id")).all()
        counts["channels"] = hash(repr(channels))
    return counts


def refused(text: str) -> bool:
    return text == UNSTORABLE_TEXT or bool(re.search(r"is not (a|an) [a-z ]*id:|is not one I drew", text))


def close_everything(bot: LocalBot) -> None:
    for user in (USER, REVIEWER):
        bot.standin.close_modals(user, all_views=True)


# --- Verbs -------------------------------------------------------------------------------------------

VERB_WORDS = [
    "",
    "help",
    "channels",
    "channel setup",
    "check",
    "generate",
    "generate script Water",
    "queue",
    "history",
    "templates",
    "experiments",
    "experiments new",
    "schedule",
    "stats",
]


@RELAXED
@given(verb=st.sampled_from(VERB_WORDS), argument=any_text())
def test_every_verb_answers_any_text(bot: LocalBot, verb: str, argument: str) -> None:
    before = snapshot(bot)
    reply = bot.workspace.slash(USER, f"{verb} {argument}", channel=CHANNEL)
    assert reply.status == 200
    assert reply.body.strip()
    said = reply.json()["text"] if reply.json() else reply.body
    if "Queued" not in said and "Saved content" not in said:
        assert snapshot(bot) == before, said
    close_everything(bot)


# --- Modals ------------------------------------------------------------------------------------------


def first_channel(bot: LocalBot) -> Channel:
    """A channel to point at; examples may have renamed any of them."""
    with session_scope(bot.settings.database_url) as session:
        return list_channels(session)[0]


def channel_id(bot: LocalBot) -> int:
    found = first_channel(bot).id
    assert found is not None
    return found


def open_channel_setup(bot: LocalBot) -> View:
    return open_by_command(f"channel setup {shlex.quote(first_channel(bot).name)}")(bot)


def hook_ids(bot: LocalBot) -> list[str]:
    with session_scope(bot.settings.database_url) as session:
        return [str(t.id) for t in list_active(session, TemplateKind.HOOK)][:2]


def open_by_command(command: str) -> Callable[[LocalBot], View]:
    def open_modal(bot: LocalBot) -> View:
        assert bot.workspace.slash(USER, command, channel=CHANNEL).status == 200
        return bot.standin.wait_for(lambda: bot.standin.modals(USER) and bot.standin.modals(USER)[-1])

    return open_modal


def open_new_template(bot: LocalBot) -> View:
    assert bot.workspace.slash(USER, "templates", channel=CHANNEL).status == 200
    listing = bot.standin.ephemerals(CHANNEL, USER)[-1]
    bot.workspace.click(USER, action_id="template_new", message=(CHANNEL, listing.ts))
    return bot.standin.wait_for(lambda: bot.standin.modals(USER) and bot.standin.modals(USER)[-1])


def in_review(bot: LocalBot) -> str:
    """The review message of content 1, generated (again) if an earlier example sent it back."""
    with session_scope(bot.settings.database_url) as session:
        exists = bool(list(session.execute(select(Base.metadata.tables["contents"]).limit(1))))
    if not exists:
        assert "Queued" in request(bot, "script Water a bath boat that squirts")
    bot.run_jobs()
    return review_message(bot, 1).ts


def open_by_button(action: str) -> Callable[[LocalBot], View]:
    def open_modal(bot: LocalBot) -> View:
        ts = in_review(bot)
        bot.workspace.click(USER, action_id=action, message=(REVIEW, ts))
        return bot.standin.wait_for(lambda: bot.standin.modals(USER) and bot.standin.modals(USER)[-1])

    return open_modal


# Each modal: how it opens, what fills its other required fields, and the fields generated text goes in.
MODALS: dict[str, tuple[Callable[[LocalBot], View], Callable[[LocalBot], dict[str, Any]], list[str]]] = {
    "channel setup": (
        open_channel_setup,
        lambda bot: {},
        [
            "name",
            "tone",
            "words_to_use",
            "words_to_avoid",
            "emoji_policy",
            "cta_style",
            "branding_template",
            "hashtags",
            "windows",
            "daily_cap",
            "min_gap",
        ],
    ),
    "template": (
        open_new_template,
        lambda bot: {
            "name": {"name": text("Generated")},
            "kind": {"kind": pick("hook")},
            "categories": {"categories": options("multi_static_select", "puzzles")},
            "elements": {"elements": options("checkboxes", "earth")},
            "body": {"body": text("A puzzle afternoon")},
        },
        ["name", "body", "variables"],
    ),
    "generate": (
        open_by_command("generate"),
        lambda bot: {
            "channel": {"channel": pick(str(channel_id(bot)))},
            "brief": {"brief": text("a bath boat")},
        },
        ["brief", "product_title", "product_category", "product_facts"],
    ),
    "experiment": (
        open_by_command("experiments new"),
        lambda bot: {
            "name": {"name": text("Generated test")},
            "templates": {"templates": options("multi_static_select", *hook_ids(bot))},
        },
        ["name", "min_sample"],
    ),
    "request changes": (open_by_button("review_request_changes"), lambda bot: {}, ["reason"]),
    "edit": (open_by_button("review_edit"), lambda bot: {}, ["hook", "beats", "caption", "hashtags"]),
}
MODAL_FIELDS = [(modal, field) for modal, (_, _, fields) in MODALS.items() for field in fields]
TOLD = {ChangeKind.EPHEMERAL_POSTED, ChangeKind.MESSAGE_POSTED}
NUMBER_FIELDS = {"daily_cap", "min_gap", "min_sample"}


@RELAXED
@given(where=st.sampled_from(MODAL_FIELDS), value=any_text(JSON_CHARACTERS))
def test_every_modal_answers_any_text(bot: LocalBot, where: tuple[str, str], value: str) -> None:
    modal_name, field = where
    open_modal, base, _ = MODALS[modal_name]
    modal = open_modal(bot)
    kind = "number_input" if field in NUMBER_FIELDS else "plain_text_input"
    values = {**base(bot), field: {field: {"type": kind, "value": value}}}
    before = snapshot(bot)
    cursor = bot.standin.cursor
    reply = bot.workspace.submit(USER, modal.id, values)
    close_everything(bot)
    if reply.status is None:
        reject()  # Slack's own client would not send a required field left empty
    assert reply.status == 200
    if reply.errors:
        assert all(message.strip() for message in reply.errors.values())
        assert snapshot(bot) == before, reply.errors
    else:
        # Saved: the person is told so, where they typed the command or in the review thread.
        bot.standin.wait_for(lambda: any(c.kind in TOLD for c in bot.standin.changes(cursor)))


# --- Buttons -----------------------------------------------------------------------------------------


def button_surfaces(bot: LocalBot) -> dict[str, tuple[str, str, str]]:
    """For each button: who presses it and the message (channel, ts) it is on, made fresh."""
    assert bot.workspace.slash(USER, "templates", channel=CHANNEL).status == 200
    listing = bot.standin.ephemerals(CHANNEL, USER)[-1].ts
    assert bot.workspace.slash(USER, "experiments", channel=CHANNEL).status == 200
    experiments = bot.standin.ephemerals(CHANNEL, USER)[-1].ts
    review = review_message(bot, 1).ts
    return {
        "template_preview": (USER, CHANNEL, listing),
        "template_edit": (USER, CHANNEL, listing),
        "template_retire": (USER, CHANNEL, listing),
        "template_page": (USER, CHANNEL, listing),
        "experiment_report": (USER, CHANNEL, experiments),
        "review_approve": (REVIEWER, REVIEW, review),
        "review_reject": (REVIEWER, REVIEW, review),
        "review_regenerate": (REVIEWER, REVIEW, review),
        "review_edit": (REVIEWER, REVIEW, review),
        "review_request_changes": (REVIEWER, REVIEW, review),
    }


BUTTONS = [
    "template_preview",
    "template_edit",
    "template_retire",
    "template_page",
    "experiment_report",
    "review_approve",
    "review_reject",
    "review_regenerate",
    "review_edit",
    "review_request_changes",
]


def prepare(bot: LocalBot) -> None:
    """Once per bot: a content item in review and a running experiment, so every button is on screen."""
    with session_scope(bot.settings.database_url) as session:
        if list(session.execute(select(Base.metadata.tables["experiments"]).limit(1))):
            return
        create_experiment(
            session,
            name="Hooks on Water",
            template_ids=[int(i) for i in hook_ids(bot)],
            metric=Metric.SAVE_RATE,
            allocation=Allocation.EVEN,
            min_sample=10,
            channel_id=channel_id(bot),
            created_by=REVIEWER,
        )
    assert "Queued" in request(bot, "script Water a bath boat that squirts")
    bot.run_jobs()


@RELAXED
@given(action=st.sampled_from(BUTTONS), value=any_text(JSON_CHARACTERS))
def test_every_button_answers_any_value(bot: LocalBot, action: str, value: str) -> None:
    prepare(bot)
    user, channel, ts = button_surfaces(bot)[action]
    before = snapshot(bot)
    cursor = bot.standin.cursor
    try:
        reply = bot.workspace.click(user, action_id=action, value=value, message=(channel, ts))
    except LookupError:
        reject()  # an earlier example approved or rejected the content: its buttons are gone
    assert reply.status == 200
    # Something the presser sees: a reply beside the message, the message updated, or a modal.
    changes = bot.standin.wait_for(lambda: bot.standin.changes(cursor))
    said = [c.subject.text for c in changes if c.kind == ChangeKind.EPHEMERAL_POSTED]
    close_everything(bot)
    if any(refused(text) for text in said):
        assert snapshot(bot) == before, said
