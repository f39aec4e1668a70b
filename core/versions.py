"""Versions of a content item, and a readable diff between two of them.

Every generation, edit or regeneration appends an immutable version; the diff is what a reviewer reads
to see what changed, field by field, with only the changed lines.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.draft_checks import DraftChecks, Finding


@dataclass(frozen=True)
class Version:
    number: int
    fields: Mapping[str, Any]
    author_kind: str  # agent | person
    author_id: str  # the agent's kind, or a Slack user id
    created_at: datetime
    feedback: str | None = None  # the reviewer's reason this version answers
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_ms: float | None = None
    checks: DraftChecks | None = None  # None: stored before drafts were checked
    accepted: FindingsAccepted | None = None  # approved despite its findings
    # The library template versions it was written from: the one chosen for the request (the prompt's),
    # or those the offline writer filled; a person's edit keeps those of the version it edited.
    template_version_ids: tuple[int, ...] = ()

    @property
    def by_person(self) -> bool:
        return self.author_kind == "person"

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.checks.findings if self.checks else ()


@dataclass(frozen=True)
class FindingsAccepted:
    """A reviewer's decision to approve a version despite its findings: who, when, and which."""

    by: str
    at: datetime
    findings: tuple[Finding, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"by": self.by, "at": self.at.isoformat(), "findings": [f.to_dict() for f in self.findings]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> FindingsAccepted | None:
        if data is None:
            return None
        return cls(
            str(data["by"]),
            datetime.fromisoformat(data["at"]),
            tuple(Finding.from_dict(f) for f in data.get("findings", ())),
        )


def field_lines(value: Any) -> list[str]:
    """A field as the lines a person reads: list items one per line, text by its own lines."""
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return str(value).splitlines() if value is not None else []


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """The changed lines of each changed field, `-` before `+`; empty when nothing changed.

    hook
    - Stuck on a gift? Stop scrolling.
    + Stuck on a gift for a 6-year-old? Stop scrolling.
    """
    parts: list[str] = []
    for name in [*new, *(n for n in old if n not in new)]:
        before, after = field_lines(old.get(name)), field_lines(new.get(name))
        if before == after:
            continue
        changed = [line for line in difflib.ndiff(before, after) if line.startswith(("- ", "+ "))]
        parts.append("\n".join([name, *changed]))
    return "\n\n".join(parts)
