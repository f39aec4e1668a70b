"""`/content experiments` as people use it: starting one, the report, promoting a winner."""

from __future__ import annotations

from typing import Any

import pytest

from bot.generate import template_for
from contentbot.local import LocalBot
from core.agents import AgentKind
from core.experiments import Allocation, Experiment, Metric
from core.templates import TemplateKind
from standins.slack import Ephemeral, View
from storage.channels import get_channel
from storage.db import session_scope
from storage.experiments import (
    create_experiment,
    default_template_version,
    list_experiments,
    running_experiment,
)
from storage.library import list_active
from tests.bot.slack_inputs import all_text, options, select, text
from tests.measured_posts import publish_post

BOB = "U0BOB"  # may request, may not promote
ALICE = "U0ALICE"  # a reviewer
CHANNEL = "C0CONTENT"


def hook_ids(bot: LocalBot, *keys: str) -> list[int]:
    with session_scope(bot.settings.database_url) as session:
        found = {t.spec.key: t.id for t in list_active(session, TemplateKind.HOOK)}
    return [found[key] for key in keys]


def fire_id(bot: LocalBot) -> int:
    with session_scope(bot.settings.database_url) as session:
        fire = get_channel(session, "Fire")
    assert fire is not None and fire.id is not None
    return fire.id


def open_new(bot: LocalBot) -> View:
    assert bot.workspace.slash(BOB, "experiments new").status == 200
    return bot.standin.wait_for(lambda: bot.standin.modals(BOB) and bot.standin.modals(BOB)[-1])


def new_values(bot: LocalBot, template_ids: list[int], min_sample: str = "10") -> dict[str, dict[str, Any]]:
    return {
        "name": {"name": text("Gift hooks on Fire")},
        "channel": {"channel": select(str(fire_id(bot)))},
        "templates": {"templates": options("multi_static_select", *(str(i) for i in template_ids))},
        "metric": {"metric": select("views_24h")},
        "allocation": {"allocation": select("thompson")},
        "min_sample": {"min_sample": {"type": "number_input", "value": min_sample}},
    }


def start(bot: LocalBot, min_sample: int) -> Experiment:
    with session_scope(bot.settings.database_url) as session:
        return create_experiment(
            session,
            name="Gift hooks",
            template_ids=hook_ids(bot, "gift-panic", "three-reasons"),
            metric=Metric.SAVE_RATE,
            allocation=Allocation.EVEN,
            min_sample=min_sample,
            channel_id=fire_id(bot),
            created_by=ALICE,
        )


def measure(bot: LocalBot, experiment: Experiment, label: str, posts: int, views: int, saves: int) -> None:
    variant = experiment.variant(label)
    with session_scope(bot.settings.database_url) as session:
        for _ in range(posts):
            publish_post(
                session,
                channel_id=fire_id(bot),
                template_version_id=variant.template_version_id,
                variant_id=variant.id,
                snapshots=[(30, views, saves)],
            )


def report(bot: LocalBot, user: str, experiment_id: int) -> Ephemeral:
    before = len(bot.standin.ephemerals(CHANNEL, user))
    assert bot.workspace.slash(user, f"experiments {experiment_id}").status == 200
    return bot.standin.ephemerals(CHANNEL, user)[before]


def test_the_modal_offers_channels_templates_metric_allocation_and_sample(bot: LocalBot) -> None:
    modal = open_new(bot)
    assert modal.definition["title"]["text"] == "New experiment"
    shown = all_text(modal.blocks)
    for words in (
        "Every channel",
        "Fire (Fire)",
        "Hooks",
        "Gift panic",
        "Captions",
        "Save rate",
        "Views at 24 h",
    ):
        assert words in shown
    assert "Thompson sampling (better variants get more posts)" in shown
    assert modal.state["min_sample"]["min_sample"]["value"] == "20"


@pytest.mark.parametrize(
    ("pick", "min_sample", "block", "message"),
    [
        (("gift-panic",), "10", "templates", "Pick at least two different templates."),
        (("gift-panic", "three-reasons"), "1", "min_sample", "at least 2 posts"),
    ],
)
def test_a_bad_experiment_is_refused_inline(
    bot: LocalBot, pick: tuple[str, ...], min_sample: str, block: str, message: str
) -> None:
    modal = open_new(bot)
    reply = bot.workspace.submit(BOB, modal.id, new_values(bot, hook_ids(bot, *pick), min_sample))
    assert list(reply.errors) == [block] and message in reply.errors[block]
    with session_scope(bot.settings.database_url) as session:
        assert list_experiments(session) == []


def test_every_mistake_in_a_new_experiment_is_marked_at_once(bot: LocalBot) -> None:
    modal = open_new(bot)
    values = new_values(bot, hook_ids(bot, "gift-panic"), "1")
    values["name"] = {"name": text("   ")}
    reply = bot.workspace.submit(BOB, modal.id, values)
    assert reply.errors == {
        "name": "Give the experiment a name.",
        "templates": "Pick at least two different templates.",
        "min_sample": "The minimum sample for views at 24 h is at least 2 posts.",
    }
    with session_scope(bot.settings.database_url) as session:
        assert list_experiments(session) == []


def test_an_experiment_starts_and_new_requests_for_the_channel_get_a_variant(bot: LocalBot) -> None:
    modal = open_new(bot)
    before = len(bot.standin.ephemerals(CHANNEL, BOB))
    reply = bot.workspace.submit(BOB, modal.id, new_values(bot, hook_ids(bot, "gift-panic", "three-reasons")))
    assert reply.status == 200 and not reply.errors
    said = bot.standin.wait_for(
        lambda: (
            len(bot.standin.ephemerals(CHANNEL, BOB)) > before
            and bot.standin.ephemerals(CHANNEL, BOB)[before]
        )
    )
    with session_scope(bot.settings.database_url) as session:
        (experiment,) = list_experiments(session)
        choice = template_for(session, AgentKind.TIKTOK_HOOK, fire_id(bot))
    assert said.text == (
        f"Started experiment {experiment.id}, *Gift hooks on Fire*, on Fire: 2 hooks, by views at 24 h. "
        f"`/content experiments {experiment.id}` shows the report."
    )
    assert (experiment.metric, experiment.allocation, experiment.min_sample) == (
        Metric.VIEWS_24H,
        Allocation.THOMPSON,
        10,
    )
    assert choice.variant_id in {v.id for v in experiment.variants}
    listed = all_text(bot.workspace.slash(BOB, "experiments").json()["blocks"])
    assert f"*{experiment.id}. Gift hooks on Fire* (running) on Fire" in listed
    assert "*A* Gift panic v1 · *B* Three reasons v1" in listed


def test_the_report_says_not_enough_data_until_the_minimum_sample(bot: LocalBot) -> None:
    experiment = start(bot, min_sample=5)
    measure(bot, experiment, "A", posts=5, views=1000, saves=40)
    measure(bot, experiment, "B", posts=2, views=1000, saves=80)
    shown = report(bot, BOB, experiment.id)
    text_shown = all_text(shown.blocks)
    assert "Not enough data: B has 2 of 5 posts." in text_shown
    assert (
        "*A* Gift panic v1: 5 posts · mean 4.02% (95% interval 3.49% to 4.58%) · probability to be best 0.0%\n"
        in text_shown
    )
    assert [e["text"]["text"] for e in buttons(shown)] == ["Stop"]  # nothing to promote


def buttons(message: Ephemeral) -> list[dict[str, Any]]:
    return [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


def test_a_report_with_no_posts_says_so_instead_of_showing_the_prior(bot: LocalBot) -> None:
    experiment = start(bot, min_sample=5)
    measure(bot, experiment, "B", posts=1, views=1000, saves=40)
    text_shown = all_text(report(bot, BOB, experiment.id).blocks)
    assert "*A* Gift panic v1: no posts yet\n*B* Three reasons v1: 1 post · mean" in text_shown
    assert "Not enough data: A has 0 of 5 posts, B has 1 of 5 posts." in text_shown

    empty = start_second(bot)
    text_shown = all_text(report(bot, BOB, empty.id).blocks)
    assert "*A* Gift pick v1: no posts yet\n*B* Save for later v1: no posts yet" in text_shown
    assert "mean" not in text_shown and "interval" not in text_shown and "probability" not in text_shown
    assert (
        "No posts yet: the report fills in as the variants' posts are measured "
        "(5 per variant before a winner is named)." in text_shown
    )


def start_second(bot: LocalBot) -> Experiment:
    """Captions on Water: a second experiment that no post has reached."""
    with session_scope(bot.settings.database_url) as session:
        captions = {t.spec.key: t.id for t in list_active(session, TemplateKind.CAPTION)}
        water = get_channel(session, "Water")
        assert water is not None
        return create_experiment(
            session,
            name="Captions",
            template_ids=[captions["gift-pick"], captions["save-for-later"]],
            metric=Metric.SAVE_RATE,
            allocation=Allocation.EVEN,
            min_sample=5,
            channel_id=water.id,
            created_by=ALICE,
        )


def test_a_reviewer_stops_a_running_experiment_and_it_is_recorded(bot: LocalBot) -> None:
    experiment = start(bot, min_sample=5)
    shown = report(bot, BOB, experiment.id)
    stop = next(e for e in buttons(shown) if e["text"]["text"] == "Stop")
    assert stop["style"] == "danger"
    assert stop["confirm"]["title"]["text"] == "Stop this experiment?"
    assert (stop["confirm"]["confirm"]["text"], stop["confirm"]["deny"]["text"]) == (
        "Stop it",
        "Keep it running",
    )
    assert "Only reviewers can promote or stop." in all_text(shown.blocks)

    before = len(bot.standin.ephemerals(CHANNEL, BOB))
    bot.workspace.click(BOB, action_id=stop["action_id"], message=(CHANNEL, shown.ts))
    refusal = bot.standin.wait_for(
        lambda: (
            len(bot.standin.ephemerals(CHANNEL, BOB)) > before
            and bot.standin.ephemerals(CHANNEL, BOB)[before]
        )
    )
    assert refusal.text == "Only reviewers may stop an experiment; ask <@U0ALICE>."
    with session_scope(bot.settings.database_url) as session:
        assert running_experiment(session, fire_id(bot)) is not None  # still running

    earlier = report(bot, ALICE, experiment.id)  # a report shown before the stop keeps its button
    for_alice = report(bot, ALICE, experiment.id)
    bot.workspace.click(ALICE, action_id=stop["action_id"], message=(CHANNEL, for_alice.ts))
    stopped = bot.standin.wait_for(
        lambda: next(
            (
                e
                for e in bot.standin.ephemerals(CHANNEL, ALICE)
                if e.ts == for_alice.ts and "Stopped" in e.text
            ),
            None,
        )
    )
    assert stopped.text == f"Stopped experiment {experiment.id}: new requests no longer get its variants."
    assert "Stopped by <@U0ALICE> on " in all_text(stopped.blocks)
    assert buttons(stopped) == []
    with session_scope(bot.settings.database_url) as session:
        assert running_experiment(session, fire_id(bot)) is None
        (ended,) = [e for e in list_experiments(session) if e.id == experiment.id]
    assert ended.ended_by == ALICE and ended.ended_at is not None

    bot.workspace.click(ALICE, action_id=stop["action_id"], message=(CHANNEL, earlier.ts))
    again = bot.standin.wait_for(
        lambda: next(
            (e for e in bot.standin.ephemerals(CHANNEL, ALICE) if "already ended" in e.text),
            None,
        )
    )
    assert again.text == f"Experiment {experiment.id} had already ended (stopped); nothing changed."
    with session_scope(bot.settings.database_url) as session:
        (still,) = [e for e in list_experiments(session) if e.id == experiment.id]
    assert still.ended_at == ended.ended_at  # the first stop stays on record


def promote_button(message: Ephemeral) -> dict[str, Any]:
    return next(e for b in message.blocks if b["type"] == "actions" for e in b["elements"])


def test_a_clear_winner_is_promoted_by_a_reviewer_only(bot: LocalBot) -> None:
    experiment = start(bot, min_sample=3)
    measure(bot, experiment, "A", posts=3, views=2000, saves=40)
    measure(bot, experiment, "B", posts=3, views=2000, saves=160)
    shown = report(bot, BOB, experiment.id)
    assert "B wins: 100.0% probability of the best save rate." in all_text(shown.blocks)
    button = promote_button(shown)
    assert button["text"]["text"] == "Promote B"

    before = len(bot.standin.ephemerals(CHANNEL, BOB))
    bot.workspace.click(BOB, action_id=button["action_id"], message=(CHANNEL, shown.ts))
    refusal = bot.standin.wait_for(
        lambda: (
            len(bot.standin.ephemerals(CHANNEL, BOB)) > before
            and bot.standin.ephemerals(CHANNEL, BOB)[before]
        )
    )
    assert refusal.text == "Only reviewers may promote a winner; ask <@U0ALICE>."
    with session_scope(bot.settings.database_url) as session:
        assert running_experiment(session, fire_id(bot)) is not None  # still running

    for_alice = report(bot, ALICE, experiment.id)
    bot.workspace.click(ALICE, action_id=button["action_id"], message=(CHANNEL, for_alice.ts))
    promoted = bot.standin.wait_for(
        lambda: next(
            (
                e
                for e in bot.standin.ephemerals(CHANNEL, ALICE)
                if e.ts == for_alice.ts and "Promoted" in e.text
            ),
            None,
        )
    )
    assert promoted.text == f"Promoted the winner of experiment {experiment.id}."
    text_shown = all_text(promoted.blocks)
    assert (
        "Promoted *B* Three reasons v1: it is the default hook for Fire; the experiment no longer allocates."
        in text_shown
    )
    assert not [b for b in promoted.blocks if b["type"] == "actions"]
    with session_scope(bot.settings.database_url) as session:
        assert running_experiment(session, fire_id(bot)) is None
        assert default_template_version(session, fire_id(bot), TemplateKind.HOOK) == (
            experiment.variant("B").template_version_id
        )


@pytest.mark.parametrize(
    ("words", "answer"),
    [
        ("experiments abc", "`abc` is not an experiment id: try `/content experiments` for the list."),
        ("experiments 999", "There is no experiment 999. `/content experiments` lists them."),
        ("experiments new now", "`experiments new` takes no arguments; I got `now` too."),
    ],
)
def test_a_bad_id_is_named(bot: LocalBot, words: str, answer: str) -> None:
    assert bot.workspace.slash(BOB, words).json()["text"] == answer


def test_the_review_card_names_the_template_and_the_experiment_variant(bot: LocalBot) -> None:
    experiment = start(bot, min_sample=5)
    # Ages in the brief, so that either variant's hook can be filled without a gap.
    reply = bot.workspace.slash(BOB, "generate hook Fire racing cars that zoom, ages 6-9", channel=CHANNEL)
    assert reply.status == 200
    bot.run_jobs()
    [card] = [m for m in bot.standin.messages("C0REVIEW") if m.text.startswith("#1 ·")]
    details = all_text(card.blocks)
    assert f"A/B test: experiment {experiment.id}, variant " in details
    # The offline writer filled the variant's hook and a caption: the variant's template is named first.
    assert "Templates: Gift panic (hook), " in details or "Templates: Three reasons (hook), " in details
