"""Experiments in the database: creating, reading, reporting and ending them, and what a new content
request's template choice reads (the running experiment, its variants' shares and posts' results).

The rules (what a valid experiment is, one per channel at a time, when a winner may be promoted, which
variant a request gets) are core.experiments'; these functions read rows, ask core, and write.

Promotion ends the experiment (status `promoted`, winner recorded): it stops allocating, and the
winner's template becomes the default of its kind for the channels the experiment covered: see
`default_template_version`. Stopping ends it without a winner. Either way the experiment records
who ended it and when.
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.content import NEVER_POSTED
from core.experiments import (
    Allocation,
    Experiment,
    ExperimentReport,
    ExperimentStatus,
    Metric,
    Observation,
    Variant,
    check_new,
    check_overlap,
    check_promotion,
    check_templates,
    check_winner,
    observations_from_snapshots,
    report,
)
from core.forms import FieldError
from core.library import TemplateStatus
from core.templates import TemplateKind
from storage.library import current_version_ids, get_templates
from storage.metrics import post_measurements
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


class ExperimentNotFound(LookupError):
    pass


# --- What a new content request's template choice reads (core.content.choose_template decides) --------


def running_experiment(session: Session, channel_id: int) -> Experiment | None:
    """The experiment allocating on the channel, if any: one on this very channel, else an all-channels one."""
    row = session.scalar(
        select(ExperimentRow)
        .where(
            ExperimentRow.status == ExperimentStatus.RUNNING.value,
            or_(ExperimentRow.channel_id == channel_id, ExperimentRow.channel_id.is_(None)),
        )
        .order_by(ExperimentRow.channel_id.is_(None), ExperimentRow.id)
        .limit(1)
    )
    return _experiment(session, row) if row else None


def assigned_contents(session: Session, experiment: Experiment) -> dict[str, int]:
    """Per variant label, the content items assigned to it that may still be posted."""
    labels = {v.id: v.label for v in experiment.variants}
    query = (
        select(ContentRow.experiment_variant_id, func.count(ContentRow.id))
        .where(
            ContentRow.experiment_variant_id.in_(labels),
            ContentRow.status.not_in([s.value for s in NEVER_POSTED]),
        )
        .group_by(ContentRow.experiment_variant_id)
    )
    return {
        labels[variant_id]: count for variant_id, count in session.execute(query) if variant_id is not None
    }


def experiment_observations(session: Session, experiment: Experiment) -> list[Observation]:
    """One observation per measured post of the experiment, as its metric reads it."""
    snapshots = post_measurements(
        session,
        experiment.metric,
        ExperimentVariantRow.label,
        ExperimentVariantRow.experiment_id == experiment.id,
        joins=[(ExperimentVariantRow, PostRow.experiment_variant_id == ExperimentVariantRow.id)],
    )
    return observations_from_snapshots(experiment.metric, snapshots)


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


def default_template_versions(
    session: Session, channel_id: int, kinds: Sequence[TemplateKind]
) -> dict[TemplateKind, int]:
    """The channel's default version of each of `kinds` that has one (see default_template_version)."""
    found = {kind: default_template_version(session, channel_id, kind) for kind in kinds}
    return {kind: version for kind, version in found.items() if version is not None}


# --- Creating and reading ---------------------------------------------------------------------------


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

    Raises FieldError naming the field to fix; nothing is written then.
    """
    name = check_new(name, template_ids, metric, min_sample)
    check_templates(template_ids, get_templates(session, template_ids))
    if channel_id is not None and session.get(ChannelRow, channel_id) is None:
        raise FieldError("channel", f"No channel {channel_id}.")
    clash = _running_overlap(session, channel_id)
    check_overlap(_experiment(session, clash) if clash else None)
    row = ExperimentRow(
        name=name,
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


def content_variant(session: Session, content_id: int) -> str | None:
    """`experiment 3, variant B` for content an experiment assigned a variant to, else None."""
    found = session.execute(
        select(ExperimentVariantRow.experiment_id, ExperimentVariantRow.label)
        .join(ContentRow, ContentRow.experiment_variant_id == ExperimentVariantRow.id)
        .where(ContentRow.id == content_id)
    ).first()
    return f"experiment {found[0]}, variant {found[1]}" if found else None


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
        experiment_observations(session, experiment),
        [v.label for v in experiment.variants],
        min_sample=experiment.min_sample,
        rng=rng,
    )
    return ExperimentReport(experiment, result)


# --- Ending -----------------------------------------------------------------------------------------


def promote(session: Session, experiment_id: int, variant_id: int, user_id: str) -> Experiment:
    """Make `variant_id` the winner, if the report names it; see the module docstring for what follows.

    Promoting the same winner twice is harmless; anything else that cannot be done raises FieldError.
    """
    row = session.get(ExperimentRow, experiment_id)
    if row is None:
        raise ExperimentNotFound(f"There is no experiment {experiment_id}.")
    if check_promotion(_experiment(session, row), variant_id):
        return _experiment(session, row)
    check_winner(experiment_report(session, experiment_id), variant_id)
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


def _running_overlap(session: Session, channel_id: int | None) -> ExperimentRow | None:
    query = select(ExperimentRow).where(ExperimentRow.status == ExperimentStatus.RUNNING.value)
    if channel_id is not None:
        query = query.where(or_(ExperimentRow.channel_id == channel_id, ExperimentRow.channel_id.is_(None)))
    return session.scalar(query.order_by(ExperimentRow.id).limit(1))


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
