"""Which template a new request that names none is written from: experiment variant, default, or none."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from core.agents import AgentKind
from core.content import TemplateChoice, choose_template
from core.experiments import (
    Allocation,
    Experiment,
    ExperimentStatus,
    Metric,
    Observation,
    Variant,
    check_new,
    check_overlap,
    check_promotion,
)
from core.forms import FieldError
from core.templates import TemplateKind


def hooks_experiment(allocation: Allocation = Allocation.EVEN, **changes: object) -> Experiment:
    fields: dict[str, object] = {
        "id": 7,
        "name": "Gift hooks",
        "channel_id": 3,
        "channel_name": "Fire",
        "kind": TemplateKind.HOOK,
        "metric": Metric.SAVE_RATE,
        "allocation": allocation,
        "min_sample": 3,
        "status": ExperimentStatus.RUNNING,
        "winner_variant_id": None,
        "created_by": "U0ALICE",
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "variants": (Variant(11, "A", 101, 1, "Gift panic", 1), Variant(12, "B", 102, 2, "Three reasons", 1)),
    } | changes
    return Experiment(**fields)  # type: ignore[arg-type]


def choose(agent: AgentKind, running: Experiment | None, **inputs: object) -> TemplateChoice:
    return choose_template(
        agent,
        running,
        inputs.get("observations", ()),  # type: ignore[arg-type]
        inputs.get("assigned", {}),  # type: ignore[arg-type]
        inputs.get("defaults", {}),  # type: ignore[arg-type]
        random.Random(1),
    )


def test_a_running_experiment_assigns_the_variant_with_fewest_live_items() -> None:
    assert choose(AgentKind.TIKTOK_HOOK, hooks_experiment(), assigned={"A": 2, "B": 1}) == TemplateChoice(
        102, 12
    )
    # An experiment outranks the channel's default.
    chosen = choose(AgentKind.TIKTOK_HOOK, hooks_experiment(), defaults={TemplateKind.HOOK: 500})
    assert chosen == TemplateChoice(101, 11)


def test_thompson_follows_the_observations() -> None:
    observations = [Observation("A", 1000, 10)] * 10 + [Observation("B", 1000, 90)] * 10
    chosen = choose(AgentKind.TIKTOK_SCRIPT, hooks_experiment(Allocation.THOMPSON), observations=observations)
    assert chosen.variant_id == 12


def test_an_experiment_of_a_kind_the_agent_cannot_use_leaves_the_defaults() -> None:
    defaults = {TemplateKind.BLOG_OUTLINE: 400}
    assert choose(AgentKind.BLOG_POST, hooks_experiment(), defaults=defaults) == TemplateChoice(400, None)
    assert choose(AgentKind.BLOG_POST, hooks_experiment()) == TemplateChoice(None, None)


def test_the_default_of_the_agents_best_fitting_kind_wins() -> None:
    defaults = {TemplateKind.HOOK: 100, TemplateKind.CAPTION: 300}
    assert choose(AgentKind.TIKTOK_HOOK, None, defaults=defaults) == TemplateChoice(100, None)
    assert choose(AgentKind.SOCIAL_POST, None, defaults=defaults) == TemplateChoice(300, None)
    assert choose(AgentKind.TIKTOK_SCRIPT, None, defaults=defaults) == TemplateChoice(100, None)


@pytest.mark.parametrize(
    ("name", "ids", "metric", "min_sample", "field"),
    [
        (" ", [1, 2], Metric.SAVE_RATE, 5, "name"),
        ("x", [1, 1], Metric.SAVE_RATE, 5, "templates"),
        ("x", list(range(7)), Metric.SAVE_RATE, 5, "templates"),
        ("x", [1, 2], Metric.VIEWS_24H, 1, "min_sample"),
    ],
)
def test_a_new_experiment_is_checked_field_by_field(
    name: str, ids: list[int], metric: Metric, min_sample: int, field: str
) -> None:
    with pytest.raises(FieldError) as refused:
        check_new(name, ids, metric, min_sample)
    assert refused.value.field == field


def test_a_new_experiment_keeps_a_trimmed_name() -> None:
    assert check_new("  Gift hooks ", [1, 2], Metric.SAVE_RATE, 1) == "Gift hooks"


def test_one_experiment_per_channel_and_promotion_only_while_running() -> None:
    check_overlap(None)
    with pytest.raises(FieldError, match="already runs on every channel"):
        check_overlap(hooks_experiment(channel_id=None))
    assert check_promotion(hooks_experiment(), 12) is False
    promoted = hooks_experiment(status=ExperimentStatus.PROMOTED, winner_variant_id=12)
    assert check_promotion(promoted, 12) is True  # again: nothing to do
    with pytest.raises(FieldError, match="is promoted; only a running one"):
        check_promotion(promoted, 11)
