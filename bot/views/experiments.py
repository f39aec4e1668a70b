"""Experiments in Slack: the list, the new-experiment modal (built and read back), and the report."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    HeaderBlock,
    InputBlock,
    NumberInputElement,
    Option,
    OptionGroup,
    PlainTextInputElement,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.forms import Form
from core.channels import Channel
from core.experiments import (
    Allocation,
    Experiment,
    ExperimentReport,
    ExperimentStatus,
    Metric,
    Variant,
    VariantReport,
)
from core.library import Template
from core.templates import TemplateKind
from messages.blocks import Metadata, context, escape, section

CALLBACK_ID = "experiment_new"
NEW_ACTION = "experiment_new"
REPORT_ACTION = "experiment_report"
PROMOTE_ACTION = "experiment_promote"
STOP_ACTION = "experiment_stop"
EVERY_CHANNEL = "all"
DEFAULT_MIN_SAMPLE = 20
# A message holds 50 blocks; one per experiment, plus the header and buttons.
LIST_LIMIT = 40
MAX_OPTIONS = 100

_ALLOCATION_LABELS = {
    Allocation.EVEN: "Even (each variant in turn)",
    Allocation.THOMPSON: "Thompson sampling (better variants get more posts)",
}
_STATUS_EMOJI = {
    ExperimentStatus.RUNNING: ":large_green_circle:",
    ExperimentStatus.STOPPED: ":white_circle:",
    ExperimentStatus.PROMOTED: ":trophy:",
}


def variant_name(variant: Variant) -> str:
    return f"*{variant.label}* {escape(variant.template_name)} v{variant.version}"


def where(experiment: Experiment) -> str:
    return escape(experiment.channel_name) if experiment.channel_name else "every channel"


def summary_line(experiment: Experiment) -> str:
    variants = " · ".join(variant_name(v) for v in experiment.variants)
    return (
        f"{_STATUS_EMOJI[experiment.status]} *{experiment.id}. {escape(experiment.name)}* "
        f"({experiment.status.value}) on {where(experiment)}: {experiment.kind.label}s by "
        f"{experiment.metric.label}, {experiment.allocation.value} allocation, "
        f"{experiment.min_sample} posts per variant\n{variants}"
    )


def list_blocks(experiments: Sequence[Experiment]) -> list[Block]:
    blocks: list[Block] = [HeaderBlock(text=f"Experiments ({len(experiments)})")]
    if not experiments:
        blocks.append(section("No experiments yet."))
    for experiment in experiments[:LIST_LIMIT]:
        blocks.append(
            SectionBlock(
                text=summary_line(experiment),
                accessory=ButtonElement(text="Report", action_id=REPORT_ACTION, value=str(experiment.id)),
            )
        )
    if len(experiments) > LIST_LIMIT:
        blocks.append(
            context(f"and {len(experiments) - LIST_LIMIT} older; `/content experiments <id>` shows any.")
        )
    blocks.append(
        ActionsBlock(
            elements=[
                ButtonElement(text="New experiment", action_id=NEW_ACTION, value="new", style="primary")
            ]
        )
    )
    return blocks


def report_blocks(result: ExperimentReport) -> list[Block]:
    """Per variant: posts, mean, 95% interval, probability to be best; the verdict; Promote when due,
    Stop while it runs."""
    experiment, report = result.experiment, result.report
    rows = [_variant_line(experiment, row) for row in report.variants]
    blocks: list[Block] = [
        HeaderBlock(text=f"Experiment {experiment.id}: {experiment.name}"[:150]),
        context(
            f"{_status(experiment)} on {where(experiment)} · {experiment.kind.label}s · "
            f"{experiment.metric.label} · {experiment.allocation.value} allocation · "
            f"at least {experiment.min_sample} measured posts per variant"
        ),
        section("\n".join(rows)),
    ]
    if not any(row.posts for row in report.variants):
        # The estimates would be the prior alone; saying so beats showing it as if it were data.
        verdict = (
            f"No posts yet: the report fills in as the variants' posts are measured "
            f"({experiment.min_sample} per variant before a winner is named)"
        )
        icon = ":hourglass_flowing_sand:"
    else:
        verdict = escape(report.message[0].upper() + report.message[1:])
        icon = (
            ":hourglass_flowing_sand:"
            if not report.enough_data
            else (":trophy:" if report.winner else ":scales:")
        )
    blocks.append(section(f"{icon} {verdict}."))
    winner = experiment.winner
    if experiment.status is ExperimentStatus.PROMOTED and winner is not None:
        blocks.append(
            context(
                f"Promoted {variant_name(winner)}: it is the default {experiment.kind.label} "
                f"for {where(experiment)}; the experiment no longer allocates."
            )
        )
    elif experiment.status is ExperimentStatus.RUNNING:
        buttons = []
        if result.winner is not None:
            buttons.append(
                ButtonElement(
                    text=f"Promote {result.winner.label}",
                    action_id=PROMOTE_ACTION,
                    value=f"{experiment.id}:{result.winner.id}",
                    style="primary",
                )
            )
        buttons.append(_stop_button(experiment))
        blocks.append(ActionsBlock(elements=buttons))
        blocks.append(
            context(
                "Only reviewers can promote or stop. Promoting ends the experiment with a winner; "
                "stopping ends it without one."
            )
        )
    return blocks


def _status(experiment: Experiment) -> str:
    status = experiment.status.value.capitalize()
    if experiment.ended_by is None or experiment.ended_at is None:
        return status
    return f"{status} by <@{experiment.ended_by}> on {experiment.ended_at:%Y-%m-%d %H:%M} UTC"


def _stop_button(experiment: Experiment) -> ButtonElement:
    return ButtonElement(
        text="Stop",
        action_id=STOP_ACTION,
        value=str(experiment.id),
        style="danger",
        confirm=ConfirmObject(
            title="Stop this experiment?",
            text=(
                f"*{escape(experiment.name)}* stops giving new requests a variant, and no winner "
                "is promoted. Posts keep the variant they used. It cannot be restarted."
            ),
            confirm="Stop it",
            deny="Keep it running",
            style="danger",
        ),
    )


def _variant_line(experiment: Experiment, row: VariantReport) -> str:
    name = variant_name(experiment.variant(row.variant))
    posts = f"{row.posts} post{'s' if row.posts != 1 else ''}"
    if row.posts == 0:
        return f"{name}: no posts yet"
    if row.mean is None or row.low is None or row.high is None:
        return f"{name}: {posts} · too few posts to estimate"
    best = "—" if row.p_best is None else f"{row.p_best:.1%}"
    value = _format(experiment.metric)
    return (
        f"{name}: {posts} · mean {value(row.mean)} (95% interval {value(row.low)} to {value(row.high)})"
        f" · probability to be best {best}"
    )


def _format(metric: Metric) -> Any:
    if metric is Metric.SAVE_RATE:
        return lambda x: f"{x:.2%}"
    return lambda x: f"{x:,.0f} views"


# --- The modal --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewContext(Metadata):
    origin_channel: str = ""


@dataclass(frozen=True)
class NewExperiment:
    name: str
    channel_id: int | None
    template_ids: tuple[int, ...]
    metric: Metric
    allocation: Allocation
    min_sample: int


def new_view(channels: Sequence[Channel], templates: Sequence[Template], context_: NewContext) -> View:
    channel_options = [Option(value=EVERY_CHANNEL, text="Every channel")]
    channel_options += [Option(value=str(c.id), text=f"{c.name} ({c.element.label})") for c in channels]
    groups = []
    # A select holds at most 100 options; the library is a fraction of that, but Slack would refuse the modal.
    offered = templates[:MAX_OPTIONS]
    for kind in TemplateKind:
        options = [Option(value=str(t.id), text=t.spec.name[:75]) for t in offered if t.spec.kind is kind]
        if options:
            groups.append(OptionGroup(label=f"{kind.label.capitalize()}s", options=options))
    metric_options = [Option(value=m.value, text=m.label.capitalize()) for m in Metric]
    allocation_options = [Option(value=a.value, text=_ALLOCATION_LABELS[a]) for a in Allocation]
    blocks: list[Block] = [
        InputBlock(
            block_id="name",
            label="Name",
            element=PlainTextInputElement(action_id="name", max_length=120),
            hint="What is being tested, e.g. Gift hooks on Fire",
        ),
        InputBlock(
            block_id="channel",
            label="Channel",
            element=StaticSelectElement(
                action_id="channel", options=channel_options, initial_option=channel_options[0]
            ),
            optional=True,
            hint="Requests for this channel get a variant; one experiment runs per channel at a time.",
        ),
        InputBlock(
            block_id="templates",
            label="Templates (2 or more, one kind)",
            element=StaticMultiSelectElement(action_id="templates", option_groups=groups),
            hint="Each becomes a variant (A, B, ...) at its current version.",
        ),
        InputBlock(
            block_id="metric",
            label="Metric",
            element=StaticSelectElement(
                action_id="metric", options=metric_options, initial_option=metric_options[0]
            ),
        ),
        InputBlock(
            block_id="allocation",
            label="Allocation",
            element=StaticSelectElement(
                action_id="allocation", options=allocation_options, initial_option=allocation_options[0]
            ),
        ),
        InputBlock(
            block_id="min_sample",
            label="Minimum sample (measured posts per variant)",
            element=NumberInputElement(
                action_id="min_sample",
                is_decimal_allowed=False,
                initial_value=str(DEFAULT_MIN_SAMPLE),
                min_value="1",
            ),
            hint="No winner is named before every variant has this many measured posts.",
        ),
    ]
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        private_metadata=context_.dump(),
        title="New experiment",
        submit="Start",
        close="Cancel",
        blocks=blocks,
    )


def read_new(form: Form) -> NewExperiment:
    """What the person chose, as typed; create_experiment checks what it means (FieldErrors names the blocks)."""
    channel = form.selected("channel")
    return NewExperiment(
        name=form.text("name"),
        channel_id=int(channel) if channel and channel != EVERY_CHANNEL else None,
        template_ids=tuple(int(value) for value in form.selected_all("templates")),
        metric=Metric(form.selected("metric") or Metric.SAVE_RATE),
        allocation=Allocation(form.selected("allocation") or Allocation.EVEN),
        min_sample=_whole_number(form.text("min_sample")),
    )


def _whole_number(raw: str) -> int:
    """ASCII digits as a number (storage says what range it takes); 0 for anything else.

    A pasted run of thousands of digits is read as "very large" rather than handed to int().
    """
    if not re.fullmatch(r"[0-9]+", raw):
        return 0
    return int(raw) if len(raw) <= 12 else 10**12
