"""The `web` process: Bolt over HTTP at /slack/events, GET /healthz, and the pages OAuth redirects
land on (GET /tiktok/callback, GET /tiktok-shop/callback)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import partial
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

import redis
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text
from waitress.server import create_server

from bot.accounts import tiktok_callback
from bot.pages import Page
from bot.services import Services
from bot.shop import shop_callback
from config.redact import redact_text
from storage.heartbeats import last_beats
from workers.accounts import CALLBACK_PATH as TIKTOK_CALLBACK
from workers.products import CALLBACK_PATH as SHOP_CALLBACK
from workers.queues import live_workers

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
# A GET route: the query string's parameters in, a page out.
Route = Callable[[Mapping[str, str]], Page]


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


def health_page(services: Services, _query: Mapping[str, str]) -> Page:
    healthy, report = health(services)
    return Page(200 if healthy else 503, json.dumps({"ok": healthy, **report}).encode(), "application/json")


class WebApp:
    """A WSGI app: Slack's requests go to Bolt; GET routes (health, OAuth redirects) are answered here."""

    def __init__(self, bolt: App, services: Services) -> None:
        self.services = services
        # Under Socket Mode Bolt verifies nothing (Slack's socket is trusted), so the HTTP
        # path must not reach it at all.
        self.slack = (
            None if services.settings.socket_mode else SlackRequestHandler(bolt, path="/slack/events")
        )
        self.routes: dict[str, Route] = {
            "/healthz": partial(health_page, services),
            TIKTOK_CALLBACK: partial(tiktok_callback, services, bolt.client),
            SHOP_CALLBACK: partial(shop_callback, services, bolt.client),
        }

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        route = self.routes.get(environ.get("PATH_INFO", ""))
        if route is not None and environ.get("REQUEST_METHOD") == "GET":
            query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
            page = route(query)
            status = f"{page.status} {HTTPStatus(page.status).phrase}"
            start_response(
                status,
                [
                    ("Content-Type", page.content_type),
                    ("Content-Length", str(len(page.body))),
                    # OAuth pages carry single-use codes in their URL: keep them out of caches and referrers.
                    ("Cache-Control", "no-store"),
                    ("Referrer-Policy", "no-referrer"),
                ],
            )
            return [page.body]
        if self.slack is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Slack events arrive over Socket Mode here."]
        return self.slack(environ, start_response)


def make_server(wsgi: WebApp, host: str, port: int) -> Any:
    """A waitress server; `.run()` serves until `.close()`, `.effective_port` is the bound port."""
    # Bolt waits for ack() on its own executor, so a handful of request threads is plenty.
    return create_server(wsgi, host=host, port=port, threads=8, ident="contentbot")
