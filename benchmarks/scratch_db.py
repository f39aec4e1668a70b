"""A throwaway PostgreSQL database for a benchmark run: `--postgres URL` names a server to measure on.

The benchmarks import it as a sibling (their folder is on sys.path when they run as scripts).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from storage.db import dispose_all


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    """The URL of a new database on the server of `admin_url`, dropped afterwards (connections too)."""
    name = f"contentbot_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        dispose_all()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
