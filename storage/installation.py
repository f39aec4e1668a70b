"""This database's own id (written by migration 0005), read once per process and database."""

from __future__ import annotations

from functools import cache

from sqlalchemy import select

from storage.db import session_scope
from storage.models import InstallationRow


@cache
def installation_id(database_url: str) -> str:
    """A short prefix for job ids: 12 hex digits of the database's random id."""
    with session_scope(database_url) as session:
        found = session.scalar(select(InstallationRow.id))
    if found is None:
        raise RuntimeError("the database has no installation id: run `contentbot db upgrade`")
    return found[:12]
