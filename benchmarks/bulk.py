"""Bulk scheduling of 1,000 rows (issue 18): the time to check them and to schedule them, on SQLite
and PostgreSQL (aim: under 5 s to check).

1,000 approved captions on the four channels, opened up to 15 posts a day; a CSV placing them all
(a few on `next`). Timed: reading the CSV, each row's own checks (the single schedule's) and the rows
against each other (workers.bulk.check_rows), then writing the 1,000 posts in one transaction
(storage.bulk.schedule_batch). Slack and the queue are left out: they add one message update per 250
rows.

Run: .venv/bin/python benchmarks/bulk.py [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scratch_db import scratch_postgres  # this folder is on sys.path when run as a script
from sqlalchemy.engine import make_url

from config.settings import Settings
from contentbot.seed import seed
from core.bulk import read_rows
from storage import bulk as store
from storage.db import session_scope
from storage.migrate import upgrade
from storage.scheduling import post_columns
from tests.bulk_rows import approved_contents, csv_rows, open_up
from workers.bulk import check_rows

ROWS = 1000


def run(database_url: str) -> None:
    upgrade(database_url)
    seed(database_url)
    open_up(database_url)
    contents = approved_contents(database_url, ROWS)
    day = datetime.now(UTC).date() + timedelta(days=2)
    lines = csv_rows(contents, datetime(day.year, day.month, day.day, 6, tzinfo=UTC))
    # Every 50th row asks for the next free slot instead of a time.
    lines = [
        line if i % 50 else ",".join([*line.split(",")[:2], "next", *line.split(",")[3:]])
        for i, line in enumerate(lines, 1)
    ]
    settings = Settings(database_url=database_url)
    now = datetime.now(UTC)

    started = time.perf_counter()
    rows, problems = read_rows("\n".join(lines), now, settings.tz)
    read = time.perf_counter() - started
    with session_scope(database_url) as session:
        batch = store.create_batch(
            session, created_by="U0ALICE", file_name="bench.csv", file_url=None, text=None
        )
    started = time.perf_counter()
    with session_scope(database_url) as session:
        placed, problems = check_rows(session, settings, rows, now)
        checked = time.perf_counter() - started
        assert not problems, problems[:3]
        written_at = time.perf_counter()
        columns = [post_columns(request, c, user_id="U0ALICE") for _, request, c in placed]
        ids = store.schedule_batch(session, batch.id, columns)
    written = time.perf_counter() - written_at
    assert ids is not None and len(ids) == ROWS
    print(
        f"  {make_url(database_url).get_backend_name():<10} read {read * 1000:6.0f} ms · "
        f"check {checked:5.2f} s ({checked / ROWS * 1000:.1f} ms a row) · schedule {written:5.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    print(
        f"{ROWS:,} rows; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores"
    )
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{Path(folder) / 'bulk.db'}")
    with scratch_postgres(args.postgres) as url:
        run(url)


if __name__ == "__main__":
    main()
