"""Each signed request is acted on once.

Slack signs a request with its timestamp, and Bolt accepts a signature for five minutes, so the same
signed request sent again within that window would act again (two content items from one command).
Slack itself resends an event it thinks we missed (`X-Slack-Retry-Num`), with a new signature but the
same `event_id`. Both are remembered in Redis for as long as a signature is valid, and a repeat is
answered 200 without reaching a listener.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable

import redis
from slack_bolt import BoltRequest, BoltResponse

log = logging.getLogger(__name__)

# Bolt refuses a signature older than five minutes; remembering it a little longer is enough.
REMEMBER_SECONDS = 6 * 60


def request_key(request: BoltRequest) -> str | None:
    """What makes this request the same as an earlier one: its event id, else its signature."""
    if request.body.get("type") == "event_callback" and request.body.get("event_id"):
        return f"slack-seen:event:{request.body['event_id']}"
    signature = request.headers.get("x-slack-signature", [None])[0]
    if not signature:
        return None  # Socket Mode: Slack's socket delivers once
    return f"slack-seen:sig:{hashlib.sha256(signature.encode()).hexdigest()}"


def once(connection: redis.Redis | None) -> Callable[..., BoltResponse | None]:
    """A Bolt global middleware that answers a repeat without acting on it."""

    def middleware(
        req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        key = request_key(req)
        if key is None or connection is None:
            return next()
        try:
            first = connection.set(key, "1", nx=True, ex=REMEMBER_SECONDS)
        except redis.RedisError as exc:
            # Acting twice on a rare replay beats dropping every request while Redis is away.
            log.warning(
                "could not check for a repeated request (Redis: %s); handling it", exc.__class__.__name__
            )
            return next()
        if first:
            return next()
        log.info("a repeated request (%s) was answered without acting", key.split(":")[1])
        return BoltResponse(status=200, body=json.dumps({}) if req.body.get("command") else "")

    return middleware
