"""Experiments: A/B tests of templates, which variant a new content request gets, and the report.

An experiment compares 2+ versions of templates of one kind (its variants A, B, ...) on one channel,
or on every channel when it names none. While it runs, `assign_variant` gives each new content
request for a covered channel a variant by the experiment's allocation; the content item and its
posts record the variant and template version, and the report reads the posts' metric snapshots.

At most one experiment runs on a channel at a time (an all-channels experiment counts for every
channel): a content item records one variant, so two experiments could not both claim its posts.

Promotion ends the experiment (status `promoted`, winner recorded): it stops allocating, and the
winner's template becomes the default of its kind for the channels the experiment covered: see
`default_template_version`. Stopping ends it without a winner. Either way the experiment records
who ended it and when.
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.experiments import (
    Allocation,
    Metric,
    Observation,
    Report,
    choose_variant,
    observations_from_snapshots,
    report,
)
from core.templates import TemplateKind
from storage.library import TemplateStatus, current_version_ids, post_measurements
from storage.models import (
    ChannelRow,
    ContentRow,
    ExperimentRow,
    ExperimentVariantRow,
    PostRow,
    TemplateRow,
    TemplateVersionRow,
    utcnow,
)

MAX_VARIANTS = 6
# Content items in these states will never be posted, so they do not count as a variant's share.
_DEAD_CONTENT = ("rejected", "failed")


class ExperimentStatus(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"
    PROMOTED = "promoted"


@dataclass(frozen=True)
class Assignment:
    experiment_id: int
    variant_id: int
    template_version_id: int


@dataclass(frozen=True)
class Variant:
    id: int
    label: str
    template_version_id: int
    template_id: int
    template_name: str
    version: int


@dataclass(frozen=True)
class Experiment:
    id: int
    name: str
    channel_id: int | None
    channel_name: str | None  # None: every channel
    kind: TemplateKind
    metric: Metric
    allocation: Allocation
    min_sample: int
    status: ExperimentStatus
    winner_variant_id: int | None
    created_by: str
    created_at: datetime
    variants: tuple[Variant, ...]
    ended_by: str | None = None  # who stopped or promoted it
    ended_at: datetime | None = None

    @property
    def winner(self) -> Variant | None:
        return next((v for v in self.variants if v.id == self.winner_variant_id), None)

    def variant(self, label: str) -> Variant:
        return next(v for v in self.variants if v.label == label)


@dataclass(frozen=True)
class ExperimentReport:
    experiment: Experiment
    report: Report

    @property
    def winner(self) -> Variant | None:
        """The variant the statistics name the winner, if any (promoted or not)."""
        return self.experiment.variant(self.report.winner) if self.report.winner else None


class ExperimentError(ValueError):
    """An experiment cannot be created or changed; `field` names the input a person should fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ExperimentNotFound(LookupError):
    pass


# --- The generation hook ----------------------------------------------------------------------------


def assign_variant(
    session: Session,
    channel_id: int,
    rng: random.Random | None = None,
    kinds: Sequence[TemplateKind] | None = None,
) -> Assignment | None:
    """The variant a new content request for `channel_id` should use, or None if no experiment runs there
    (or the one that runs tests a kind of template outside `kinds`, which the requesting agent cannot use).

    Call it when the content item is created and store both ids on it (contents.experiment_variant_id
    and template_version_id) in the same transaction: even allocation counts the items already
    assigned, and Thompson sampling draws from what the variants' posts have shown so far.
    """
    row = _running_on(session, channel_id)
    if row is None:
        return None
    experiment = _experiment(session, row)
    if kinds is not None and experiment.kind not in kinds:
        return None
    labels = [v.label for v in experiment.variants]
    by_id = {v.id: v.label for v in experiment.variants}
    assigned = dict(
        session.execute(
            select(ContentRow.experiment_variant_id, func.count(ContentRow.id))
            .where(ContentRow.experiment_variant_id.in_(by_id), ContentRow.status.not_in(_DEAD_CONTENT))
            .group_by(ContentRow.experiment_variant_id)
        ).all()
    )
    label = choose_variant(
        experiment.allocation,
        labels,
        _observations(session, experiment),
        experiment.metric,
        rng or random.Random(),
        counts={by_id[variant_id]: count for variant_id, count in assigned.items()},
    )
    chosen = experiment.variant(label)
    return Assignment(experiment.id, chosen.id, chosen.template_version_id)


def default_template_version(session: Session, channel_id: int, kind: TemplateKind) -> int | None:
    """The current version of the template that won the latest promoted experiment of `kind` covering
    the channel, unless that template was retired since; None when no promotion applies.

    An experiment on this very channel outranks an all-channels one.
    """
    query = (
        select(TemplateVersionRow.template_id)
        .join(ExperimentVariantRow, ExperimentVariantRow.template_version_id == TemplateVersionRow.id)
        .join(ExperimentRow, ExperimentRow.winner_variant_id == ExperimentVariantRow.id)
        .join(TemplateRow, TemplateRow.id == TemplateVersionRow.template_id)
        .where(
            ExperimentRow.status == ExperimentStatus.PROMOTED.value,
            or_(ExperimentRow.channel_id == channel_id, ExperimentRow.channel_id.is_(None)),
            TemplateRow.kind == kind.value,
            TemplateRow.status == TemplateStatus.ACTIVE.value,
        )
        .order_by(ExperimentRow.channel_id.is_(None), ExperimentRow.id.desc())
        .limit(1)
    )
    template_id = session.scalar(query)
    if template_id is None:
        return None
    return current_version_ids(session, [template_id])[template_id]


# --- Creating and reading ---------------------------------------------------------------------------


# Far beyond what a channel posts in years, and inside the database's integer.
MAX_SAMPLE = 100_000


def create_experiment(
    session: Session,
    *,
    name: str,
    template_ids: Sequence[int],
    metric: Metric,
    allocation: Allocation,
    min_sample: int,
    channel_id: int | None,
    created_by: str,
) -> Experiment:
    """A running experiment on the current versions of `template_ids` (variants A, B, ... in that order).

    Raises ExperimentError naming the field to fix; nothing is written then.
    """
    name = name.strip()
    if not name:
        raise ExperimentError("name", "Give the experiment a name.")
    if len(set(template_ids)) != len(template_ids) or len(template_ids) < 2:
        raise ExperimentError("templates", "Pick at least two different templates.")
    if len(template_ids) > MAX_VARIANTS:
        raise ExperimentError(
            "templates", f"Pick at most {MAX_VARIANTS} templates: each variant needs its share of posts."
        )
    floor = 2 if metric is Metric.VIEWS_24H else 1
    if min_sample < floor:
        raise ExperimentError(
            "min_sample", f"The minimum sample for {metric.label} is at least {floor} posts."
        )
    if min_sample > MAX_SAMPLE:
        raise ExperimentError("min_sample", f"The minimum sample is at most {MAX_SAMPLE:,} posts.")
    templates = {
        row.id: row for row in session.scalars(select(TemplateRow).where(TemplateRow.id.in_(template_ids)))
    }
    missing = [str(t) for t in template_ids if t not in templates]
    if missing:
        raise ExperimentError("templates", f"No template {', '.join(missing)}.")
    retired = [row.name for row in templates.values() if row.status != TemplateStatus.ACTIVE.value]
    if retired:
        raise ExperimentError("templates", f"Retired templates cannot be tested: {', '.join(retired)}.")
    kinds = {row.kind for row in templates.values()}
    if len(kinds) > 1:
        raise ExperimentError(
            "templates",
            f"Pick templates of one kind (a hook against a hook); these are {', '.join(sorted(kinds))}.",
        )
    if channel_id is not None and session.get(ChannelRow, channel_id) is None:
        raise ExperimentError("channel", f"No channel {channel_id}.")
    clash = _running_overlap(session, channel_id)
    if clash is not None:
        where = "every channel" if clash.channel_id is None else "that channel"
        raise ExperimentError(
            "channel",
            f"Experiment {clash.id} ({clash.name}) already runs on {where}; stop or promote it first: "
            "a post can belong to one experiment only.",
        )
    row = ExperimentRow(
        name=name[:120],
        channel_id=channel_id,
        metric=metric.value,
        allocation=allocation.value,
        min_sample=min_sample,
        status=ExperimentStatus.RUNNING.value,
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    versions = current_version_ids(session, template_ids)
    for label, template_id in zip(string.ascii_uppercase, template_ids, strict=False):
        session.add(
            ExperimentVariantRow(experiment_id=row.id, label=label, template_version_id=versions[template_id])
        )
    session.flush()
    return _experiment(session, row)


def get_experiment(session: Session, experiment_id: int) -> Experiment | None:
    row = session.get(ExperimentRow, experiment_id)
    return _experiment(session, row) if row else None


def list_experiments(session: Session) -> list[Experiment]:
    """Running experiments first, then the rest; newest first within each."""
    rows = session.scalars(
        select(ExperimentRow).order_by(
            ExperimentRow.status != ExperimentStatus.RUNNING.value, ExperimentRow.id.desc()
        )
    )
    return [_experiment(session, row) for row in rows]


def experiment_report(
    session: Session, experiment_id: int, rng: random.Random | None = None
) -> ExperimentReport:
    """Per variant: posts measured, mean, 95% interval, probability to be best; the winner if any."""
    experiment = _require(session, experiment_id)
    result = report(
        experiment.metric,
        _observations(session, experiment),
        [v.label for v in experiment.variants],
        min_sample=experiment.min_sample,
        rng=rng,
    )
    return ExperimentReport(experiment, result)


# --- Ending -----------------------------------------------------------------------------------------


def promote(session: Session, experiment_id: int, variant_id: int, user_id: str) -> Experiment:
    """Make `variant_id` the winner, if the report names it; see the module docstring for what follows.

    Promoting the same winner twice is harmless; anything else that cannot be done raises ExperimentError.
    """
    row = session.get(ExperimentRow, experiment_id)
    if row is None:
        raise ExperimentNotFound(f"There is no experiment {experiment_id}.")
    if row.status == ExperimentStatus.PROMOTED.value and row.winner_variant_id == variant_id:
        return _experiment(session, row)
    if row.status != ExperimentStatus.RUNNING.value:
        raise ExperimentError(
            "status", f"Experiment {row.id} is {row.status}; only a running one can be promoted."
        )
    current = experiment_report(session, experiment_id)
    winner = current.winner
    if winner is None or winner.id != variant_id:
        raise ExperimentError("winner", f"There is no winner to promote: {current.report.message}.")
    row.status = ExperimentStatus.PROMOTED.value
    row.winner_variant_id = variant_id
    row.ended_by, row.ended_at = user_id, utcnow()
    session.flush()
    return _experiment(session, row)


def stop_experiment(session: Session, experiment_id: int, user_id: str) -> Experiment:
    """Stop allocating without a winner; stopping an ended experiment changes nothing."""
    row = session.get(ExperimentRow, experiment_id)
    if row is None:
        raise ExperimentNotFound(f"There is no experiment {experiment_id}.")
    if row.status == ExperimentStatus.RUNNING.value:
        row.status = ExperimentStatus.STOPPED.value
        row.ended_by, row.ended_at = user_id, utcnow()
        session.flush()
    return _experiment(session, row)


# --- Internals --------------------------------------------------------------------------------------


def _running_on(session: Session, channel_id: int) -> ExperimentRow | None:
    return session.scalar(
        select(ExperimentRow)
        .where(
            ExperimentRow.status == ExperimentStatus.RUNNING.value,
            or_(ExperimentRow.channel_id == channel_id, ExperimentRow.channel_id.is_(None)),
        )
        .order_by(ExperimentRow.channel_id.is_(None), ExperimentRow.id)
        .limit(1)
    )


def _running_overlap(session: Session, channel_id: int | None) -> ExperimentRow | None:
    query = select(ExperimentRow).where(ExperimentRow.status == ExperimentStatus.RUNNING.value)
    if channel_id is not None:
        query = query.where(or_(ExperimentRow.channel_id == channel_id, ExperimentRow.channel_id.is_(None)))
    return session.scalar(query.order_by(ExperimentRow.id).limit(1))


def _observations(session: Session, experiment: Experiment) -> list[Observation]:
    snapshots = post_measurements(
        session,
        experiment.metric,
        ExperimentVariantRow.label,
        ExperimentVariantRow.experiment_id == experiment.id,
        joins=[(ExperimentVariantRow, PostRow.experiment_variant_id == ExperimentVariantRow.id)],
    )
    return observations_from_snapshots(experiment.metric, snapshots)


def _require(session: Session, experiment_id: int) -> Experiment:
    experiment = get_experiment(session, experiment_id)
    if experiment is None:
        raise ExperimentNotFound(f"There is no experiment {experiment_id}.")
    return experiment


def _experiment(session: Session, row: ExperimentRow) -> Experiment:
    variants = session.execute(
        select(ExperimentVariantRow, TemplateVersionRow.number, TemplateRow)
        .join(TemplateVersionRow, TemplateVersionRow.id == ExperimentVariantRow.template_version_id)
        .join(TemplateRow, TemplateRow.id == TemplateVersionRow.template_id)
        .where(ExperimentVariantRow.experiment_id == row.id)
        .order_by(ExperimentVariantRow.label)
    ).all()
    channel = session.get(ChannelRow, row.channel_id) if row.channel_id is not None else None
    return Experiment(
        id=row.id,
        name=row.name,
        channel_id=row.channel_id,
        channel_name=channel.name if channel else None,
        kind=TemplateKind(variants[0][2].kind),
        metric=Metric(row.metric),
        allocation=Allocation(row.allocation),
        min_sample=row.min_sample,
        status=ExperimentStatus(row.status),
        winner_variant_id=row.winner_variant_id,
        created_by=row.created_by,
        created_at=row.created_at,
        ended_by=row.ended_by,
        ended_at=row.ended_at,
        variants=tuple(
            Variant(
                id=variant.id,
                label=variant.label,
                template_version_id=variant.template_version_id,
                template_id=template.id,
                template_name=template.name,
                version=number,
            )
            for variant, number, template in variants
        ),
    )
