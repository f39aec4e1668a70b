"""The Redis pacer: processes share a per-key budget and wait for a slot instead of failing."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from workers.pacing import Pacer, PacingTimeout


class FakeTime:
    """A clock whose sleep moves it: the 60 s windows pass without waiting."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_seventh_init_in_a_minute_waits_for_the_first_to_leave_the_window(
    redis_conn: redis.Redis,
) -> None:
    fake = FakeTime()
    pacer = Pacer(redis_conn, clock=fake.clock, sleep=fake.sleep)
    for _ in range(6):
        assert pacer.acquire("token-a", limit=6, per_seconds=60, deadline=fake.now + 120) == 0
        fake.now += 1
    waited = pacer.acquire("token-a", limit=6, per_seconds=60, deadline=fake.now + 120)
    assert waited == pytest.approx(54)  # the first grant was at t=0; it is t=6 now
    # Another key has its own budget.
    assert pacer.acquire("token-b", limit=6, per_seconds=60, deadline=fake.now) == 0


def test_a_slot_past_the_deadline_fails_at_once_without_sleeping(redis_conn: redis.Redis) -> None:
    fake = FakeTime()
    pacer = Pacer(redis_conn, clock=fake.clock, sleep=fake.sleep)
    pacer.acquire("k", limit=1, per_seconds=60, deadline=fake.now)
    with pytest.raises(PacingTimeout) as caught:
        pacer.acquire("k", limit=1, per_seconds=60, deadline=fake.now + 30)
    assert caught.value.wait == pytest.approx(60)
    assert fake.slept == []


def test_two_threads_share_one_budget(redis_conn: redis.Redis) -> None:
    limit, window_ms = 5, 400
    grants: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        # Each thread its own connection and pacer, as separate worker processes would have. The
        # grant's instant is the pacer's last clock reading before acquire returns: the time the
        # Redis script judged it by, so the check below is exact however loaded the machine is.
        seen = threading.local()

        def clock() -> float:
            seen.now = time.time()
            return float(seen.now)

        conn = redis.Redis(connection_pool=redis_conn.connection_pool)
        pacer = Pacer(conn, clock=clock)
        for _ in range(8):
            pacer.acquire("shared", limit=limit, per_seconds=window_ms / 1000, deadline=time.time() + 60)
            with lock:
                grants.append(int(seen.now * 1000))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    grants.sort()
    assert len(grants) == 16
    # No window ever held more than `limit` grants.
    assert all(later - earlier >= window_ms for earlier, later in zip(grants, grants[limit:], strict=False))
