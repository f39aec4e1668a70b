"""TikTok Shop request signing (reference §4.2), a pure function of what is sent."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

# Never part of the signed string: the signature itself, and the token older clients put in the query.
UNSIGNED = frozenset({"sign", "access_token"})


def sign(app_secret: str, path: str, params: Mapping[str, str], body: bytes = b"") -> str:
    """The `sign` query parameter for a request to `path` with query `params` and raw `body`.

    `body` must be the exact bytes that go on the wire: signing one serialisation and sending
    another is the classic 106001. Multipart bodies are not signed; this client sends none.
    """
    pairs = "".join(f"{key}{params[key]}" for key in sorted(params) if key not in UNSIGNED)
    text = f"{app_secret}{path}{pairs}{body.decode()}{app_secret}"
    return hmac.new(app_secret.encode(), text.encode(), hashlib.sha256).hexdigest()
