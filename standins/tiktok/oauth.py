"""OAuth v2 (reference §2): the authorize page (answering at once, for local use), token and revoke."""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from standins.loopback import Answer, Request
from standins.tiktok.model import AccessToken, AuthCode, RefreshToken
from standins.tiktok.wire import OAuthError, form_body, query

if TYPE_CHECKING:
    from standins.tiktok import TikTokStandIn

CODE_LIFETIME = 600.0


def authorize(standin: TikTokStandIn, request: Request, now: float) -> Answer:
    """TikTok's consent page, decided in advance by `authorize_as`: redirect straight back."""
    params = query(request)
    redirect_uri = params.get("redirect_uri", "")
    if params.get("client_key") != standin.client_key or not redirect_uri:
        # TikTok shows an error page of its own here; it never redirects to an unchecked URI.
        return Answer(400, b"client_key or redirect_uri is wrong", "text/plain")
    state = params.get("state", "")
    consent = standin.consent
    if params.get("response_type") != "code":
        back = {"error": "unsupported_response_type", "error_description": "response_type must be code"}
    elif consent.refuse or consent.open_id is None:
        back = {"error": "access_denied", "error_description": "The user denied the authorization."}
    else:
        asked = frozenset(filter(None, params.get("scope", "").split(",")))
        granted = asked if consent.scopes is None else asked & consent.scopes
        # Real codes carry `*` and `!`, so a client that forgets to URL-decode them fails here too.
        code = f"{secrets.token_urlsafe(18)}*{secrets.randbelow(10)}!{secrets.token_hex(4)}"
        standin.state.codes[code] = AuthCode(
            consent.open_id, granted, redirect_uri, params.get("code_challenge"), now + CODE_LIFETIME
        )
        back = {"code": code, "scopes": ",".join(sorted(granted))}
    location = f"{redirect_uri}?{urlencode({**back, 'state': state})}"
    return Answer(302, b"", "text/html", {"location": location})


def token(standin: TikTokStandIn, request: Request, now: float) -> Answer:
    form = form_body(request)
    if "grant_type" not in form:
        raise OAuthError("invalid_request", "The request parameters are malformed.")
    if form.get("client_key") != standin.client_key or form.get("client_secret") != standin.client_secret:
        raise OAuthError("invalid_client", "Client key or secret is incorrect.", 401)
    match form["grant_type"]:
        case "authorization_code":
            open_id, scopes = _redeem_code(standin, form, now)
        case "refresh_token":
            open_id, scopes = _rotate(standin, form, now)
        case _:
            raise OAuthError("unsupported_grant_type", "The grant type is not supported.")
    return Answer.json(standin.issue_tokens(open_id, scopes))


def _redeem_code(standin: TikTokStandIn, form: dict[str, str], now: float) -> tuple[str, frozenset[str]]:
    # Single use: a code is gone once presented, whether the exchange then succeeds or not.
    code = standin.state.codes.pop(form.get("code", ""), None)
    if code is None or code.expires_at <= now:
        raise OAuthError("invalid_grant", "Authorization code is expired or invalid.")
    if form.get("redirect_uri") != code.redirect_uri:
        raise OAuthError("invalid_request", "Redirect_uri is not matched with the uri when requesting code.")
    if code.code_challenge is not None:
        verifier = form.get("code_verifier", "")
        # TikTok's challenge is the hex SHA-256 of the verifier, not RFC 7636's base64url.
        if hashlib.sha256(verifier.encode()).hexdigest() != code.code_challenge:
            raise OAuthError("invalid_grant", "Code verifier or code challenge is invalid.")
    return code.open_id, code.scopes


def _rotate(standin: TikTokStandIn, form: dict[str, str], now: float) -> tuple[str, frozenset[str]]:
    # Rotation: the presented refresh token stops working the moment a new one is issued.
    old = standin.state.refresh_tokens.pop(form.get("refresh_token", ""), None)
    if old is None or old.expires_at <= now:
        raise OAuthError("invalid_grant", "Refresh token is invalid or expired.")
    return old.open_id, old.scopes


def revoke(standin: TikTokStandIn, request: Request, now: float) -> Answer:
    form = form_body(request)
    if form.get("client_key") != standin.client_key or form.get("client_secret") != standin.client_secret:
        raise OAuthError("invalid_client", "Client key or secret is incorrect.", 401)
    access = standin.state.access_tokens.get(form.get("token", ""))
    if access is None:
        raise OAuthError("invalid_request", "The token is invalid.")
    # Revoking removes the app's authorisation: every token of that user for this app stops working.
    for stored in standin.state.access_tokens.values():
        if stored.open_id == access.open_id:
            stored.revoked = True
    refresh = standin.state.refresh_tokens
    for value in [value for value, stored in refresh.items() if stored.open_id == access.open_id]:
        del refresh[value]
    # The docs show no success body; an empty 200 is the strictest reading for a client.
    return Answer(200, b"", "application/json")


def new_tokens(
    open_id: str, scopes: frozenset[str], now: float, access_lifetime: float, refresh_lifetime: float
) -> tuple[str, AccessToken, str, RefreshToken]:
    access_value = "act." + secrets.token_urlsafe(40)
    refresh_value = "rft." + secrets.token_urlsafe(40)
    return (
        access_value,
        AccessToken(access_value, open_id, scopes, now + access_lifetime),
        refresh_value,
        RefreshToken(open_id, scopes, now + refresh_lifetime),
    )
