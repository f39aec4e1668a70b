"""A whole contentbot on one machine against the local Slack stand-in: the console, tests and benchmarks.

Everything is real (the Bolt app over HTTP with signed requests, the database, RQ) except
the network end: Slack's Web API is `standins.slack`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

import redis
from apscheduler.schedulers.background import BackgroundScheduler
from rq import Worker

from bot.services import Services
from config.settings import Settings
from contentbot.processes import Web, make_web
from standins.slack import Channel, SlackStandIn, User, Workspace
from workers import runtime
from workers.clock import Clock, build_scheduler
from workers.queues import CLOCK_SOCKET_TIMEOUT, with_timeout
from workers.worker import make_worker

USERS = (
    User("U0ALICE", "alice", "Alice Ames"),  # a reviewer
    User("U0BOB", "bob", "Bob Bell"),  # a requester who may not approve
)
CHANNELS = (
    Channel("C0CONTENT", "content"),  # where people type /content
    Channel("C0REVIEW", "content-review"),
    Channel("C0ALERTS", "content-alerts"),
    Channel("C0DIGEST", "content-digest"),
)


@dataclass
class LocalBot:
    settings: Settings
    services: Services
    standin: SlackStandIn
    web: Web
    workspace: Workspace
    worker: Worker
    scheduler: BackgroundScheduler | None = field(default=None)

    def run_jobs(self) -> bool:
        """Run every queued job now, in this thread; True if any ran."""
        return self.worker.work(burst=True)

    def close(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.workspace.close()
        self.web.stop()
        self.standin.stop()
        runtime.use(None)


def start_local(
    settings: Settings,
    connection: redis.Redis,
    *,
    with_clock: bool = False,
    workspace_file: Path | None = None,
) -> LocalBot:
    """Start the stand-in and the web app on free loopback ports, with settings pointing at them.

    With `workspace_file` the workspace's messages are kept there across restarts.
    """
    standin = SlackStandIn(users=USERS, channels=CHANNELS, state_file=workspace_file).start()
    secret = secrets.token_hex(16)
    settings = settings.model_copy(
        update={
            "slack_bot_token": standin.bot_token,
            "slack_api_url": standin.api_url,
            "slack_signing_secret": secret,
            "slack_app_token": None,
            "review_channel": settings.review_channel or "C0REVIEW",
            "alert_channel": settings.alert_channel or "C0ALERTS",
            "digest_channel": settings.digest_channel or "C0DIGEST",
            "reviewers": settings.reviewers or ["U0ALICE"],
        }
    )
    runtime.use(settings)
    services = Services(settings, connection)
    web = make_web(services, host="127.0.0.1", port=0)
    web.start_thread()
    workspace = Workspace(standin, app_url=web.url, signing_secret=secret)
    bot = LocalBot(settings, services, standin, web, workspace, make_worker(connection, in_thread=True))
    if with_clock:
        bot.scheduler = build_scheduler(
            Clock(with_timeout(connection, CLOCK_SOCKET_TIMEOUT), settings.database_url),
            settings.timezone,
            BackgroundScheduler(),
        )
        bot.scheduler.start()
    return bot
