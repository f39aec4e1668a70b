"""Content items and their versions: every generation, edit or regeneration appends a version."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.fingerprint import Fingerprint
from storage.fingerprints import fingerprint_columns
from storage.models import ContentRow, VersionRow


def version_text(fields: Mapping[str, Any]) -> str:
    """The words of a version, in field order, as fingerprints and diffs read them."""
    parts: list[str] = []
    for value in fields.values():
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list | tuple):
            parts.extend(str(item) for item in value)
    return "\n".join(part for part in parts if part)


def create_content(session: Session, **columns: Any) -> ContentRow:
    row = ContentRow(**columns)
    session.add(row)
    session.flush()
    return row


def add_version(
    session: Session,
    content_id: int,
    fields: Mapping[str, Any],
    *,
    author_kind: str,
    author_id: str,
    media_sha256: str | None = None,
    **details: Any,
) -> VersionRow:
    """Append the next version; the (content, number) unique key makes a racing duplicate fail loudly."""
    number = (
        session.scalar(select(func.max(VersionRow.number)).where(VersionRow.content_id == content_id)) or 0
    ) + 1
    text = version_text(fields)
    row = VersionRow(
        content_id=content_id,
        number=number,
        fields=dict(fields),
        text=text,
        author_kind=author_kind,
        author_id=author_id,
        **fingerprint_columns(Fingerprint.of_text(text, media_sha256)),
        **details,
    )
    session.add(row)
    session.flush()
    return row
