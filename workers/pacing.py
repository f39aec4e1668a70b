"""Rate pacing shared by every worker process: wait for a slot rather than meet a 429.

TikTok allows, per access token, e.g. 6 inits and 30 status fetches in any 60 s (reference §1.9). A
sliding-window log per key lives in Redis (a sorted set of grant times); one Lua script trims it,
counts and grants atomically, so processes racing for the last slot cannot both win. A caller who
cannot be served before its deadline is told at once instead of sleeping past it.

Times come from the caller's clock (`time.time` by default), so workers on several hosts need
synchronised clocks; leave a little margin in `per_seconds` for the time a request takes to reach
TikTok.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import redis

# KEYS[1]: the log. ARGV: limit, window (ms), now (ms), a unique member.
# Returns 0 when a slot was granted, else the milliseconds until the oldest grant leaves the window.
_ACQUIRE = """
local key, limit, window, now = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, window)
  return 0
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
"""


class PacingTimeout(Exception):
    """No slot frees up before the caller's deadline."""

    def __init__(self, key: str, wait: float) -> None:
        super().__init__(f"the next slot for {key} is {wait:.1f}s away, past the deadline")
        self.key = key
        self.wait = wait


class Pacer:
    def __init__(
        self,
        conn: redis.Redis,
        *,
        prefix: str = "pace:",
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._conn = conn
        self._prefix = prefix
        self._clock = clock
        self._sleep = sleep
        self._script = conn.register_script(_ACQUIRE)

    def now(self) -> float:
        """The pacer's clock, on which deadlines are given."""
        return self._clock()

    def acquire(self, key: str, *, limit: int, per_seconds: float, deadline: float) -> float:
        """Take one of `limit` slots per `per_seconds` for `key`, waiting for one if need be; returns
        the seconds waited. `deadline` is an instant on the pacer's clock; raises PacingTimeout, without
        waiting, when the next free slot comes later than that."""
        if limit < 1 or per_seconds <= 0:
            raise ValueError("limit must be at least 1 and per_seconds positive")
        started = self._clock()
        window_ms = int(per_seconds * 1000)
        while True:
            now = self._clock()
            member = f"{now:.6f}-{uuid.uuid4().hex}"
            wait_ms = int(
                self._script(keys=[self._prefix + key], args=[limit, window_ms, int(now * 1000), member])
            )
            if wait_ms == 0:
                return now - started
            wait = wait_ms / 1000
            if now + wait > deadline:
                raise PacingTimeout(key, wait)
            # Another process may take the slot first; then the script names the next wait.
            self._sleep(wait)
