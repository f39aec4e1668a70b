"""The Bolt app: one listener module per surface, registered here."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot import (
    accounts,
    alerts,
    bulk,
    channels,
    commands,
    contents,
    experiments,
    generate,
    home,
    inputs,
    library,
    posts,
    replays,
    review,
    schedule,
    shop,
)
from bot.services import Services

log = logging.getLogger(__name__)


def build_app(services: Services) -> App:
    settings = services.settings
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    # Listeners answer within 3 s, so one short 429 retry at most; workers use their own client.
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret,
        # auth.test at construction would make start-up depend on Slack being reachable;
        # a bad token shows on the first call instead, in the log.
        token_verification_enabled=False,
        # Socket Mode has no signature; over HTTP, Bolt refuses unsigned requests with 401.
        request_verification_enabled=not settings.socket_mode,
    )
    app.middleware(replays.once(services.redis))
    inputs.register(app)
    commands.register(app, services)
    for surface in (
        channels,
        accounts,
        generate,
        review,
        contents,
        schedule,
        bulk,
        posts,
        shop,
        library,
        experiments,
        alerts,
    ):
        surface.register(app, services)
    home.register(app, services)
    return app
