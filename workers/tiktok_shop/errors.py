"""What went wrong talking to TikTok Shop, in words a person can act on."""

from __future__ import annotations

BAD_SIGN = 106001  # the one code seen live (reference §4.2); the others TikTok sends are unconfirmed


class ShopError(Exception):
    """TikTok Shop could not be reached, or refused or failed a call.

    `reason` is for people (Slack, a post's thread); `retryable` says whether the same call later may
    succeed. `code` and `request_id` come from TikTok's envelope when there was one: TikTok support asks
    for the request id.
    """

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        code: int | None = None,
        message: str = "",
        request_id: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.code = code
        self.message = message
        self.request_id = request_id
        self.http_status = http_status


def shop_error(
    *, http_status: int, code: int | None, message: str, request_id: str | None, attempts: int
) -> ShopError:
    """The error for an answer that is not a success: by HTTP status first, since the envelope's
    codes beyond 106001 are not documented where we could read them."""
    note = f" (request {request_id})" if request_id else ""
    detail = f": {message}" if message else ""
    tried = f"; tried {attempts} times" if attempts > 1 else ""
    retryable = http_status == 429 or http_status >= 500
    if code == BAD_SIGN:
        reason = (
            f"TikTok Shop rejected the request's signature (code {BAD_SIGN}); check TIKTOK_SHOP_APP_SECRET"
        )
    elif http_status == 429:
        reason = f"TikTok Shop's rate limit was hit (429){tried}"
    elif http_status >= 500:
        reason = f"TikTok Shop had a server error ({http_status}){tried}"
    elif http_status == 401:
        reason = (
            f"TikTok Shop refused our credentials{detail}; "
            "reconnect the shop with `/content shop connect` if this goes on"
        )
    elif http_status == 404:
        reason = f"TikTok Shop has no such thing{detail}"
    else:
        reason = f"TikTok Shop rejected the request (code {code}){detail}"
    return ShopError(
        reason + note,
        retryable=retryable and code != BAD_SIGN,
        code=code,
        message=message,
        request_id=request_id,
        http_status=http_status,
    )
