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
    about = {"code": code, "message": message, "request_id": request_id, "http_status": http_status}
    if code == BAD_SIGN:
        return ShopError(
            f"TikTok Shop rejected the request's signature (code {BAD_SIGN}); "
            f"check TIKTOK_SHOP_APP_SECRET{note}",
            retryable=False,
            **about,
        )
    if http_status == 429:
        return ShopError(f"TikTok Shop's rate limit was hit (429){tried}{note}", retryable=True, **about)
    if http_status >= 500:
        return ShopError(
            f"TikTok Shop had a server error ({http_status}){tried}{note}", retryable=True, **about
        )
    if http_status == 401:
        return ShopError(
            f"TikTok Shop refused our credentials{detail}; reconnect the shop with "
            f"`/content shop connect` if this goes on{note}",
            retryable=False,
            **about,
        )
    if http_status == 404:
        return ShopError(f"TikTok Shop has no such thing{detail}{note}", retryable=False, **about)
    return ShopError(
        f"TikTok Shop rejected the request (code {code}){detail}{note}", retryable=False, **about
    )
