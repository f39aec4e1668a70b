"""The `clock` process: APScheduler ticks that find due work and enqueue it.

Only one clock acts at a time: each tick first takes or renews a Redis lock with an
expiry, so a second `clock` (a second machine, a restart overlap) idles until the first
one stops renewing.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import redis
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from redis.lock import Lock

from storage.db import optimize, session_scope
from storage.heartbeats import beat
from storage.installation import installation_id
from workers import (
    alerts,
    dashboard,
    digest,
    followup,
    generate,
    heartbeat,
    metrics,
    product_tags,
    products,
    publish,
    reminders,
)
from workers.queues import enqueue_every

log = logging.getLogger(__name__)

TICK_SECONDS = 5
PUBLISH_TICK_SECONDS = 1
LEASE_SECONDS = 15
WORKER_HEARTBEAT_SECONDS = 30
MAINTAIN_HOURS = 6
SHOP_MINUTES = 60


class Leader:
    """The clock leader lock; `hold()` is true while this process is the leader."""

    def __init__(self, connection: redis.Redis, name: str = "contentbot-clock-leader") -> None:
        # thread_local=False: APScheduler runs ticks on its own pool threads.
        self.lock = Lock(connection, name, timeout=LEASE_SECONDS, thread_local=False)
        self.token = uuid.uuid4().hex

    def hold(self) -> bool:
        try:
            if self.lock.owned():
                self.lock.reacquire()
                return True
            return self.lock.acquire(blocking=False, token=self.token)
        except redis.RedisError as exc:
            log.warning("clock: cannot reach Redis for the leader lock: %s", exc)
            return False


class Clock:
    def __init__(self, connection: redis.Redis, database_url: str) -> None:
        self.connection = connection
        self.database_url = database_url
        self.leader = Leader(connection)

    def tick(self, now: datetime | None = None) -> bool:
        """One pass; False when another clock is the leader."""
        if not self.leader.hold():
            return False
        now = now or datetime.now(UTC)
        with session_scope(self.database_url) as session:
            beat(session, "clock", now)
        enqueue_every(
            self.connection,
            "low",
            heartbeat.heartbeat,
            "worker",
            name="heartbeat-worker",
            seconds=WORKER_HEARTBEAT_SECONDS,
            now=now,
        )
        generate.recover(self.connection, self.database_url, now)
        followup.sweep(self.connection, self.database_url, now)
        reminders.sweep(self.connection, self.database_url, now)
        digest.schedule_digest(self.connection, self.database_url, now)
        dashboard.schedule_refresh(self.connection, self.database_url, now)
        return True

    def publish_tick(self, now: datetime | None = None) -> bool:
        """Due posts, every second: a post starts within a second or two of its time, never early."""
        if not self.leader.hold():
            return False
        publish.sweep(self.connection, self.database_url, now or datetime.now(UTC))
        return True

    def shop(self, now: datetime | None = None) -> bool:
        """Every hour: the shop's catalogue synced (its token refreshed on the way, days before it
        lapses) and yesterday's posts' product tags read from Shop analytics. Each is a job, once per
        hour; both do nothing while no shop is connected."""
        if not self.leader.hold():
            return False
        now, installation = now or datetime.now(UTC), installation_id(self.database_url)
        enqueue_every(
            self.connection,
            "low",
            products.sync_catalogue_job,
            name=f"shop-sync-{installation}",
            seconds=3600,
            now=now,
        )
        enqueue_every(
            self.connection,
            "low",
            product_tags.check_tags_job,
            name=f"shop-tags-{installation}",
            seconds=3600,
            now=now,
        )
        return True

    def monitor(self, now: datetime | None = None) -> bool:
        """Metrics due for collection queued, every alert rule swept, and the workers watched from here
        (a sweep needs a worker: silent workers are told by the clock)."""
        if not self.leader.hold():
            return False
        now = now or datetime.now(UTC)
        metrics.schedule(self.connection, self.database_url, now)
        alerts.enqueue_sweep(self.connection, self.database_url, now)
        alerts.watch("worker", now)
        return True

    def maintain(self) -> bool:
        """Database housekeeping the leader does a few times a day."""
        if not self.leader.hold():
            return False
        optimize(self.database_url)
        return True


def build_scheduler(clock: Clock, timezone: str, scheduler: BaseScheduler | None = None) -> BaseScheduler:
    scheduler = scheduler or BlockingScheduler()
    scheduler.configure(
        timezone=timezone,
        # The default 1 s grace silently drops a tick that starts late (a busy machine, a
        # GC pause); a late tick is still worth running, and coalesce folds a backlog into one.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
    )
    # The first tick runs at once: a restarted clock should not leave due work waiting a full interval.
    scheduler.add_job(
        clock.tick,
        "interval",
        seconds=TICK_SECONDS,
        id="tick",
        replace_existing=True,
        next_run_time=datetime.now(ZoneInfo(timezone)),
    )
    scheduler.add_job(
        clock.publish_tick,
        "interval",
        seconds=PUBLISH_TICK_SECONDS,
        id="posts",
        replace_existing=True,
        next_run_time=datetime.now(ZoneInfo(timezone)),
    )
    scheduler.add_job(
        clock.shop,
        "interval",
        minutes=SHOP_MINUTES,
        id="shop",
        replace_existing=True,
        next_run_time=datetime.now(ZoneInfo(timezone)),
    )
    scheduler.add_job(
        clock.monitor,
        "interval",
        seconds=alerts.MONITOR_SECONDS,
        id="monitor",
        replace_existing=True,
        next_run_time=datetime.now(ZoneInfo(timezone)),
    )
    scheduler.add_job(clock.maintain, "interval", hours=MAINTAIN_HOURS, id="maintain", replace_existing=True)
    return scheduler
