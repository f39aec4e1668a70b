"""Alembic environment: runs migrations on the engine storage/ uses everywhere else."""

from __future__ import annotations

from typing import Any

from alembic import context

from storage.db import engine_for
from storage.models import Base, UTCDateTime

config = context.config
engine = engine_for(config.attributes["database_url"])


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Migrations stay free of our Python types: UTCDateTime is plain DDL underneath.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


with engine.connect() as connection:
    # Batch mode rewrites tables on SQLite, which cannot ALTER most things in place.
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
