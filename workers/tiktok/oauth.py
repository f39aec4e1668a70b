"""OAuth v2 (reference §2): the authorize URL, code exchange, refresh with rotation, revoke."""

from __future__ import annotations

import hashlib
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from workers.tiktok.errors import TikTokError
from workers.tiktok.wire import Wire

TOKEN_PATH = "/v2/oauth/token/"
REVOKE_PATH = "/v2/oauth/revoke/"
AUTHORIZE_PATH = "/v2/auth/authorize/"
# What contentbot needs (reference §2): the username builds post links; list reads metrics.
SCOPES = ("user.info.basic", "user.info.profile", "video.publish", "video.upload", "video.list")
_VERIFIER_CHARS = string.ascii_letters + string.digits + "-._~"


@dataclass(frozen=True)
class Tokens:
    """One grant's tokens. Expiry instants come from TikTok's `expires_in` and `refresh_expires_in`,
    counted from when the request was sent (so never later than TikTok's own). Tokens stay out of
    repr, so a logged Tokens shows no secret."""

    open_id: str
    scopes: frozenset[str]
    access_token: str = field(repr=False)
    access_expires_at: datetime
    refresh_token: str = field(repr=False)
    refresh_expires_at: datetime

    def missing_scopes(self, wanted: Iterable[str] = SCOPES) -> set[str]:
        """Scopes asked for but not granted: a person may untick some on TikTok's consent page."""
        return set(wanted) - self.scopes


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, code_challenge) as TikTok checks them: the challenge is the hex SHA-256 of the
    verifier, not RFC 7636's base64url. Only desktop and mobile apps need PKCE; a web app does not."""
    verifier = "".join(secrets.choice(_VERIFIER_CHARS) for _ in range(64))
    return verifier, hashlib.sha256(verifier.encode()).hexdigest()


class OAuth(Wire):
    client_key: str
    client_secret: str
    auth_url: str

    def authorize_url(
        self,
        state: str,
        *,
        redirect_uri: str,
        scopes: Iterable[str] = SCOPES,
        code_challenge: str | None = None,
    ) -> str:
        """Where to send the person who connects an account; TikTok redirects back to
        `redirect_uri` with `code` and `state` (or `error`)."""
        params = {
            "client_key": self.client_key,
            "scope": ",".join(scopes),
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "state": state,
        }
        if code_challenge is not None:
            params |= {"code_challenge": code_challenge, "code_challenge_method": "S256"}
        return f"{self.auth_url.rstrip('/')}{AUTHORIZE_PATH}?{urlencode(params)}"

    def exchange_code(self, code: str, *, redirect_uri: str, code_verifier: str | None = None) -> Tokens:
        """Tokens for the `code` TikTok's redirect carried (already URL-decoded: codes hold `*` and
        `!`). `redirect_uri` must be byte-identical to the one given to `authorize_url`."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if code_verifier is not None:
            form["code_verifier"] = code_verifier
        return self._tokens(form, "the code exchange")

    def refresh(self, refresh_token: str) -> Tokens:
        """New tokens. The refresh token rotates: the one passed in stops working, so store the new
        one before using the new access token. A lost answer (`after_acting_possible`) may have
        rotated it already."""
        return self._tokens(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}, "the token refresh"
        )

    def revoke(self, access_token: str) -> None:
        """Remove the app's access to the account (every token of the grant stops working)."""
        form = {"client_key": self.client_key, "client_secret": self.client_secret, "token": access_token}
        self.call_oauth(REVOKE_PATH, form, what="the revoke", acting=True)

    def _tokens(self, form: dict[str, str], what: str) -> Tokens:
        sent_at = datetime.fromtimestamp(self.clock(), UTC)
        credentials = {"client_key": self.client_key, "client_secret": self.client_secret}
        payload = self.call_oauth(TOKEN_PATH, credentials | form, what=what, acting=True)
        return _parse_tokens(payload, sent_at, what)


def _parse_tokens(payload: dict[str, Any], sent_at: datetime, what: str) -> Tokens:
    try:
        access, refresh = payload["access_token"], payload["refresh_token"]
        expires_in, refresh_expires_in = int(payload["expires_in"]), int(payload["refresh_expires_in"])
        open_id, scope = payload["open_id"], payload.get("scope", "")
    except (KeyError, TypeError, ValueError) as exc:
        raise _unusable(what, f"a field is missing or malformed ({exc!r})") from None
    # An empty token stored over a good one leaves an account asking to reconnect for ever (§7).
    if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh and open_id):
        raise _unusable(what, "a token is empty")
    return Tokens(
        open_id=str(open_id),
        scopes=frozenset(filter(None, str(scope).split(","))),
        access_token=access,
        access_expires_at=sent_at + timedelta(seconds=expires_in),
        refresh_token=refresh,
        refresh_expires_at=sent_at + timedelta(seconds=refresh_expires_in),
    )


def _unusable(what: str, why: str) -> TikTokError:
    return TikTokError(
        "bad_response", why, reason=f"TikTok's answer to {what} could not be used: {why}", retryable=False
    )
