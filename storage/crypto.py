"""OAuth tokens at rest, encrypted with TOKEN_KEY.

Fernet (from `cryptography`) is authenticated encryption with a versioned format: a wrong key or a
changed byte is detected, never decrypted into garbage. TOKEN_KEY may hold several keys separated by
commas, newest first: new tokens use the first, old ones still decrypt with any (key rotation).
Neither error message ever contains a token or a key.

Make a key with `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from config.errors import SetupError

_HOW = (
    'make one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


class TokenKeyError(SetupError):
    """TOKEN_KEY is missing or not a Fernet key."""


class TokenDecryptError(InvalidToken):
    """A stored token could not be decrypted: TOKEN_KEY changed, or the stored value is damaged.
    An InvalidToken, so callers that catch cryptography's own error still do."""


class TokenCipher:
    def __init__(self, token_key: str | None) -> None:
        if not token_key or not token_key.strip():
            raise TokenKeyError(f"TOKEN_KEY is not set, so TikTok tokens cannot be stored; {_HOW}")
        keys = []
        for position, key in enumerate(part.strip() for part in token_key.split(",")):
            try:
                keys.append(Fernet(key))
            except ValueError:
                # The key itself is never echoed: it is a secret too.
                raise TokenKeyError(
                    f"TOKEN_KEY's key number {position + 1} is not a Fernet key (32 url-safe base64 bytes); {_HOW}"
                ) from None
        self._fernet = MultiFernet(keys)

    def encrypt(self, token: str) -> str:
        if not token:
            # An empty token stored over a good one leaves the account unusable (reference §7).
            raise ValueError("refusing to store an empty token")
        return self._fernet.encrypt(token.encode()).decode("ascii")

    def decrypt(self, stored: str) -> str:
        try:
            return self._fernet.decrypt(stored.encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            raise TokenDecryptError(
                "a stored TikTok token could not be decrypted: TOKEN_KEY is not the key it was stored "
                "with (or the stored value is damaged); restore the old key or reconnect the account"
            ) from None

    def rotate(self, stored: str) -> str:
        """The same token encrypted with the newest key (after a new key was put first in TOKEN_KEY)."""
        try:
            return self._fernet.rotate(stored.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise TokenDecryptError("a stored TikTok token could not be decrypted to re-encrypt it") from None


def encrypt(text: str, key: str | None) -> str:
    return TokenCipher(key).encrypt(text)


def decrypt(token: str, key: str | None) -> str:
    """Raises TokenDecryptError (an InvalidToken) when `key` is not the one `token` was made with."""
    return TokenCipher(key).decrypt(token)
