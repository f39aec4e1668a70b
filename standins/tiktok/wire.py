"""TikTok's answer shapes (reference §0, §2, §5): the v2 envelope, OAuth's flat errors, log ids."""

from __future__ import annotations

import json
import secrets
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qsl

from standins.loopback import Answer, Request


class ApiError(Exception):
    """Stops handling a v2 request; becomes `{"data": {}, "error": {code, message, log_id}}`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class OAuthError(Exception):
    """Stops handling a token request; becomes `{"error", "error_description", "log_id"}`."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def invalid_param(message: str) -> ApiError:
    # The posting pages spell it singular; the Display pages use invalid_params (see display.py).
    return ApiError(400, "invalid_param", message)


def log_id(now: float) -> str:
    """TikTok's shape: the UTC time as YYYYMMDDhhmmss, then upper-case hex."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(now)) + secrets.token_hex(10).upper()


def ok(data: dict[str, Any], now: float) -> Answer:
    return Answer.json({"data": data, "error": {"code": "ok", "message": "", "log_id": log_id(now)}})


def api_error(error: ApiError, now: float) -> Answer:
    body = {"data": {}, "error": {"code": error.code, "message": error.message, "log_id": log_id(now)}}
    return Answer.json(body, error.status)


def oauth_error(error: OAuthError, now: float) -> Answer:
    body = {"error": error.error, "error_description": error.description, "log_id": log_id(now)}
    return Answer.json(body, error.status)


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; an empty body counts as `{}` (creator_info sends none)."""
    if not request.body:
        return {}
    try:
        body = json.loads(request.body)
    except ValueError:
        raise invalid_param("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise invalid_param("The request body must be a JSON object.")
    return body


def form_body(request: Request) -> dict[str, str]:
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise OAuthError("invalid_request", "The request parameters are malformed.")
    return dict(parse_qsl(request.body.decode(errors="replace"), keep_blank_values=True))


def query(request: Request) -> dict[str, str]:
    return dict(parse_qsl(request.query, keep_blank_values=True))


class SlidingWindow:
    """At most `limit` events in any `seconds`: TikTok's per-token limits (reference §1.9)."""

    def __init__(self) -> None:
        self._events: dict[tuple[str, str], deque[float]] = {}

    def allow(self, key: tuple[str, str], limit: int, seconds: float, now: float) -> bool:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - seconds:
            events.popleft()
        if len(events) >= limit:
            return False
        events.append(now)
        return True

    def clear(self) -> None:
        self._events.clear()
