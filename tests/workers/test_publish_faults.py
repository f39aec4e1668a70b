"""Once, on time, through faults (issue 15, "Done means"): posts scheduled through Slack go to the
TikTok stand-in through real `clock` and `worker` processes, which these tests kill, stop, run twice
and cut off from their Redis. Every post must go out exactly once, never before its time, and say so
in its Slack thread.

Waits are generous (a loaded machine is slow); what is asserted is the outcome, never a duration.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from rq import Queue

from contentbot.local import LocalBot
from core.posts import PostStatus
from standins.tiktok import TikTokStandIn
from tests.generation_helpers import start_bot
from tests.publish_helpers import (
    Processes,
    assert_out_once,
    connect_account,
    due_at,
    post,
    process_env,
    schedule_post,
    set_mode,
    thread,
    tiktok_settings,
    until,
)
from tests.videos import make_video
from workers import publish
from workers.clock import Clock, Leader

OPEN_ID = "open-air"
# The tests with processes run on PostgreSQL, the database several processes share in production;
# those in one process run on both.
ON_POSTGRES = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
BRIEFS = (
    "hook Air kites that loop the loop",
    "hook Air stunt kites for windy beaches",
    "hook Air paper planes that glide across the room",
)


@pytest.fixture
def tiktok() -> Iterator[TikTokStandIn]:
    # Real time on both sides: the worker and clock processes read the machine's clock.
    with TikTokStandIn(processing_seconds=1.0) as standin:
        yield standin


@pytest.fixture
def video(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    path.write_bytes(make_video(5))
    return path


@pytest.fixture
def bot(database_url: str, redis_conn: redis.Redis, tiktok: TikTokStandIn) -> Iterator[LocalBot]:
    """The bot with TikTok credentials, Air connected to a public stand-in account, posting direct."""
    local = start_bot(database_url, redis_conn, **tiktok_settings(tiktok))
    connect_account(database_url, tiktok, "Air", OPEN_ID)
    set_mode(local, "Air", "direct")
    yield local
    local.close()


@pytest.fixture
def processes(bot: LocalBot, tmp_path: Path) -> Iterator[Processes]:
    running = Processes(process_env(bot.settings), tmp_path)
    yield running
    running.close()
    print(running.logs())  # pytest shows it when the test failed


def direct_posts(bot: LocalBot, video: Path, count: int) -> list[int]:
    return [
        schedule_post(bot, number, brief, f"Air next public video {video}")
        for number, brief in enumerate(BRIEFS[:count], start=1)
    ]


def published(bot: LocalBot, ids: list[int]) -> bool:
    return all(post(bot, i).status is PostStatus.PUBLISHED for i in ids)


@ON_POSTGRES
def test_a_worker_killed_between_init_and_status_fetch_is_resumed_not_redone(
    bot: LocalBot, tiktok: TikTokStandIn, video: Path, processes: Processes
) -> None:
    [post_id] = direct_posts(bot, video, 1)
    # TikTok takes the bytes and holds its answer: the worker is caught after init, before any status.
    tiktok.slow_next("upload", 600)
    due_at(bot, post_id, datetime.now(UTC) + timedelta(seconds=2))
    processes.start("clock")
    first = processes.start("worker")
    until(lambda: tiktok.requests_to("upload"), what="the upload")
    assert post(bot, post_id).publish_id is not None and tiktok.requests_to("status") == []

    processes.kill(first)
    processes.start("worker")
    until(lambda: published(bot, [post_id]), what="publishing after the kill")

    assert len(tiktok.requests_to("init")) == 1
    assert post(bot, post_id).attempts >= 2  # the clock noticed the dead worker and resumed the post
    assert_out_once(bot, tiktok, post_id, OPEN_ID)


def settle(bot: LocalBot, post_id: int, clock: Clock | None = None, rounds: int = 4) -> None:
    """The clock's passes and the jobs they queue, until the post is published or `rounds` end. Each
    pass looks past LOST_AFTER, as a clock does on a later tick, so a post released for the clock to
    settle is taken up again."""
    clock = clock or Clock(bot.services.redis, bot.settings.database_url)
    for _ in range(rounds):
        clock.publish_tick(datetime.now(UTC) + publish.LOST_AFTER + timedelta(seconds=1))
        bot.run_jobs()
        if post(bot, post_id).status is PostStatus.PUBLISHED:
            return


def test_a_connection_dropped_after_tiktok_accepted_the_init_never_posts_twice(
    bot: LocalBot, tiktok: TikTokStandIn, video: Path
) -> None:
    [post_id] = direct_posts(bot, video, 1)
    due_at(bot, post_id, datetime.now(UTC))
    tiktok.drop_next("init", after_acting=True)
    settle(bot, post_id)

    # TikTok made a publish, but its upload URL was in the lost answer, so no byte could ever reach
    # it: the account's video list was asked first, and only then was the post sent again.
    lost, sent = sorted(tiktok.publishes(OPEN_ID), key=lambda p: p.created_at)
    assert lost.status(time.time()) == "PROCESSING_UPLOAD" and lost.uploaded_bytes == 0
    [asked] = tiktok.requests_to("video_list")
    assert lost.created_at < asked.at < sent.created_at
    assert any("answer to the post was lost" in t for t in thread(bot, post_id))
    assert_out_once(bot, tiktok, post_id, OPEN_ID)


def test_an_upload_refused_by_a_5xx_is_sent_again_and_the_post_goes_out_once(
    bot: LocalBot, tiktok: TikTokStandIn, video: Path
) -> None:
    [post_id] = direct_posts(bot, video, 1)
    due_at(bot, post_id, datetime.now(UTC))
    tiktok.server_error_next("upload", status=503)
    settle(bot, post_id)

    assert len(tiktok.requests_to("init")) == 1 and len(tiktok.requests_to("upload")) == 2
    assert_out_once(bot, tiktok, post_id, OPEN_ID)


def test_a_job_taken_by_a_worker_that_died_before_starting_it_is_queued_again(
    bot: LocalBot, tiktok: TikTokStandIn, video: Path
) -> None:
    [post_id] = direct_posts(bot, video, 1)
    due_at(bot, post_id, datetime.now(UTC))
    connection = bot.services.redis
    assert connection is not None
    clock = Clock(connection, bot.settings.database_url)
    assert clock.publish_tick()
    # A worker took the job off the queue and died at once: RQ still calls it queued, in no queue.
    assert connection.lpop(Queue("posts", connection=connection).key) is not None
    assert post(bot, post_id).status is PostStatus.QUEUED

    settle(bot, post_id, clock)
    assert_out_once(bot, tiktok, post_id, OPEN_ID)


@ON_POSTGRES
def test_posts_due_when_redis_is_flushed_are_found_again_from_the_database(
    bot: LocalBot, tiktok: TikTokStandIn, video: Path, processes: Processes, redis_conn: redis.Redis
) -> None:
    ids = direct_posts(bot, video, 2)
    for post_id in ids:
        due_at(bot, post_id, datetime.now(UTC) + timedelta(seconds=1))
    processes.start("clock")  # no worker yet: the jobs wait in Redis
    until(lambda: all(post(bot, i).status is PostStatus.QUEUED for i in ids), what="queueing")
    redis_conn.flushdb()

    processes.start("worker")
    until(lambda: published(bot, ids), what="publishing after the flush")
    assert len(tiktok.requests_to("init")) == 2
    for post_id in ids:
        assert_out_once(bot, tiktok, post_id, OPEN_ID)


@ON_POSTGRES
def test_two_clocks_one_leader_no_doubles(
    bot: LocalBot, tiktok: TikTokStandIn, video: Path, processes: Processes
) -> None:
    ids = direct_posts(bot, video, 3)
    start = datetime.now(UTC) + timedelta(seconds=3)
    for offset, post_id in enumerate(ids):
        due_at(bot, post_id, start + timedelta(seconds=offset))
    clocks = [processes.start("clock"), processes.start("clock")]
    processes.start("worker")
    until(lambda: published(bot, ids), what="publishing")

    assert [c.poll() for c in clocks] == [None, None]  # the second clock idles; it does not crash
    assert len(tiktok.requests_to("init")) == 3
    for post_id in ids:
        assert_out_once(bot, tiktok, post_id, OPEN_ID)


def test_two_sweeps_racing_without_the_leader_lock_take_each_post_once(bot: LocalBot, video: Path) -> None:
    """The leader lock is the first line; the conditional UPDATE (SKIP LOCKED on PostgreSQL) the last."""
    ids = direct_posts(bot, video, 3)
    for post_id in ids:
        due_at(bot, post_id, datetime.now(UTC))
    redis_conn = bot.services.redis
    assert redis_conn is not None
    start = threading.Barrier(4)
    taken: list[int] = []

    def sweep() -> None:
        start.wait()
        taken.extend(publish.sweep(redis_conn, bot.settings.database_url, datetime.now(UTC)))

    sweepers = [threading.Thread(target=sweep) for _ in range(4)]
    for sweeper in sweepers:
        sweeper.start()
    for sweeper in sweepers:
        sweeper.join()
    assert sorted(taken) == sorted(ids)
    assert all(post(bot, i).attempts == 1 for i in ids)


@ON_POSTGRES
def test_a_clock_stopped_for_10_s_sends_its_late_posts_and_says_they_are_late(
    bot: LocalBot, tiktok: TikTokStandIn, video: Path, processes: Processes, redis_conn: redis.Redis
) -> None:
    ids = direct_posts(bot, video, 2)
    clock = processes.start("clock")
    processes.start("worker")
    until(lambda: redis_conn.exists(Leader(redis_conn).lock.name), what="the clock taking the lead")

    clock.send_signal(signal.SIGSTOP)
    for post_id in ids:
        due_at(bot, post_id, datetime.now(UTC) + timedelta(seconds=1))
    time.sleep(10)  # the fault itself: the clock is frozen while the posts fall due
    resumed = time.time()
    clock.send_signal(signal.SIGCONT)
    until(lambda: published(bot, ids), what="publishing after the clock woke")

    assert min(r.at for r in tiktok.requests_to("init")) >= resumed  # nothing moved while it slept
    for post_id in ids:
        assert_out_once(bot, tiktok, post_id, OPEN_ID)
        assert any(t.startswith(":warning: Started") and "late" in t for t in thread(bot, post_id))


def test_an_inbox_draft_ends_at_send_to_user_inbox(bot: LocalBot, tiktok: TikTokStandIn, video: Path) -> None:
    set_mode(bot, "Air", "draft")
    post_id = schedule_post(bot, 1, BRIEFS[0], f"Air next video {video}")
    due = due_at(bot, post_id, datetime.now(UTC))
    Clock(bot.services.redis, bot.settings.database_url).publish_tick()
    bot.run_jobs()

    done = post(bot, post_id)
    assert done.status is PostStatus.AWAITING_POSTER and done.publish_id is not None
    [draft] = tiktok.publishes(OPEN_ID)
    assert draft.kind == "inbox" and draft.status(time.time()) == "SEND_TO_USER_INBOX"
    [init] = tiktok.requests_to("inbox_init")
    assert init.at >= due.timestamp() and tiktok.requests_to("init") == []
    assert tiktok.published(OPEN_ID) == []  # public only once the creator posts it in the app
    assert any("TikTok inbox" in t for t in thread(bot, post_id))
