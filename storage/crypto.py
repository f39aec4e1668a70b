"""Secrets at rest (OAuth tokens), encrypted with TOKEN_KEY: a Fernet key, made with
`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`."""

from __future__ import annotations

from cryptography.fernet import Fernet


def encrypt(text: str, key: str) -> str:
    return Fernet(key.encode()).encrypt(text.encode()).decode()


def decrypt(token: str, key: str) -> str:
    """Raises cryptography.fernet.InvalidToken when `key` is not the one `token` was made with."""
    return Fernet(key.encode()).decrypt(token.encode()).decode()
