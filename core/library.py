"""The template library's values: a template with its current version, its status, how often it was
used and how its posts did, and what saving, retiring or seeding one changed.

storage/library.py maps rows to these; views and listeners read nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.metrics import save_rate
from core.templates import TemplateSpec


class TemplateStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


@dataclass(frozen=True)
class Template:
    """A template with its current version."""

    id: int
    spec: TemplateSpec
    version_id: int
    version: int
    status: TemplateStatus
    updated_at: datetime


@dataclass(frozen=True)
class Usage:
    contents: int
    posts: int


@dataclass(frozen=True)
class Performance:
    posts_measured: int
    mean_views_24h: float | None
    save_rate: float | None


NO_USAGE = Usage(contents=0, posts=0)
NOT_MEASURED = Performance(posts_measured=0, mean_views_24h=None, save_rate=None)


def performance(
    posts_measured: int, views_at_24h: Sequence[int], saves_and_views: Sequence[tuple[int, int]]
) -> Performance:
    """Mean views at 24 h over the posts old enough to have them; save rate pooled over the posts
    whose snapshots know saves (so a post with many views counts for more)."""
    return Performance(
        posts_measured=posts_measured,
        mean_views_24h=sum(views_at_24h) / len(views_at_24h) if views_at_24h else None,
        save_rate=(
            save_rate(sum(s for s, _ in saves_and_views), sum(v for _, v in saves_and_views))
            if saves_and_views
            else None
        ),
    )


@dataclass(frozen=True)
class TemplateSummary:
    template: Template
    usage: Usage
    performance: Performance


@dataclass(frozen=True)
class Saved:
    template: Template
    new_version: bool
    # Whether the body or variables differ from the version before: posts written from it will differ.
    text_changed: bool


@dataclass(frozen=True)
class StatusChange:
    """A template retired or restored; `already` when it was so before and nothing changed."""

    template: Template
    already: bool


@dataclass(frozen=True)
class SeedResult:
    created: int
    updated: int
    kept: int  # edited in Slack (or retired) and different from the data file: left alone
