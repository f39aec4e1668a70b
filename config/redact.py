"""Credentials out of URLs and error texts, before either is logged or shown to a person.

DATABASE_URL, REDIS_URL and SMTP_URL may carry a password (`redis://:secret@host`,
`postgresql://app:secret@db/prod`, `?password=secret`); a message that names the service
(it is unreachable, it refused us) must not carry the password along. Error texts are
redacted too, since a client library may quote the URL it was given.
"""

from __future__ import annotations

import re

MASK = "***"

# scheme://[user][:password]@ — the userinfo runs to the last "@" before the host's end, so a
# password that itself holds an unescaped "@" is masked whole.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/?#\s]*)@")
# Query parameters that carry a credential (redis-py and libpq both read `password=`).
_SECRET_PARAM = re.compile(
    r"(?P<name>[?&;](?:password|passwd|pass|pwd|secret|token|api_key|apikey|auth)=)[^&;#\s]*",
    re.IGNORECASE,
)


def redact_text(text: str) -> str:
    """`text` with the password of every URL in it replaced by ***; user names and hosts stay."""
    return _SECRET_PARAM.sub(lambda m: m["name"] + MASK, _USERINFO.sub(_mask_userinfo, text))


def redact_url(url: str) -> str:
    """The URL as it may be logged or shown: its password, if any, replaced by ***."""
    return redact_text(url)


def _mask_userinfo(match: re.Match[str]) -> str:
    user, colon, _password = match["userinfo"].partition(":")
    return f"{match['scheme']}{user}:{MASK}@" if colon else match[0]
