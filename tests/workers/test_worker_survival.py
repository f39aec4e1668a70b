"""A worker stays up: idle past every socket timeout, through a Redis that freezes, and says when it
cannot (a non-zero exit, /healthz 503, App Home)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
import redis
from rq import Queue

from contentbot.local import LocalBot
from contentbot.processes import start_worker_thread
from storage.migrate import upgrade
from tests.conftest import REDIS_URL
from tests.redis_server import RedisServer
from workers import heartbeat, runtime
from workers.queues import DEQUEUE_TIMEOUT, WORKER_SOCKET_TIMEOUT, connect, enqueue_once
from workers.worker import make_worker, supervise

T = TypeVar("T")


@pytest.fixture
def sqlite_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, redis_conn: redis.Redis) -> dict[str, str]:
    """One database is enough here: what is under test is the worker and Redis."""
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    upgrade(url)
    values = {"DATABASE_URL": url, "REDIS_URL": REDIS_URL}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    runtime.use(None)
    return values


def until(check: Callable[[], T], timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout}s")


def test_the_worker_socket_outwaits_its_blocking_dequeue() -> None:
    # redis-py 8's default socket timeout is 5 s, shorter than RQ's blocking dequeue: RQ then quits.
    assert WORKER_SOCKET_TIMEOUT > DEQUEUE_TIMEOUT
    with pytest.raises(ValueError, match="outlast its blocking dequeue"):
        make_worker(redis.Redis(), worker_ttl=60, socket_timeout=5)


def test_a_worker_process_idle_past_every_socket_timeout_takes_the_next_job(
    sqlite_env: dict[str, str], redis_conn: redis.Redis
) -> None:
    worker = subprocess.Popen(
        [sys.executable, "-c", "from contentbot.cli import main; main(['worker'])"],
        env={**os.environ, **sqlite_env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        until(lambda: Queue("low", connection=redis_conn).connection.smembers("rq:workers"))
        time.sleep(7)  # idle longer than redis-py's default 5 s socket timeout
        assert worker.poll() is None, "the worker quit while idle"
        job = enqueue_once(redis_conn, "low", heartbeat.heartbeat, "worker", job_id="after-idle")
        until(lambda: job.get_status(refresh=True) == "finished")
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
    assert "quitting" not in output.replace("done, quitting", "")


def test_a_supervised_worker_carries_on_after_redis_freezes_past_its_timeout(
    sqlite_env: dict[str, str],
) -> None:
    with RedisServer() as server:
        connection = connect(server.url, socket_timeout=1.0)
        stop = threading.Event()
        # A short blocking dequeue and socket timeout, so a 5 s freeze outlasts both.
        thread = threading.Thread(
            target=supervise,
            args=(lambda: make_worker(connection, in_thread=True, worker_ttl=16, socket_timeout=2),),
            kwargs={"stop": stop, "give_up_after": None},
            daemon=True,
        )
        thread.start()
        try:
            until(lambda: connection.smembers("rq:workers"))
            assert server.process is not None
            server.process.send_signal(signal.SIGSTOP)
            time.sleep(5)
            server.process.send_signal(signal.SIGCONT)
            job = enqueue_once(connection, "low", heartbeat.heartbeat, "worker", job_id="after-freeze")
            until(lambda: job.get_status(refresh=True) == "finished", timeout=60)
            assert thread.is_alive()
        finally:
            stop.set()
            server.process.send_signal(signal.SIGCONT)
        thread.join(timeout=10)
        assert not thread.is_alive(), "the worker did not stop when asked"


def test_supervision_gives_up_after_quick_failures_in_a_row(caplog: pytest.LogCaptureFixture) -> None:
    server = RedisServer().start()
    connection = connect(server.url, socket_timeout=0.5)
    server.stop()  # gone for good
    started = time.monotonic()
    gave_up = not supervise(
        lambda: make_worker(connection, in_thread=True, worker_ttl=16, socket_timeout=2),
        stop=threading.Event(),
        give_up_after=2,
    )
    assert gave_up
    assert time.monotonic() - started < 30
    assert "restarting in" in caplog.text and "giving up" in caplog.text


def test_healthz_is_503_until_a_worker_beats_and_app_home_says_generation_is_stalled(bot: LocalBot) -> None:
    response = httpx.get(f"{bot.web.url}/healthz")
    assert response.status_code == 503
    assert "no worker has a fresh heartbeat" in response.json()["problem"]

    bot.workspace.open_home("U0ALICE")
    home = bot.standin.wait_for(lambda: bot.standin.home("U0ALICE"))
    assert "Generation is stalled" in str(home.definition)

    stop = start_worker_thread(bot.services.redis)
    try:
        until(lambda: httpx.get(f"{bot.web.url}/healthz").status_code == 200)
        assert httpx.get(f"{bot.web.url}/healthz").json()["workers"] >= 1
    finally:
        stop.set()


def test_a_hung_redis_still_gets_an_answer_within_slacks_3_s_and_the_request_is_kept(
    database_url: str,
) -> None:
    from standins.slack import Workspace
    from storage.db import session_scope
    from storage.models import ContentRow
    from tests.generation_helpers import ORIGIN, REQUESTER, start_bot
    from workers.queues import WEB_SOCKET_TIMEOUT

    with RedisServer() as server:
        bot = start_bot(database_url, connect(server.url, socket_timeout=WEB_SOCKET_TIMEOUT))
        # Slack gives up on an app after 3 s: a client with that patience stands in for it.
        slack = Workspace(
            bot.standin,
            app_url=bot.web.url,
            signing_secret=bot.settings.slack_signing_secret or "",
            timeout=3.0,
        )
        try:
            assert server.process is not None
            server.process.send_signal(signal.SIGSTOP)
            reply = slack.slash(REQUESTER, "generate hook Air kites that loop", channel=ORIGIN)
            assert reply.status == 200
            assert "queue (Redis) is unreachable" in reply.json()["text"]
            with session_scope(database_url) as session:
                assert session.query(ContentRow).count() == 1  # kept once; the clock queues it later
        finally:
            server.process.send_signal(signal.SIGCONT)
            slack.close()
            bot.close()
