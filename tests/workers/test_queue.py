"""Jobs through real RQ on the real Redis server: round trip, priority, once-only ids, the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis
from rq import Queue
from rq.job import JobStatus

from storage.db import session_scope
from storage.heartbeats import last_beats
from storage.installation import installation_id
from workers import heartbeat
from workers.clock import Clock
from workers.queues import QUEUE_NAMES, enqueue_once
from workers.worker import make_worker


def test_a_job_round_trips_through_a_forking_worker(env: dict[str, str], redis_conn: redis.Redis) -> None:
    job = enqueue_once(redis_conn, "default", heartbeat.heartbeat, "worker", job_id="heartbeat-test")
    assert job is not None
    assert make_worker(redis_conn).work(burst=True)
    job.refresh()
    assert job.get_status() == JobStatus.FINISHED
    with session_scope(env["DATABASE_URL"]) as session:
        beats = last_beats(session)
    assert beats["worker"].isoformat() == job.return_value()


def test_the_same_job_id_is_enqueued_once(redis_conn: redis.Redis) -> None:
    first = enqueue_once(redis_conn, "low", heartbeat.heartbeat, job_id="heartbeat-once")
    second = enqueue_once(redis_conn, "low", heartbeat.heartbeat, job_id="heartbeat-once")
    assert first.id == second.id == "heartbeat-once"  # the live job, not a second one
    assert Queue("low", connection=redis_conn).job_ids == ["heartbeat-once"]


def test_workers_drain_queues_in_priority_order(env: dict[str, str], redis_conn: redis.Redis) -> None:
    for name in reversed(QUEUE_NAMES):
        enqueue_once(redis_conn, name, heartbeat.heartbeat, name, job_id=f"beat-{name}")
    worker = make_worker(redis_conn, in_thread=True)
    assert [q.name for q in worker.queues] == ["posts", "high", "default", "low"]
    worker.work(burst=True)
    finished = [Queue(n, connection=redis_conn).fetch_job(f"beat-{n}") for n in QUEUE_NAMES]
    ended = [job.ended_at for job in finished if job is not None]
    assert len(ended) == 4
    assert ended == sorted(ended)


def test_only_one_clock_leads(env: dict[str, str], redis_conn: redis.Redis) -> None:
    first = Clock(redis_conn, env["DATABASE_URL"])
    second = Clock(redis_conn, env["DATABASE_URL"])
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert first.tick(now) is True
    assert second.tick(now) is False
    assert first.tick(now) is True
    with session_scope(env["DATABASE_URL"]) as session:
        assert last_beats(session)["clock"] == now
    # One worker heartbeat per 30 s slot and one App Home refresh per minute, however many ticks fall in them.
    assert Queue("low", connection=redis_conn).job_ids == [
        f"heartbeat-worker-{int(now.timestamp()) // 30}",
        f"dashboard-{installation_id(env['DATABASE_URL'])}-{int(now.timestamp()) // 60}",
    ]
    # Not again once they ran, for the rest of their slots: the dashboard refresh is work with no row
    # to say it is done, and it would otherwise run on every 5 s tick.
    make_worker(redis_conn, in_thread=True).work(burst=True)
    assert first.tick(now + timedelta(seconds=5)) is True
    assert Queue("low", connection=redis_conn).job_ids == []
    assert first.tick(now + timedelta(seconds=60)) is True
    assert len(Queue("low", connection=redis_conn).job_ids) == 2  # the next slot of each


def test_a_new_clock_takes_over_when_the_leader_stops_renewing(
    env: dict[str, str], redis_conn: redis.Redis
) -> None:
    first = Clock(redis_conn, env["DATABASE_URL"])
    second = Clock(redis_conn, env["DATABASE_URL"])
    assert first.tick()
    # The lease lapses as it would 15 s after the leader died.
    redis_conn.delete(first.leader.lock.name)
    assert second.tick()
    assert not first.tick()


def test_the_leader_keeps_the_database_statistics_fresh(env: dict[str, str], redis_conn: redis.Redis) -> None:
    from storage.db import engine_for

    leader = Clock(redis_conn, env["DATABASE_URL"])
    other = Clock(redis_conn, env["DATABASE_URL"])
    assert leader.maintain() is True
    assert other.maintain() is False
    engine = engine_for(env["DATABASE_URL"])
    if engine.dialect.name == "sqlite":
        # ANALYZE keeps the planner's statistics in this table.
        with engine.connect() as conn:
            found = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'").all()
        assert found == [("sqlite_stat1",)]


def test_an_id_whose_job_already_ran_is_queued_again(env: dict[str, str], redis_conn: redis.Redis) -> None:
    # RQ keeps a finished job for 500 s; a restored database asking for the same id must still get a job.
    enqueue_once(redis_conn, "low", heartbeat.heartbeat, "worker", job_id="ran-before")
    assert make_worker(redis_conn, in_thread=True).work(burst=True)
    again = enqueue_once(redis_conn, "low", heartbeat.heartbeat, "worker", job_id="ran-before")
    assert again.get_status(refresh=True) == "queued"
    assert Queue("low", connection=redis_conn).job_ids == ["ran-before"]
