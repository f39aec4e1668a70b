"""The `worker` process: RQ on the queues posts, high, default, low, in that order, kept running.

RQ's work loop returns for good on a Redis timeout or an unexpected error. `supervise` starts a new
worker after such a return, with back-off, and says so in the log; a worker process gives up after a
few quick failures in a row and exits non-zero, so its process manager restarts it, while `dev` and
the console keep trying.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from rq import SimpleWorker, Worker
from rq.exceptions import StopRequested
from rq.timeouts import TimerDeathPenalty
from rq.worker import BaseWorker

from config.redact import redact_text
from workers.alerts import watch
from workers.queues import WORKER_SOCKET_TIMEOUT, WORKER_TTL, queues, with_timeout

log = logging.getLogger(__name__)

# A worker that ran this long before its loop ended was healthy: the failure count starts again.
HEALTHY_AFTER = 60.0
FIRST_DELAY = 1.0
MAX_DELAY = 30.0
PROCESS_GIVES_UP_AFTER = 5


class _StopAware:
    """Remembers that a stop was asked for, so the supervisor tells a stop from a crash."""

    stopped_on_request = False

    def request_stop(self, signum: Any, frame: Any) -> None:
        self.stopped_on_request = True
        super().request_stop(signum, frame)  # type: ignore[misc]

    def stop_soon(self) -> None:
        """Stop after the current job or dequeue wait, from any thread (request_stop needs the main one)."""
        self.stopped_on_request = True
        self._stop_requested = True

    def heartbeat(self, *args: Any, **kwargs: Any) -> None:
        # RQ's idle loop checks for a stop only on a signal; it beats between every blocking wait,
        # so a stop asked for from another thread is honoured here.
        if self.stopped_on_request and getattr(self, "_stop_requested", False):
            raise StopRequested()
        super().heartbeat(*args, **kwargs)  # type: ignore[misc]


class ProcessWorker(_StopAware, Worker):
    """Forks a work horse per job: a crash or leak dies with the job."""


class ThreadWorker(_StopAware, SimpleWorker):
    """A worker that runs jobs in its own thread, for `contentbot dev` and `console`.

    Only the main thread may install signal handlers or use SIGALRM, so this worker
    leaves signals to the process owner (who stops it with `request_stop`) and times
    jobs out with a timer instead.
    """

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass


def make_worker(
    connection: redis.Redis,
    *,
    in_thread: bool = False,
    worker_ttl: int = WORKER_TTL,
    socket_timeout: float = WORKER_SOCKET_TIMEOUT,
) -> ProcessWorker | ThreadWorker:
    # A forking worker isolates each job in its own process; an in-process Redis cannot be
    # shared across a fork, hence the thread worker. The worker's own connection outwaits its
    # blocking dequeue of `worker_ttl - 15` seconds (workers.queues).
    if socket_timeout <= worker_ttl - 15:
        raise ValueError("a worker's socket timeout must outlast its blocking dequeue (worker_ttl - 15 s)")
    connection = with_timeout(connection, socket_timeout)
    worker_class = ThreadWorker if in_thread else ProcessWorker
    return worker_class(queues(connection), connection=connection, worker_ttl=worker_ttl)


def supervise(
    new_worker: Callable[[], BaseWorker],
    *,
    stop: threading.Event,
    give_up_after: int | None,
    **work_options: Any,
) -> bool:
    """Run workers one after another until a stop is asked for; False when it gave up."""
    failures = 0
    current: list[BaseWorker] = []

    def stop_current() -> None:
        stop.wait()
        for worker in current:
            getattr(worker, "stop_soon", lambda: None)()

    threading.Thread(target=stop_current, name="worker-stop", daemon=True).start()
    while not stop.is_set():
        started = time.monotonic()
        worker: BaseWorker | None = None
        try:
            worker = new_worker()
            current[:] = [worker]
            worker.work(**work_options)
        except redis.RedisError as exc:  # before RQ's loop: building or registering the worker
            log.error("worker: Redis failed before the worker could start: %s", redact_text(str(exc)))
        if stop.is_set() or getattr(worker, "stopped_on_request", False):
            return True
        failures = 1 if time.monotonic() - started > HEALTHY_AFTER else failures + 1
        if give_up_after is not None and failures > give_up_after:
            log.error(
                "worker: stopped %s times in a row; giving up so the process manager restarts it", failures
            )
            return False
        delay = min(MAX_DELAY, FIRST_DELAY * 2 ** (failures - 1))
        log.warning("worker: its loop ended (see the error above); restarting in %.0f s", delay)
        stop.wait(delay)
    return True


# Each worker process checks the clock's heartbeat this often: with the clock down nothing else would.
WATCH_CLOCK_SECONDS = 60


def watch_clock(stop: threading.Event) -> None:
    while not stop.wait(WATCH_CLOCK_SECONDS):
        try:
            watch("clock")
        except Exception as exc:  # a database or Slack hiccup: the next look may succeed
            log.warning("worker: could not check the clock's heartbeat: %s", redact_text(str(exc)))


def run_worker(connection: redis.Redis) -> bool:
    """The worker process's loop, and its watch on the clock; False when it gave up."""
    threading.Thread(target=watch_clock, args=(threading.Event(),), name="watch-clock", daemon=True).start()
    # The scheduler moves RQ Retry jobs whose back-off has passed back onto their queue.
    return supervise(
        lambda: make_worker(connection),
        stop=threading.Event(),
        give_up_after=PROCESS_GIVES_UP_AFTER,
        with_scheduler=True,
    )
