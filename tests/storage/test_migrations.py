"""Migrations run up and down on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import engine_for
from storage.migrate import downgrade, upgrade
from storage.models import Base


def test_upgrade_creates_every_table(database_url: str) -> None:
    tables = set(inspect(engine_for(database_url)).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables


def test_migrations_match_the_models(database_url: str) -> None:
    with engine_for(database_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_to_base_and_up_again(database_url: str) -> None:
    downgrade(database_url, "base")
    assert set(inspect(engine_for(database_url)).get_table_names()) <= {"alembic_version"}
    upgrade(database_url)
    assert "channels" in inspect(engine_for(database_url)).get_table_names()
