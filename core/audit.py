"""Who changed a channel, when, and what: one audit entry per saved change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AuditEntry:
    channel_id: int
    user_id: str
    at: datetime
    changed: tuple[str, ...]  # field names; all of them for a creation
    before: dict[str, Any] | None
    after: dict[str, Any]


def changed_fields(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> tuple[str, ...]:
    """The fields whose values differ, in `after`'s order; every field when there was no before."""
    if not before:
        return tuple(after)
    return tuple(k for k in after if before.get(k) != after[k])
