"""SQL functions that SQLite and PostgreSQL spell differently, as SQLAlchemy constructs.

Each is rendered per dialect at compile time, so the queries that use them read the same
on both databases. Lowercase class names: they read as the SQL functions they are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class hamming64(FunctionElement[int]):
    """Bits that differ between two SimHashes stored as signed BIGINT, computed by the database.

    The band probes find every near duplicate but also many rows that only share a band; measuring
    the distance in SQL keeps those rows in the database instead of loading thousands per check.
    SQLite gets the function from storage.db; PostgreSQL has bit_count.
    """

    type = Integer()
    inherit_cache = True
    name = "hamming64"


@compiles(hamming64)
def _hamming64_sqlite(element: hamming64, compiler: SQLCompiler, **kw: Any) -> str:
    return f"hamming64({compiler.process(element.clauses, **kw)})"


@compiles(hamming64, "postgresql")
def _hamming64_postgresql(element: hamming64, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"bit_count(CAST(({a} # {b}) AS BIT(64)))"


class hours_between(FunctionElement[float]):
    """Hours from `start` to `end`, to the millisecond: SQL has no portable way to subtract two times."""

    type = Float()
    inherit_cache = True
    name = "hours_between"


@compiles(hours_between, "sqlite")
def _hours_sqlite(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    end, start = (compiler.process(clause, **kw) for clause in element.clauses)
    # julianday is a float of days; rounding to whole milliseconds makes exactly 24 h read as 24.0.
    return f"(ROUND((julianday({end}) - julianday({start})) * 86400000.0) / 3600000.0)"


@compiles(hours_between, "postgresql")
def _hours_postgresql(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    end, start = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0 AS DOUBLE PRECISION)"


class hours_after(FunctionElement[datetime]):
    """The time `hours` after `start`, comparable with stored times, so an index on them can be used."""

    inherit_cache = True
    name = "hours_after"


@compiles(hours_after, "sqlite")
def _after_sqlite(element: hours_after, compiler: SQLCompiler, **kw: Any) -> str:
    start, hours = (compiler.process(clause, **kw) for clause in element.clauses)
    # Times are stored as text, 'YYYY-MM-DD HH:MM:SS.ffffff'; this gives the same form to the millisecond.
    return f"strftime('%Y-%m-%d %H:%M:%f', {start}, '+' || ({hours}) || ' hours')"


@compiles(hours_after, "postgresql")
def _after_postgresql(element: hours_after, compiler: SQLCompiler, **kw: Any) -> str:
    start, hours = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({start} + make_interval(hours => {hours}))"
