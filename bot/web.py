"""The `web` process: Bolt over HTTP at /slack/events, and GET /healthz."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import redis
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text
from waitress.server import create_server

from bot.services import Services
from config.redact import redact_text
from storage.heartbeats import last_beats
from workers.queues import live_workers

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]


def health(services: Services) -> tuple[bool, dict[str, Any]]:
    """Database and Redis status, live workers, and how long ago the clock and worker last beat.

    Unhealthy (503) when a store is down or no worker has a fresh heartbeat: requests would be
    accepted and then wait for nobody.
    """
    report: dict[str, Any] = {}
    healthy = True
    try:
        with services.db() as session:
            session.execute(text("SELECT 1"))
            now = datetime.now(UTC)
            beats = {name: round((now - at).total_seconds(), 1) for name, at in last_beats(session).items()}
        report["database"] = "ok"
        report["heartbeat_age_seconds"] = beats
    except Exception as exc:  # any failure is the answer here, not a crash
        healthy = False
        report["database"] = redact_text(f"error: {exc.__class__.__name__}: {exc}")
    if services.redis is None:
        healthy = False
        report["redis"] = "unreachable at start-up"
        return healthy, report
    try:
        services.redis.ping()
        report["redis"] = "ok"
        report["workers"] = live_workers(services.redis)
    except redis.RedisError as exc:
        report["redis"] = redact_text(f"error: {exc}")
        return False, report
    if report["workers"] == 0:
        healthy = False
        report["problem"] = "no worker has a fresh heartbeat: queued generation and posts wait for nobody"
    return healthy, report


class WebApp:
    """A WSGI app: Slack's requests go to Bolt, /healthz is answered here."""

    def __init__(self, bolt: App, services: Services) -> None:
        self.services = services
        # Under Socket Mode Bolt verifies nothing (Slack's socket is trusted), so the HTTP
        # path must not reach it at all.
        self.slack = (
            None if services.settings.socket_mode else SlackRequestHandler(bolt, path="/slack/events")
        )

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            healthy, report = health(self.services)
            body = json.dumps({"ok": healthy, **report}).encode()
            status = "200 OK" if healthy else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if self.slack is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Slack events arrive over Socket Mode here."]
        return self.slack(environ, start_response)


def make_server(wsgi: WebApp, host: str, port: int) -> Any:
    """A waitress server; `.run()` serves until `.close()`, `.effective_port` is the bound port."""
    # Bolt waits for ack() on its own executor, so a handful of request threads is plenty.
    return create_server(wsgi, host=host, port=port, threads=8, ident="contentbot")
