"""A/B tests of templates: which variant (template version) makes better posts.

An experiment posts each variant several times, measures one metric per post, and reports, for every
variant, an estimate with a 95% interval and the probability that it is the best. A winner is declared
only when every variant has at least `min_sample` posts and one variant is best with probability of at
least 95%.

Models (Bayesian, so "probability to be best" means what it says given the model):

* SAVE_RATE: saves and views are pooled per variant (so a post with many views counts for more) in a
  Beta-Binomial model with a uniform Beta(1, 1) prior: the save rate's posterior is
  Beta(1 + saves, 1 + views - saves). The interval is its equal-tailed 95% interval.
* VIEWS_24H: view counts are heavy-tailed (one viral post would swamp a plain average), so each post's
  log1p(views) is modelled as normal with unknown mean and spread, with the usual flat prior: the mean's
  posterior is a Student t with n - 1 degrees of freedom around the sample mean. Mean and interval are
  reported back-transformed with expm1, i.e. the views of a *typical* post (a geometric mean), not the
  arithmetic mean. This model needs 2 posts per variant, so min_sample must be at least 2.

Caveat for the people reading reports: with two equally good variants, a single look at the report
declares a (false) winner about 10% of the time (each variant reaches 95% about 5% of the time), and
checking again after every new post raises that further. Pick `min_sample` up front and act on the
report once it is met.

p_best is estimated by Monte Carlo (`draws` samples, standard error about 0.2 percentage points at 95%
with 10,000 draws). Without an `rng`, a fixed seed is used so the same data always gives the same report:
otherwise a winner could appear and vanish between two identical Slack commands.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.forms import Errors, FieldError
from core.library import Template, TemplateStatus
from core.statistics import BetaPosterior, Log1pPosterior, Posterior, StudentTPosterior, p_best
from core.templates import TemplateKind


class Metric(StrEnum):
    SAVE_RATE = "save_rate"
    VIEWS_24H = "views_24h"

    @property
    def label(self) -> str:
        return {"save_rate": "save rate", "views_24h": "views at 24 h"}[self.value]


class Allocation(StrEnum):
    EVEN = "even"
    THOMPSON = "thompson"


@dataclass(frozen=True)
class Observation:
    """One post's result; for VIEWS_24H only `views` counts."""

    variant: str
    views: int
    saves: int = 0

    def __post_init__(self) -> None:
        if self.views < 0 or not 0 <= self.saves <= self.views:
            raise ValueError(f"need 0 <= saves <= views, got views={self.views} saves={self.saves}")


@dataclass(frozen=True)
class VariantSnapshot:
    """A post's counters as polled `age_hours` after it was published, tagged with its variant."""

    post_id: str
    variant: str
    age_hours: float
    views: int
    saves: int


@dataclass(frozen=True)
class VariantReport:
    variant: str
    posts: int
    mean: float | None  # None until the model can estimate it (VIEWS_24H with fewer than 2 posts)
    low: float | None
    high: float | None
    p_best: float | None


@dataclass(frozen=True)
class Report:
    metric: Metric
    variants: tuple[VariantReport, ...]
    enough_data: bool
    winner: str | None
    message: str


WIN_PROBABILITY = 0.95
INTERVAL = 0.95
VIEWS_AT_HOURS = 24.0
_DEFAULT_SEED = 0
_MIN_POSTS_FOR_VIEWS = 2
# Each variant needs its share of posts: more variants, longer until any has enough.
MAX_VARIANTS = 6
# Far beyond what a channel posts in years, and inside the database's integer.
MAX_SAMPLE = 100_000


class ExperimentStatus(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"
    PROMOTED = "promoted"


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


def observations_from_snapshots(metric: Metric, snapshots: Iterable[VariantSnapshot]) -> list[Observation]:
    """One observation per post: its latest snapshot for SAVE_RATE, its 24 h snapshot for VIEWS_24H.

    The 24 h snapshot is the earliest one taken at 24 h or later; posts without one are still too young
    and are left out, since their partial view counts would drag their variant down.
    """
    chosen: dict[str, VariantSnapshot] = {}
    if metric is Metric.SAVE_RATE:
        for snap in snapshots:
            current = chosen.get(snap.post_id)
            if current is None or snap.age_hours > current.age_hours:
                chosen[snap.post_id] = snap
    else:
        for snap in snapshots:
            if snap.age_hours < VIEWS_AT_HOURS:
                continue
            current = chosen.get(snap.post_id)
            if current is None or snap.age_hours < current.age_hours:
                chosen[snap.post_id] = snap
    return [Observation(s.variant, s.views, s.saves) for s in chosen.values()]


def report(
    metric: Metric,
    observations: Iterable[Observation],
    variants: Sequence[str],
    *,
    min_sample: int,
    rng: random.Random | None = None,
    draws: int = 10_000,
) -> Report:
    """Estimates, intervals and probability to be best for each variant, and the winner if there is one."""
    _check_setup(metric, variants, min_sample)
    if draws < 1:
        raise ValueError("draws must be at least 1")
    rng = rng if rng is not None else random.Random(_DEFAULT_SEED)
    groups = _group(observations, variants)
    posteriors = {v: _posterior(metric, groups[v]) for v in variants}
    p_best = _p_best(posteriors, rng, draws)
    rows = tuple(_variant_report(v, len(groups[v]), posteriors[v], p_best) for v in variants)

    short = [row for row in rows if row.posts < min_sample]
    if short:
        detail = ", ".join(f"{row.variant} has {row.posts} of {min_sample} posts" for row in short)
        return Report(metric, rows, enough_data=False, winner=None, message=f"not enough data: {detail}")
    leader = max(rows, key=lambda row: row.p_best or 0.0)
    assert leader.p_best is not None  # every posterior exists once min_sample (>= 2 for views) is met
    if leader.p_best >= WIN_PROBABILITY:
        message = f"{leader.variant} wins: {leader.p_best:.1%} probability of the best {metric.label}"
        return Report(metric, rows, enough_data=True, winner=leader.variant, message=message)
    message = (
        f"no winner yet: {leader.variant} leads with {leader.p_best:.1%} probability of the best "
        f"{metric.label}; a winner needs {WIN_PROBABILITY:.0%}"
    )
    return Report(metric, rows, enough_data=True, winner=None, message=message)


def choose_variant(
    allocation: Allocation,
    variants: Sequence[str],
    observations: Iterable[Observation],
    metric: Metric,
    rng: random.Random,
    counts: Mapping[str, int] | None = None,
) -> str:
    """The variant the next post should use.

    EVEN picks the variant with the fewest posts so far (ties go to the earlier variant). `counts` are
    the posts so far per variant, including ones not measured yet; by default the observations are counted.
    THOMPSON draws once from each variant's posterior and picks the highest draw, so better variants get
    more posts while worse ones still get some. A variant whose posterior does not exist yet (VIEWS_24H
    with fewer than 2 posts) is chosen first, as EVEN would.
    """
    _check_setup(metric, variants, min_sample=_MIN_POSTS_FOR_VIEWS)
    groups = _group(observations, variants)
    if counts is None:
        counts = {v: len(groups[v]) for v in variants}
    if allocation is Allocation.EVEN:
        return min(variants, key=lambda v: counts.get(v, 0))
    posteriors = {v: _posterior(metric, groups[v]) for v in variants}
    estimated = {v: p for v, p in posteriors.items() if p is not None}
    if len(estimated) < len(variants):
        return min((v for v in variants if v not in estimated), key=lambda v: counts.get(v, 0))
    return max(variants, key=lambda v: estimated[v].draws(rng, 1)[0])


# --- Rules for experiments ----------------------------------------------------------------------------


def min_sample_floor(metric: Metric) -> int:
    """The fewest posts per variant a report can use: the views model needs a spread, so 2."""
    return _MIN_POSTS_FOR_VIEWS if metric is Metric.VIEWS_24H else 1


def check_new(name: str, template_ids: Sequence[int], metric: Metric, min_sample: int) -> str:
    """The name to store; raises FieldErrors naming every field to fix."""
    errors = Errors()
    name = name.strip()
    if not name:
        errors.add("name", "Give the experiment a name.")
    if len(set(template_ids)) != len(template_ids) or len(template_ids) < 2:
        errors.add("templates", "Pick at least two different templates.")
    if len(template_ids) > MAX_VARIANTS:
        errors.add(
            "templates", f"Pick at most {MAX_VARIANTS} templates: each variant needs its share of posts."
        )
    floor = min_sample_floor(metric)
    if min_sample < floor:
        errors.add("min_sample", f"The minimum sample for {metric.label} is at least {floor} posts.")
    if min_sample > MAX_SAMPLE:
        errors.add("min_sample", f"The minimum sample is at most {MAX_SAMPLE:,} posts.")
    errors.raise_any()
    return name[:120]


def check_templates(template_ids: Sequence[int], templates: Mapping[int, Template]) -> None:
    """Variants are active templates of one kind, so the experiment compares like with like."""
    missing = [str(t) for t in template_ids if t not in templates]
    if missing:
        raise FieldError("templates", f"No template {', '.join(missing)}.")
    retired = [t.spec.name for t in templates.values() if t.status is not TemplateStatus.ACTIVE]
    if retired:
        raise FieldError("templates", f"Retired templates cannot be tested: {', '.join(retired)}.")
    kinds = {t.spec.kind.value for t in templates.values()}
    if len(kinds) > 1:
        raise FieldError(
            "templates",
            f"Pick templates of one kind (a hook against a hook); these are {', '.join(sorted(kinds))}.",
        )


def check_overlap(running: Experiment | None) -> None:
    """One experiment per channel at a time: a content item records one variant, so two experiments
    could not both claim its posts. `running` is the one already covering the channel, if any."""
    if running is not None:
        where = "every channel" if running.channel_id is None else "that channel"
        raise FieldError(
            "channel",
            f"Experiment {running.id} ({running.name}) already runs on {where}; stop or promote it first: "
            "a post can belong to one experiment only.",
        )


def check_promotion(experiment: Experiment, variant_id: int) -> bool:
    """True when `variant_id` already won it (promoting again changes nothing); raises FieldError
    when the experiment has ended otherwise. Whether the variant won is check_winner's question."""
    if experiment.status is ExperimentStatus.PROMOTED and experiment.winner_variant_id == variant_id:
        return True
    if experiment.status is not ExperimentStatus.RUNNING:
        raise FieldError(
            "status",
            f"Experiment {experiment.id} is {experiment.status.value}; only a running one can be promoted.",
        )
    return False


def check_winner(current: ExperimentReport, variant_id: int) -> None:
    winner = current.winner
    if winner is None or winner.id != variant_id:
        raise FieldError("winner", f"There is no winner to promote: {current.report.message}.")


def assign_variant(
    experiment: Experiment,
    observations: Iterable[Observation],
    assigned: Mapping[str, int],
    rng: random.Random,
) -> Variant:
    """The variant a new content item gets, by the experiment's allocation: `assigned` counts the items
    each variant (by label) already has that may still be posted; the observations are its posts' results."""
    label = choose_variant(
        experiment.allocation,
        [v.label for v in experiment.variants],
        observations,
        experiment.metric,
        rng,
        counts=assigned,
    )
    return experiment.variant(label)


# --- Posteriors ---------------------------------------------------------------------------------------


def _posterior(metric: Metric, observations: list[Observation]) -> Posterior | None:
    if metric is Metric.SAVE_RATE:
        views = sum(o.views for o in observations)
        saves = sum(o.saves for o in observations)
        return BetaPosterior(1.0 + saves, 1.0 + views - saves)
    n = len(observations)
    if n < _MIN_POSTS_FOR_VIEWS:
        return None
    logs = [math.log1p(o.views) for o in observations]
    mean = math.fsum(logs) / n
    variance = math.fsum((x - mean) ** 2 for x in logs) / (n - 1)
    return Log1pPosterior(StudentTPosterior(mean, math.sqrt(variance / n), n - 1))


def _p_best(
    posteriors: Mapping[str, Posterior | None], rng: random.Random, draws: int
) -> dict[str, float] | None:
    """None if any posterior is missing (too few posts to estimate it)."""
    present = {name: p for name, p in posteriors.items() if p is not None}
    if len(present) < len(posteriors):
        return None
    return p_best(present, rng, draws)


def _variant_report(
    variant: str, posts: int, posterior: Posterior | None, p_best: Mapping[str, float] | None
) -> VariantReport:
    probability = p_best[variant] if p_best is not None else None
    if posterior is None:
        return VariantReport(variant, posts, None, None, None, probability)
    mean, low, high = posterior.summary(INTERVAL)
    return VariantReport(variant, posts, mean, low, high, probability)


def _check_setup(metric: Metric, variants: Sequence[str], min_sample: int) -> None:
    if len(variants) < 2 or len(set(variants)) != len(variants):
        raise ValueError(f"an experiment needs 2 or more distinct variants, got {list(variants)}")
    floor = min_sample_floor(metric)
    if min_sample < floor:
        raise ValueError(f"min_sample must be at least {floor} for {metric.value}")


def _group(observations: Iterable[Observation], variants: Sequence[str]) -> dict[str, list[Observation]]:
    groups: dict[str, list[Observation]] = {v: [] for v in variants}
    for observation in observations:
        group = groups.get(observation.variant)
        if group is None:
            raise ValueError(f"observation for unknown variant {observation.variant!r}")
        group.append(observation)
    return groups
