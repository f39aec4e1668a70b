"""The HTTP underneath every TikTok call: one httpx client, explicit timeouts, and each failure shape
turned into a `TikTokError`. No retries here: whether to call again is the job's decision."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from workers.tiktok.errors import TikTokError, api_error, oauth_error

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# A 64 MB chunk over a slow uplink needs longer than a JSON call.
UPLOAD_TIMEOUT = httpx.Timeout(300.0, connect=5.0)


class Wire:
    def __init__(
        self,
        *,
        api_url: str,
        timeout: httpx.Timeout,
        upload_timeout: httpx.Timeout,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.upload_timeout = upload_timeout
        self.clock = clock
        self._http = httpx.Client(timeout=timeout, transport=transport, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def send(
        self, request: httpx.Request, *, what: str, acting: bool, timeout: httpx.Timeout | None = None
    ) -> httpx.Response:
        """Send one request. `acting` says the call changes something at TikTok (so a lost answer
        leaves the outcome unknown)."""
        if timeout is not None:
            request.extensions["timeout"] = timeout.as_dict()
        try:
            return self._http.send(request)
        except httpx.HTTPError as exc:
            raise transport_error(exc, what, acting=acting) from exc

    def call_api(
        self,
        path: str,
        access_token: str,
        *,
        what: str,
        acting: bool = False,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        method: str = "POST",
    ) -> dict[str, Any]:
        """A v2 call in the `{"data", "error"}` envelope; returns `data`."""
        headers = {"authorization": f"Bearer {access_token}"}
        request = self._http.build_request(
            method,
            self.api_url + path,
            params=params,
            headers=headers,
            # TikTok asks for the charset; httpx's json= would omit it.
            content=None if body is None else _json_bytes(body),
        )
        if body is not None:
            request.headers["content-type"] = "application/json; charset=UTF-8"
        response = self.send(request, what=what, acting=acting)
        payload = _json_object(response, what)
        error = payload.get("error")
        if not isinstance(error, dict) or not isinstance(error.get("code"), str):
            raise _bad_response(response, what, "it has no error.code")
        log_id = error.get("log_id") if isinstance(error.get("log_id"), str) else None
        # Success is code "ok" alone: TikTok sends some failures under HTTP 200 (reference §5).
        if error["code"] != "ok":
            message = error.get("message")
            message = message if isinstance(message, str) else ""
            raise api_error(error["code"], message, http_status=response.status_code, log_id=log_id)
        if not response.is_success:
            raise _bad_response(response, what, f"HTTP {response.status_code} with code ok")
        data = payload.get("data")
        return data if isinstance(data, dict) else {}

    def call_oauth(self, path: str, form: dict[str, str], *, what: str, acting: bool) -> dict[str, Any]:
        """An OAuth call: a form-encoded body, a flat JSON answer (or none: revoke's success)."""
        request = self._http.build_request("POST", self.api_url + path, data=form)
        response = self.send(request, what=what, acting=acting)
        if response.is_success and not response.content.strip():
            return {}
        payload = _json_object(response, what)
        # The status of OAuth errors is not documented (it may be 200): the body decides.
        if payload.get("error"):
            description = payload.get("error_description")
            log_id = payload.get("log_id")
            raise oauth_error(
                str(payload["error"]),
                description if isinstance(description, str) else "",
                http_status=response.status_code,
                log_id=log_id if isinstance(log_id, str) else None,
            )
        if not response.is_success:
            raise _bad_response(response, what, f"HTTP {response.status_code} without an error")
        return payload


def transport_error(exc: httpx.HTTPError, what: str, *, acting: bool) -> TikTokError:
    """A call that got no answer. Before the request went out (connect, pool) nothing can have
    happened; after, TikTok may have acted on it."""
    unsent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    maybe = acting and not unsent
    unknown = "; TikTok may have acted on it, so the outcome is unknown" if maybe else ""
    if isinstance(exc, httpx.TimeoutException) and not unsent:
        code, words = "timeout", f"TikTok did not answer {what} in time{unknown}"
    elif unsent:
        code, words = "connection_error", f"could not reach TikTok for {what}"
    else:
        code, words = "connection_error", f"the connection to TikTok broke during {what}{unknown}"
    return TikTokError(
        code, str(exc) or type(exc).__name__, reason=words, retryable=True, after_acting_possible=maybe
    )


def _json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise _bad_response(response, what, "it is not a JSON object")
    return payload


def _bad_response(response: httpx.Response, what: str, why: str) -> TikTokError:
    status = response.status_code
    if status >= 500 or status == 429:
        # A gateway's HTML error page: the same as TikTok's own internal_error / rate limit.
        code = "internal_error" if status >= 500 else "rate_limit_exceeded"
        return api_error(code, f"HTTP {status}", http_status=status, log_id=None)
    return TikTokError(
        "bad_response",
        f"HTTP {status}: {response.text[:200]}",
        reason=f"TikTok's answer to {what} could not be read ({why})",
        retryable=False,
        http_status=status,
    )


def _json_bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()
