"""Job ids belong to one database: a fresh database beside a Redis that remembers another's jobs
still gets every request generated."""

from __future__ import annotations

from pathlib import Path

import redis

from core.content import ContentStatus
from storage.migrate import upgrade
from tests.generation_helpers import content, request, start_bot
from workers.generate import job_id


def test_a_fresh_database_beside_a_remembering_redis_still_generates(
    database_url: str, redis_conn: redis.Redis, tmp_path: Path
) -> None:
    first = start_bot(database_url, redis_conn)
    try:
        request(first, "hook Air kites that loop")
        first.run_jobs()  # RQ keeps the finished job, id and all
        assert content(first, 1).status == ContentStatus.IN_REVIEW
    finally:
        first.close()

    # The developer deletes contentbot.db (or restores a backup); Redis still holds the old ids.
    fresh_url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(fresh_url)
    second = start_bot(fresh_url, redis_conn)
    try:
        answer = request(second, "hook Air kites that loop")
        assert "Queued" in answer
        assert job_id(fresh_url, 1, 1) != job_id(database_url, 1, 1)
        assert second.run_jobs()
        assert content(second, 1).status == ContentStatus.IN_REVIEW
    finally:
        second.close()
