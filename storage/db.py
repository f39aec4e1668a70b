"""Engines and sessions: one engine per database URL per process.

RQ forks a work horse per job, and a pooled connection must never cross a fork
(SQLAlchemy's pooling docs), so the engine is keyed on the process id as well.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Result, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

_engines: dict[tuple[str, int], Engine] = {}


def engine_for(url: str) -> Engine:
    key = (url, os.getpid())
    if key not in _engines:
        _engines[key] = _create_engine(url)
    return _engines[key]


def _create_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; SQLAlchemy's bare postgresql:// means psycopg2.
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    # web, worker and clock share one SQLite file: WAL lets readers run beside a writer,
    # and busy_timeout makes a writer wait for the lock instead of failing at once.
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if ":memory:" not in url:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
        # PostgreSQL has bit_count; SQLite gets the same measure (storage.fingerprints.hamming64).
        dbapi_connection.create_function("hamming64", 2, _hamming64, deterministic=True)

    return engine


def _hamming64(a: int | None, b: int | None) -> int | None:
    if a is None or b is None:
        return None
    return ((a ^ b) & 0xFFFF_FFFF_FFFF_FFFF).bit_count()


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back if it raises."""
    session = sessionmaker(engine_for(url), expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def optimize(url: str) -> None:
    """Refresh the planner's statistics where the database does not do it by itself.

    PostgreSQL's autovacuum analyzes tables as they grow; SQLite never does, and without
    statistics it may scan instead of using the fingerprint band indexes (storage.fingerprints).
    A whole ANALYZE, not PRAGMA optimize: before SQLite 3.46 that only looks at tables this
    connection has queried, which for the clock's own connection is none.
    """
    engine = engine_for(url)
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def affected(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed: the conditional writes read it to know who won."""
    return cast(CursorResult[Any], result).rowcount


def dispose(url: str) -> None:
    """Close this process's connections to `url` (a database that is going away, such as a test's file)."""
    engine = _engines.pop((url, os.getpid()), None)
    if engine is not None:
        engine.dispose()


def dispose_all() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
