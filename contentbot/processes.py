"""Start the three processes (web, worker, clock), alone or together for one machine."""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from typing import Any

import redis
from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App

from bot.app import build_app
from bot.services import Services
from bot.web import WebApp, make_server
from config.errors import SetupError
from config.redact import redact_text
from config.settings import Settings
from workers import generate
from workers.clock import Clock, build_scheduler
from workers.queues import (
    CLOCK_SOCKET_TIMEOUT,
    WEB_SOCKET_TIMEOUT,
    WORKER_SOCKET_TIMEOUT,
    connect,
    with_timeout,
)
from workers.worker import make_worker, run_worker, supervise

log = logging.getLogger("contentbot")


def check_slack(settings: Settings) -> None:
    if not settings.slack_bot_token:
        raise SetupError(
            "SLACK_BOT_TOKEN is not set, so there is no workspace to talk to. "
            "Set it (see README: 'Connect a real workspace'), or try `contentbot console`."
        )
    if not (settings.slack_signing_secret or settings.slack_app_token):
        raise SetupError("Set SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode): see README.")


def say_missing(settings: Settings) -> None:
    for note in settings.missing():
        log.warning("%s", note)


@dataclass
class Web:
    """The web process's parts, so `dev` and `console` can run them in threads."""

    app: App
    server: Any
    stopping: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.effective_port}"

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self._serve, name="web", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stopping = True
        self.server.close()

    def _serve(self) -> None:
        try:
            self.server.run()
        except (OSError, ValueError):
            # waitress's loop may still be in select() on the socket stop() just closed.
            if not self.stopping:
                raise


def make_web(services: Services, *, host: str = "0.0.0.0", port: int | None = None) -> Web:
    app = build_app(services)
    server = make_server(WebApp(app, services), host, services.settings.port if port is None else port)
    if services.settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        SocketModeHandler(app, services.settings.slack_app_token).connect()
        log.info("Slack events arrive over Socket Mode")
    return Web(app=app, server=server)


def redis_or_none(settings: Settings) -> redis.Redis | None:
    try:
        return connect(settings.redis_url, socket_timeout=WEB_SOCKET_TIMEOUT)
    except Exception as exc:
        log.error("%s Commands that enqueue work will say so.", redact_text(str(exc)))
        return None


def run_web(settings: Settings) -> None:
    check_slack(settings)
    say_missing(settings)
    web = make_web(Services(settings, redis_or_none(settings)))
    log.info("web: listening on port %s, Slack events at /slack/events, health at /healthz", settings.port)
    web.server.run()


def run_worker_process(settings: Settings) -> None:
    say_missing(settings)
    generate.preload()
    if not run_worker(connect(settings.redis_url, socket_timeout=WORKER_SOCKET_TIMEOUT)):
        raise SystemExit(1)


def run_clock(settings: Settings) -> None:
    clock = Clock(connect(settings.redis_url, socket_timeout=CLOCK_SOCKET_TIMEOUT), settings.database_url)
    log.info("clock: ticking every few seconds; one leader at a time")
    build_scheduler(clock, settings.timezone).start()


def run_dev(settings: Settings) -> None:
    """web, worker and clock in one process, for one machine."""
    check_slack(settings)
    say_missing(settings)
    connection = connect(settings.redis_url, socket_timeout=WEB_SOCKET_TIMEOUT, in_process_fallback=True)
    services = Services(settings, connection)
    web = make_web(services)
    web.start_thread()
    scheduler = build_scheduler(
        Clock(with_timeout(connection, CLOCK_SOCKET_TIMEOUT), settings.database_url),
        settings.timezone,
        BackgroundScheduler(),
    )
    scheduler.start()
    stop = start_worker_thread(connection)
    log.info("dev: web on port %s, worker and clock running; Ctrl-C stops all three", settings.port)
    wait_for_stop()
    stop.set()
    scheduler.shutdown(wait=False)
    web.stop()


def start_worker_thread(connection: redis.Redis, **work_options: Any) -> threading.Event:
    """A supervised thread worker that restarts with back-off for as long as the process runs;
    set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(
        target=supervise,
        args=(lambda: make_worker(connection, in_thread=True),),
        kwargs={"stop": stop, "give_up_after": None, **work_options},
        name="worker",
        daemon=True,
    ).start()
    return stop


def wait_for_stop() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1):
            pass
    except KeyboardInterrupt:
        pass
