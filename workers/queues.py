"""The Redis connection and the RQ queues, in the order workers drain them.

`posts` comes first so publishing never waits behind generation or metric polls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import redis
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff
from redis.retry import Retry
from rq import Queue, Worker
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from config.redact import redact_url

QUEUE_NAMES = ("posts", "high", "default", "low")

# An RQ worker blocks on BLPOP for `worker_ttl - 15` seconds at a time. redis-py 8 gives every socket a
# 5 s read timeout by default, which ends that wait with a TimeoutError, and RQ's work loop quits on one:
# the worker's socket must outwait its blocking dequeue.
WORKER_TTL = 60
DEQUEUE_TIMEOUT = WORKER_TTL - 15
WORKER_SOCKET_TIMEOUT = DEQUEUE_TIMEOUT + 15
# A listener answers Slack within 3 s and may call Redis twice (the replay check, the enqueue), so the
# web process's calls give up after half a second and are not retried: a hung Redis costs at most 1 s.
WEB_SOCKET_TIMEOUT = 0.5
CLOCK_SOCKET_TIMEOUT = 5.0

# Jobs that are still going to run; any other state means the id is spent.
LIVE = frozenset({JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED})

log = logging.getLogger(__name__)

# In-process servers by URL, so the web, worker and clock of one `dev` process share one queue.
_in_process: dict[str, Any] = {}


class QueueUnavailable(RuntimeError):
    """Redis cannot be reached; the message says where we looked (without its password)."""


def connect(redis_url: str, *, socket_timeout: float, in_process_fallback: bool = False) -> redis.Redis:
    """A Redis connection, checked with a PING, whose calls wait at most `socket_timeout`.

    Under `contentbot dev` (in_process_fallback) an unreachable server is replaced by an
    in-process one, so a single machine with no Redis still runs every feature; that queue
    lives and dies with the process, which is why it is said aloud.
    """
    if redis_url in _in_process:
        return _in_process[redis_url]
    connection = redis.Redis.from_url(
        redis_url,
        socket_connect_timeout=min(socket_timeout, 2.0),
        socket_timeout=socket_timeout,
        socket_keepalive=True,
        health_check_interval=30,
        retry=_retry(socket_timeout),
    )
    try:
        connection.ping()
        return connection
    except redis.RedisError as exc:
        if not in_process_fallback:
            raise QueueUnavailable(f"Redis at {redact_url(redis_url)} is unreachable ({exc}).") from exc
    import fakeredis  # only needed for this fallback

    log.warning(
        "Redis at %s is unreachable: using an in-process queue (jobs are lost on exit).",
        redact_url(redis_url),
    )
    _in_process[redis_url] = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    return _in_process[redis_url]


def with_timeout(connection: redis.Redis, socket_timeout: float) -> redis.Redis:
    """The same server through a connection whose calls wait at most `socket_timeout`."""
    kwargs = getattr(connection.connection_pool, "connection_kwargs", None)
    if kwargs is None or ("host" not in kwargs and "path" not in kwargs):
        return connection  # in-process: no sockets to time out
    pool = connection.connection_pool.__class__(
        connection_class=connection.connection_pool.connection_class,
        **{**kwargs, "socket_timeout": socket_timeout, "retry": _retry(socket_timeout)},
    )
    return redis.Redis(connection_pool=pool)


def _retry(socket_timeout: float) -> Retry:
    """redis-py retries a failed call 3 times with back-off by default: right for a worker, but a
    listener with Slack's 3 s to answer cannot wait for it."""
    if socket_timeout <= WEB_SOCKET_TIMEOUT:
        return Retry(NoBackoff(), 0)
    return Retry(ExponentialWithJitterBackoff(base=0.5, cap=5), 3)


def queues(connection: redis.Redis) -> list[Queue]:
    return [Queue(name, connection=connection) for name in QUEUE_NAMES]


def enqueue_once(
    connection: redis.Redis,
    queue_name: str,
    func: Callable[..., Any],
    *args: Any,
    job_id: str,
    **options: Any,
) -> Job:
    """Enqueue `func` under a deterministic id, once: the job that will run for that id.

    RQ runs a job at least once and a repeated id without `unique` would run it twice, so
    every enqueue in contentbot goes through here. A job with that id that is still live is
    returned as it is; one that already ran (RQ keeps finished jobs for a while, and a restored
    database may ask for the same id again) is replaced, since every job checks its row before
    acting and the caller asks for it because the row says it is due.
    """
    if queue_name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {queue_name!r}")
    queue = Queue(queue_name, connection=connection)
    for _ in range(3):
        try:
            return queue.enqueue(func, *args, job_id=job_id, unique=True, **options)
        except DuplicateJobError:
            pass
        existing = fetch(connection, job_id)
        if existing is not None and existing.get_status(refresh=False) in LIVE:
            return existing
        if existing is not None:
            existing.delete()
    raise QueueUnavailable(f"the job {job_id} could not be queued: its id keeps being taken")


def enqueue_every(
    connection: redis.Redis,
    queue_name: str,
    func: Callable[..., Any],
    *args: Any,
    name: str,
    seconds: int,
    now: datetime,
) -> Job | None:
    """Queue periodic work at most once per `seconds`-long slot (id `name-slot`); None when this slot
    already had it.

    The clock asks on every tick, several times a slot. enqueue_once alone would run such a job again
    after each tick that finds the last run finished, which is right for jobs that check their row
    first but not for work with no row: a dashboard refresh would run every tick, not every minute.
    A Redis marker that outlives the slot remembers that the slot was served."""
    slot = int(now.timestamp()) // seconds
    job_id = f"{name}-{slot}"
    if not connection.set(f"contentbot:every:{job_id}", 1, nx=True, ex=2 * seconds):
        return None
    return enqueue_once(connection, queue_name, func, *args, job_id=job_id)


def fetch(connection: redis.Redis, job_id: str) -> Job | None:
    try:
        return Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return None


def job_status(connection: redis.Redis, job_id: str) -> JobStatus | None:
    job = fetch(connection, job_id)
    return job.get_status(refresh=False) if job is not None else None


def live_workers(connection: redis.Redis, now: datetime | None = None) -> int:
    """Workers whose heartbeat is fresh: they take jobs now, or are in the middle of one."""
    now = now or datetime.now(UTC)
    fresh = 0
    for worker in Worker.all(connection=connection):
        beat = worker.last_heartbeat
        if beat is not None and (now - beat.replace(tzinfo=beat.tzinfo or UTC)).total_seconds() < WORKER_TTL:
            fresh += 1
    return fresh
