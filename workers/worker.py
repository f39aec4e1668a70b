"""The `worker` process: RQ on the queues posts, high, default, low, in that order."""

from __future__ import annotations

import redis
from rq import SimpleWorker, Worker
from rq.timeouts import TimerDeathPenalty

from workers.queues import queues


class ThreadWorker(SimpleWorker):
    """A worker that runs jobs in its own thread, for `contentbot dev` and `console`.

    Only the main thread may install signal handlers or use SIGALRM, so this worker
    leaves signals to the process owner (who stops it with `request_stop`) and times
    jobs out with a timer instead.
    """

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass


def make_worker(connection: redis.Redis, *, in_thread: bool = False) -> Worker:
    # A forking worker isolates each job in its own process (a crash or leak dies with
    # it); an in-process Redis cannot be shared across a fork, hence the thread worker.
    worker_class = ThreadWorker if in_thread else Worker
    return worker_class(queues(connection), connection=connection)


def run_worker(connection: redis.Redis, *, burst: bool = False) -> None:
    # The scheduler moves RQ Retry jobs whose back-off has passed back onto their queue.
    make_worker(connection).work(burst=burst, with_scheduler=True)
