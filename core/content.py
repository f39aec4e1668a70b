"""A content item's life, as an explicit state machine, and the priorities its generation runs at.

    queued → generating → in_review → approved
                 ↑  │          │   → rejected
                 │  ↓          │   → changes_requested → generating (with the reviewer's reason)
                 └─ (lease lapsed, or a retryable error)   → queued (regenerate)
                    failed  ←  generating (for good) ;  failed → queued (try again)

Storage moves a row only from the states listed here (a conditional UPDATE), so two people or two
workers acting at once cannot both win.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.agents import AgentKind, Product
from core.experiments import Experiment, Observation, assign_variant
from core.templates import TemplateKind


class ContentStatus(StrEnum):
    QUEUED = "queued"
    GENERATING = "generating"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


# target ← the states it may be reached from
_SOURCES: Mapping[ContentStatus, frozenset[ContentStatus]] = {
    ContentStatus.QUEUED: frozenset(
        {ContentStatus.GENERATING, ContentStatus.IN_REVIEW, ContentStatus.FAILED}
    ),
    ContentStatus.GENERATING: frozenset({ContentStatus.QUEUED, ContentStatus.CHANGES_REQUESTED}),
    # in_review → in_review is a person's edit: a new version, still waiting for a decision;
    # rejected → in_review a reviewer reopening it.
    ContentStatus.IN_REVIEW: frozenset(
        {ContentStatus.GENERATING, ContentStatus.IN_REVIEW, ContentStatus.REJECTED}
    ),
    ContentStatus.CHANGES_REQUESTED: frozenset({ContentStatus.IN_REVIEW}),
    ContentStatus.APPROVED: frozenset({ContentStatus.IN_REVIEW}),
    ContentStatus.REJECTED: frozenset({ContentStatus.IN_REVIEW}),
    ContentStatus.FAILED: frozenset({ContentStatus.GENERATING}),
}

# The states a generation job may claim a row from.
CLAIMABLE = _SOURCES[ContentStatus.GENERATING]
# Never to be posted: such items take no experiment variant's share of new content.
NEVER_POSTED = frozenset({ContentStatus.REJECTED, ContentStatus.FAILED})
# Still on its way to a decision: what `/content queue` lists.
WAITING = frozenset(
    {
        ContentStatus.QUEUED,
        ContentStatus.GENERATING,
        ContentStatus.IN_REVIEW,
        ContentStatus.CHANGES_REQUESTED,
    }
)


class TransitionError(ValueError):
    """A content item cannot move to the asked state from the one it is in."""


def sources(target: ContentStatus) -> frozenset[ContentStatus]:
    """The states from which a content item may move to `target`."""
    return _SOURCES[target]


def can_move(current: ContentStatus, target: ContentStatus) -> bool:
    return current in _SOURCES[target]


def check_move(current: ContentStatus, target: ContentStatus) -> None:
    if not can_move(current, target):
        raise TransitionError(f"content that is {current.label} cannot become {target.label}")


class Priority(StrEnum):
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @property
    def queue(self) -> str:
        """The RQ queue a generation at this priority waits in."""
        return {"high": "high", "normal": "default", "low": "low"}[self.value]

    @property
    def rank(self) -> int:
        """0 runs first."""
        return ("high", "normal", "low").index(self.value)


@dataclass(frozen=True)
class Content:
    """A content item as the bot sees it: the request, where it is, and its review message."""

    id: int
    agent: AgentKind
    channel_id: int | None
    channel_name: str
    brief: str
    product: Product | None
    priority: Priority
    requester_id: str
    status: ContentStatus
    attempts: int
    element: str | None
    element_reason: str | None
    template_version_id: int | None
    feedback: str | None  # the reviewer's reason the next generation must answer
    failure: str | None
    reviewed_by: str | None
    review_channel: str | None
    review_ts: str | None
    created_at: datetime
    reviewed_at: datetime | None = None
    decided_version: int | None = None
    decision_reason: str | None = None


# --- Which template a new request is written from -----------------------------------------------------


@dataclass(frozen=True)
class TemplateChoice:
    """The template version a new content item is written from (None: the agent's own prompt alone),
    and the experiment variant that chose it, if one did."""

    template_version_id: int | None
    variant_id: int | None = None


def choose_template(
    agent: AgentKind,
    running: Experiment | None,
    observations: Iterable[Observation],
    assigned: Mapping[str, int],
    defaults: Mapping[TemplateKind, int],
    rng: random.Random,
) -> TemplateChoice:
    """For a request that names no template: the experiment running on its channel assigns a variant,
    if it tests a kind of template the agent can use; else the channel's default (a promoted winner)
    of the agent's best-fitting kind that has one; else none.

    `observations` and `assigned` are the running experiment's posts' results and its variants' live
    content items (see core.experiments.assign_variant); `defaults` the channel's default version by kind.
    The content item must be stored in the same transaction as these were read: even allocation counts
    the items already assigned.
    """
    if running is not None and running.kind in agent.template_kinds:
        variant = assign_variant(running, observations, assigned, rng)
        return TemplateChoice(variant.template_version_id, variant.id)
    return TemplateChoice(next((defaults[kind] for kind in agent.template_kinds if kind in defaults), None))
