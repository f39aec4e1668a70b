"""The Redis connection and the RQ queues, in the order workers drain them.

`posts` comes first so publishing never waits behind generation or metric polls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import redis
from rq import Queue
from rq.exceptions import DuplicateJobError
from rq.job import Job

QUEUE_NAMES = ("posts", "high", "default", "low")

log = logging.getLogger(__name__)


class QueueUnavailable(RuntimeError):
    """Redis cannot be reached; the message says where we looked."""


def connect(redis_url: str, *, in_process_fallback: bool = False) -> redis.Redis:
    """A Redis connection, checked with a PING.

    Under `contentbot dev` (in_process_fallback) an unreachable server is replaced by an
    in-process one, so a single machine with no Redis still runs every feature; that queue
    lives and dies with the process, which is why it is said aloud.
    """
    connection = redis.Redis.from_url(redis_url, socket_connect_timeout=2)
    try:
        connection.ping()
        return connection
    except redis.RedisError as exc:
        if not in_process_fallback:
            raise QueueUnavailable(f"Redis at {redis_url} is unreachable ({exc}).") from exc
    import fakeredis  # only needed for this fallback

    log.warning("Redis at %s is unreachable: using an in-process queue (jobs are lost on exit).", redis_url)
    return fakeredis.FakeRedis(server=fakeredis.FakeServer())


def queues(connection: redis.Redis) -> list[Queue]:
    return [Queue(name, connection=connection) for name in QUEUE_NAMES]


def enqueue_once(
    connection: redis.Redis,
    queue_name: str,
    func: Callable[..., Any],
    *args: Any,
    job_id: str,
    **options: Any,
) -> Job | None:
    """Enqueue `func` under a deterministic id; None when a job with that id is already queued.

    RQ runs a job at least once and a repeated id without `unique` would run it twice, so
    every enqueue in contentbot goes through here.
    """
    if queue_name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {queue_name!r}")
    try:
        return Queue(queue_name, connection=connection).enqueue(
            func, *args, job_id=job_id, unique=True, **options
        )
    except DuplicateJobError:
        return None
