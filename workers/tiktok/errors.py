"""`TikTokError`: every way a TikTok call can fail, with TikTok's code, `log_id` and plain words.

TikTok signals failure in three shapes (reference §0, §5): the v2 envelope's `error.code` (anything
but "ok" is a failure, even under HTTP 200), OAuth's flat `{"error", "error_description"}`, and bare
HTTP statuses from the upload host. Each becomes one `TikTokError` whose `reason` a person can read
in Slack and whose flags tell the job what may be done next.
"""

from __future__ import annotations

# code -> (plain words, retryable). "Retryable" means running the same call again soon may succeed;
# quota codes are not: they clear when TikTok's 24 h window rolls, so the job reschedules instead.
_API_CODES: dict[str, tuple[str, bool]] = {
    "access_token_invalid": (
        "TikTok no longer accepts this account's access token; it must be refreshed, or the account reconnected",
        False,
    ),
    "scope_not_authorized": (
        "the TikTok account did not grant the permission this needs; reconnect it and allow every permission asked",
        False,
    ),
    "scope_permission_missed": ("the TikTok account did not grant the permission this field needs", False),
    "invalid_param": ("TikTok rejected the request as malformed", False),
    "invalid_params": ("TikTok rejected the request as malformed", False),
    "invalid_file_upload": ("TikTok rejected the video file", False),
    "rate_limit_exceeded": ("TikTok's per-minute rate limit for this account was hit; wait a minute", True),
    "internal_error": ("TikTok had a server error", True),
    "spam_risk_too_many_posts": (
        "this account reached TikTok's daily limit of posts through apps; it resets within 24 hours",
        False,
    ),
    "reached_active_user_cap": (
        "the app reached TikTok's daily cap of accounts that may post through it; it resets within 24 hours",
        False,
    ),
    "spam_risk_too_many_pending_share": (
        "this account has 5 drafts waiting in its TikTok inbox; finish or discard some in the TikTok app first",
        False,
    ),
    "spam_risk_user_banned_from_posting": ("TikTok has banned this account from posting", False),
    "unaudited_client_can_only_post_to_private_accounts": (
        "this account is public; an unaudited app may post only to private accounts, as 'Only me'",
        False,
    ),
    "url_ownership_unverified": (
        "the video's URL is not on a domain verified for this app in TikTok's developer portal; upload the file instead",
        False,
    ),
    "privacy_level_option_mismatch": (
        "the chosen privacy is not one this account offers; pick it again from the account's options",
        False,
    ),
    "invalid_publish_id": ("TikTok does not know this publish id (wrong, or expired)", False),
    "token_not_authorized_for_specified_publish_id": (
        "this publish id belongs to another TikTok account",
        False,
    ),
}

_OAUTH_CODES: dict[str, tuple[str, bool]] = {
    "access_denied": ("the person declined to connect the TikTok account", False),
    "invalid_client": ("TikTok does not accept TIKTOK_CLIENT_KEY/TIKTOK_CLIENT_SECRET", False),
    "invalid_grant": (
        "TikTok refused the grant (expired, already used or revoked); reconnect the account",
        False,
    ),
    # A redirect-URI mismatch comes back as invalid_request (reference §6b): also "reconnect".
    "invalid_request": ("TikTok refused the authorisation request; reconnect the account", False),
    "invalid_scope": ("TikTok does not know a permission the app asked for", False),
    "unauthorized_client": ("this app may not use that kind of authorisation", False),
    "unsupported_grant_type": ("TikTok does not support that kind of grant", False),
    "unsupported_response_type": ("TikTok does not support that kind of authorisation", False),
    "server_error": ("TikTok's login service had a server error", True),
    "temporarily_unavailable": ("TikTok's login service is temporarily unavailable", True),
}

# A post's fail_reason from status/fetch (reference §1.7): plain words and whether a new init may help.
_FAIL_REASONS: dict[str, tuple[str, bool]] = {
    "file_format_check_failed": ("TikTok could not read the video's format", False),
    "duration_check_failed": ("the video is longer (or shorter) than this account may post", False),
    "frame_rate_check_failed": ("the video's frame rate is outside 23-60 fps", False),
    "picture_size_check_failed": ("the video's size in pixels is outside what TikTok accepts", False),
    "internal": ("TikTok failed while processing the video", True),
    "video_pull_failed": ("TikTok could not download the video from its URL", False),
    "photo_pull_failed": ("TikTok could not download the photos from their URLs", False),
    "publish_cancelled": ("the post was cancelled", False),
    "auth_removed": ("the account removed this app's access while posting; reconnect it", False),
    "spam_risk_too_many_posts": ("this account reached TikTok's daily limit of posts through apps", False),
    "spam_risk_user_banned_from_posting": ("TikTok has banned this account from posting", False),
    "spam_risk_text": ("TikTok flagged the caption as spam; edit it", False),
    "spam_risk": ("TikTok flagged the post as spam", False),
}

RECONNECT_CODES = frozenset(
    {"scope_not_authorized", "invalid_grant", "invalid_request", "access_denied", "auth_removed"}
)


class TikTokError(Exception):
    """A TikTok call failed. `code` is TikTok's (or ours for transport failures: `timeout`,
    `connection_error`, `bad_response`, `upload_*`); `after_acting_possible` means TikTok may have
    done what was asked although no answer came (never repeat such a call blindly)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        reason: str,
        retryable: bool,
        http_status: int | None = None,
        log_id: str | None = None,
        after_acting_possible: bool = False,
    ) -> None:
        super().__init__(f"{reason} ({code}{f', log_id {log_id}' if log_id else ''})")
        self.code = code
        self.message = message
        self.reason = reason
        self.retryable = retryable
        self.http_status = http_status
        self.log_id = log_id
        self.after_acting_possible = after_acting_possible

    @property
    def token_expired(self) -> bool:
        """Refreshing the access token and calling again may succeed."""
        return self.code == "access_token_invalid"

    @property
    def needs_reconnect(self) -> bool:
        """Only a person reconnecting the account can fix this."""
        return self.code in RECONNECT_CODES


def api_error(code: str, message: str, *, http_status: int, log_id: str | None) -> TikTokError:
    words, retryable = _API_CODES.get(code, (None, http_status >= 500 or http_status == 429))
    if words is None:
        words = f"TikTok refused the request: {message or code}"
    elif code.startswith("invalid_param") and message:
        words = f"{words}: {message}"
    return TikTokError(
        code, message, reason=words, retryable=retryable, http_status=http_status, log_id=log_id
    )


def oauth_error(code: str, description: str, *, http_status: int, log_id: str | None) -> TikTokError:
    words, retryable = _OAUTH_CODES.get(
        code, (f"TikTok refused the authorisation: {description or code}", False)
    )
    return TikTokError(
        code, description, reason=words, retryable=retryable, http_status=http_status, log_id=log_id
    )


def fail_reason_words(fail_reason: str) -> tuple[str, bool]:
    """A status's `fail_reason` in plain words, and whether a new init may succeed."""
    return _FAIL_REASONS.get(fail_reason, (f"TikTok failed the post ({fail_reason})", False))
