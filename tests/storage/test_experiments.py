"""Experiments in the database: creating, assigning variants to new content, reports, promotion."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace

import pytest
from sqlalchemy.orm import Session

from bot.generate import template_for
from contentbot.seed import seed
from core.agents import AgentKind
from core.content import Priority, TemplateChoice
from core.experiments import Allocation, Experiment, ExperimentStatus, Metric
from core.forms import FieldError
from core.library import Template
from core.templates import TemplateKind
from storage.channels import get_channel
from storage.contents import create_content, create_request
from storage.db import session_scope
from storage.experiments import (
    create_experiment,
    default_template_version,
    experiment_report,
    get_experiment,
    list_experiments,
    promote,
    running_experiment,
    stop_experiment,
)
from storage.library import list_active, retire_template, save_template
from storage.models import ContentRow, PostRow
from tests.measured_posts import publish_post


def hooks(session: Session, *keys: str) -> list[Template]:
    found = {t.spec.key: t for t in list_active(session, TemplateKind.HOOK)}
    return [found[key] for key in keys]


def channel_id(session: Session, name: str) -> int:
    channel = get_channel(session, name)
    assert channel is not None and channel.id is not None
    return channel.id


def start(session: Session, channel: str | None = "Fire", **options) -> Experiment:
    """An experiment of two hooks on `channel` (None: every channel), with `options` overriding."""
    if "template_ids" not in options:
        options["template_ids"] = [t.id for t in hooks(session, "gift-panic", "three-reasons")]
    settings = {
        "name": "Gift hooks",
        "metric": Metric.SAVE_RATE,
        "allocation": Allocation.EVEN,
        "min_sample": 3,
        "channel_id": channel_id(session, channel) if channel else None,
        "created_by": "U0ALICE",
    } | options
    return create_experiment(session, **settings)


def measured(
    session: Session, experiment: Experiment, label: str, posts: int, views: int, saves: int
) -> None:
    variant = experiment.variant(label)
    for _ in range(posts):
        publish_post(
            session,
            channel_id=experiment.channel_id or channel_id(session, "Fire"),
            template_version_id=variant.template_version_id,
            variant_id=variant.id,
            snapshots=[(30, views, saves)],
        )


@pytest.fixture
def seeded(database_url: str) -> str:
    seed(database_url)
    return database_url


def hook_for(session: Session, channel: int, rng: random.Random | None = None) -> TemplateChoice:
    """The template a hook request for `channel` that names none is written from."""
    return template_for(session, AgentKind.TIKTOK_HOOK, channel, rng)


def test_no_experiment_no_assignment(seeded: str) -> None:
    with session_scope(seeded) as session:
        assert hook_for(session, channel_id(session, "Fire")) == TemplateChoice(None, None)


def test_even_allocation_takes_turns_as_content_is_created(seeded: str) -> None:
    with session_scope(seeded) as session:
        experiment = start(session)
        fire = channel_id(session, "Fire")
        labels = []
        for _ in range(4):
            assignment = hook_for(session, fire)
            variant = next(v for v in experiment.variants if v.id == assignment.variant_id)
            assert assignment.template_version_id == variant.template_version_id
            labels.append(variant.label)
            create_content(
                session,
                agent="tiktok_hook",
                channel_id=fire,
                requester_id="U0BOB",
                status="queued",
                template_version_id=assignment.template_version_id,
                experiment_variant_id=assignment.variant_id,
            )
        other_channel = hook_for(session, channel_id(session, "Water"))
    assert labels == ["A", "B", "A", "B"]
    assert other_channel == TemplateChoice(None, None)


def test_thompson_sampling_favours_the_variant_that_does_better(seeded: str) -> None:
    with session_scope(seeded) as session:
        experiment = start(session, allocation=Allocation.THOMPSON)
        measured(session, experiment, "A", posts=10, views=1000, saves=20)
        measured(session, experiment, "B", posts=10, views=1000, saves=60)
        rng = random.Random(7)
        fire = channel_id(session, "Fire")
        picks = Counter(hook_for(session, fire, rng).variant_id for _ in range(100))
    assert picks[experiment.variant("B").id] > 90


def test_an_all_channels_experiment_covers_every_channel_and_blocks_a_second(seeded: str) -> None:
    with session_scope(seeded) as session:
        experiment = start(session, channel=None)
        assigned = {name: hook_for(session, channel_id(session, name)) for name in ("Air", "Earth")}
        with pytest.raises(FieldError, match="already runs on every channel") as refused:
            start(session, channel="Water", name="Another")
    assert all(a.variant_id in {v.id for v in experiment.variants} for a in assigned.values())
    assert refused.value.field == "channel"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": "  "}, "name", "Give the experiment a name."),
        ({"template_ids": "one"}, "templates", "Pick at least two different templates."),
        ({"template_ids": "mixed"}, "templates", "Pick templates of one kind"),
        ({"min_sample": 1, "metric": Metric.VIEWS_24H}, "min_sample", "at least 2 posts"),
    ],
)
def test_a_bad_experiment_is_refused_with_the_field_to_fix(
    seeded: str, change: dict, field: str, message: str
) -> None:
    with session_scope(seeded) as session:
        gift = hooks(session, "gift-panic")[0]
        caption = list_active(session, TemplateKind.CAPTION)[0]
        picks = {"one": [gift.id], "mixed": [gift.id, caption.id]}
        if "template_ids" in change:
            change = {"template_ids": picks[change["template_ids"]]}
        with pytest.raises(FieldError, match=message) as refused:
            start(session, **change)
        assert list_experiments(session) == []
    assert refused.value.field == field


def test_a_retired_template_cannot_be_tested(seeded: str) -> None:
    with session_scope(seeded) as session:
        gift, _ = hooks(session, "gift-panic", "three-reasons")
        retire_template(session, gift.id)
    with session_scope(seeded) as session, pytest.raises(FieldError, match="Retired templates"):
        start(session, template_ids=[gift.id, hooks(session, "three-reasons")[0].id])


def test_the_report_says_not_enough_data_until_the_minimum_sample(seeded: str) -> None:
    with session_scope(seeded) as session:
        experiment = start(session, min_sample=3)
        measured(session, experiment, "A", posts=3, views=1000, saves=30)
        measured(session, experiment, "B", posts=1, views=1000, saves=90)
        result = experiment_report(session, experiment.id)
    assert not result.report.enough_data and result.winner is None
    assert result.report.message == "not enough data: B has 1 of 3 posts"
    rows = {row.variant: row for row in result.report.variants}
    assert rows["A"].posts == 3 and rows["B"].posts == 1
    assert rows["A"].mean == pytest.approx(91 / 3002)


def test_a_clear_winner_is_promoted_and_becomes_the_channel_default(seeded: str) -> None:
    with session_scope(seeded) as session:
        experiment = start(session, metric=Metric.VIEWS_24H, min_sample=4)
        for views in (900, 1100, 1000, 950):
            publish_post(
                session,
                channel_id=experiment.channel_id,
                template_version_id=experiment.variant("A").template_version_id,
                variant_id=experiment.variant("A").id,
                snapshots=[(12, views // 2, 0), (26, views, 0)],
            )
        for views in (9000, 11000, 10000, 9500):
            publish_post(
                session,
                channel_id=experiment.channel_id,
                template_version_id=experiment.variant("B").template_version_id,
                variant_id=experiment.variant("B").id,
                snapshots=[(26, views, 0)],
            )
        result = experiment_report(session, experiment.id)
        winner = experiment.variant("B")
        with pytest.raises(FieldError, match="no winner to promote"):
            promote(session, experiment.id, experiment.variant("A").id, "U0ALICE")
        promoted = promote(session, experiment.id, winner.id, "U0ALICE")
        again = promote(session, experiment.id, winner.id, "U0BOB")
        fire = channel_id(session, "Fire")
        after = running_experiment(session, fire)
        chosen = hook_for(session, fire)
        default = default_template_version(session, fire, TemplateKind.HOOK)
        water_default = default_template_version(session, channel_id(session, "Water"), TemplateKind.HOOK)
    assert result.report.winner == "B" and result.winner == winner
    assert promoted.status is ExperimentStatus.PROMOTED and promoted.winner == winner
    assert promoted.ended_by == "U0ALICE" and promoted.ended_at is not None
    assert again == promoted
    assert after is None  # a promoted experiment allocates no more
    assert chosen == TemplateChoice(winner.template_version_id, None)  # the winner is the default
    assert default == winner.template_version_id
    assert water_default is None


def test_the_default_follows_the_winning_template_to_its_newest_version(seeded: str) -> None:
    with session_scope(seeded) as session:
        experiment = start(session, min_sample=1)
        measured(session, experiment, "A", posts=2, views=10_000, saves=100)
        measured(session, experiment, "B", posts=2, views=10_000, saves=900)
        promote(session, experiment.id, experiment.variant("B").id, "U0ALICE")
        reasons = hooks(session, "three-reasons")[0]
        edited = save_template(session, reasons.id, replace(reasons.spec, name="3 reasons"), "U0ALICE")
        fire = channel_id(session, "Fire")
        default = default_template_version(session, fire, TemplateKind.HOOK)
        retire_template(session, reasons.id)
        after_retiring = default_template_version(session, fire, TemplateKind.HOOK)
    assert default == edited.template.version_id != experiment.variant("B").template_version_id
    assert after_retiring is None


def test_posts_record_their_variant_and_keep_their_version_after_an_edit(seeded: str) -> None:
    with session_scope(seeded) as session:
        experiment = start(session)
        variant = experiment.variant("A")
        post_id = publish_post(
            session,
            channel_id=experiment.channel_id,
            template_version_id=variant.template_version_id,
            variant_id=variant.id,
        )
        gift = hooks(session, "gift-panic")[0]
        save_template(session, gift.id, replace(gift.spec, body="Age {{ age }}?"), "U0ALICE")
        post = session.get_one(PostRow, post_id)
        still = get_experiment(session, experiment.id)
    assert (post.template_version_id, post.experiment_variant_id) == (variant.template_version_id, variant.id)
    assert still is not None and still.variant("A").template_version_id == variant.template_version_id


def test_stopping_ends_allocation_without_a_winner(seeded: str) -> None:
    with session_scope(seeded) as session:
        experiment = start(session)
        stopped = stop_experiment(session, experiment.id, "U0ALICE")
        again = stop_experiment(session, experiment.id, "U0BOB")
        assert running_experiment(session, channel_id(session, "Fire")) is None
        # The channel is free for the next experiment.
        start(session, name="Next")
    assert stopped.status is ExperimentStatus.STOPPED and stopped.winner is None
    assert stopped.ended_by == "U0ALICE" and stopped.ended_at is not None
    assert again == stopped  # the first stop stays on record


def test_requests_get_a_variant_only_from_agents_that_use_that_kind_of_template(seeded: str) -> None:
    def request(session: Session, agent: AgentKind) -> tuple[int | None, int | None]:
        fire = channel_id(session, "Fire")
        choice = template_for(session, agent, fire)
        content = create_request(
            session,
            agent=agent,
            channel_id=fire,
            brief="race day",
            product=None,
            priority=Priority.NORMAL,
            requester_id="U0BOB",
            template_version_id=choice.template_version_id,
            experiment_variant_id=choice.variant_id,
        )
        row = session.get_one(ContentRow, content.id)
        return row.template_version_id, row.experiment_variant_id

    with session_scope(seeded) as session:
        experiment = start(session)  # hooks
        hook_version, hook_variant = request(session, AgentKind.TIKTOK_HOOK)
        blog = request(session, AgentKind.BLOG_POST)
    by_id = {v.id: v for v in experiment.variants}
    assert hook_variant in by_id
    assert hook_version == by_id[hook_variant].template_version_id
    assert blog == (None, None)  # a blog post has no hook to test
