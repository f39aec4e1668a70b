"""Tokens at rest: encrypted with TOKEN_KEY, never echoed in an error."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from config.errors import SetupError
from storage.crypto import TokenCipher, TokenDecryptError, TokenKeyError

TOKEN = "act.1234567890abcdefSECRET"


def test_a_token_round_trips_and_is_not_stored_in_clear() -> None:
    cipher = TokenCipher(Fernet.generate_key().decode())
    stored = cipher.encrypt(TOKEN)
    assert TOKEN not in stored
    assert cipher.decrypt(stored) == TOKEN
    assert cipher.encrypt(TOKEN) != stored  # a fresh IV each time


@pytest.mark.parametrize("key", [None, "", "   "])
def test_a_missing_key_says_how_to_make_one(key: str | None) -> None:
    with pytest.raises(TokenKeyError, match=r"TOKEN_KEY is not set.*generate_key") as caught:
        TokenCipher(key)
    assert isinstance(caught.value, SetupError)


def test_a_malformed_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(TokenKeyError, match="not a Fernet key") as caught:
        TokenCipher("not-a-key-but-secret-looking")
    assert "secret-looking" not in str(caught.value)


def test_the_wrong_key_is_detected_and_nothing_secret_is_said() -> None:
    stored = TokenCipher(Fernet.generate_key().decode()).encrypt(TOKEN)
    other = TokenCipher(Fernet.generate_key().decode())
    with pytest.raises(TokenDecryptError) as caught:
        other.decrypt(stored)
    assert TOKEN not in str(caught.value) and stored not in str(caught.value)
    with pytest.raises(TokenDecryptError):
        other.decrypt("damaged")


def test_keys_rotate_newest_first() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored_with_old = TokenCipher(old).encrypt(TOKEN)
    both = TokenCipher(f"{new}, {old}")
    assert both.decrypt(stored_with_old) == TOKEN
    rotated = both.rotate(stored_with_old)
    assert TokenCipher(new).decrypt(rotated) == TOKEN


def test_an_empty_token_is_never_stored() -> None:
    with pytest.raises(ValueError, match="empty"):
        TokenCipher(Fernet.generate_key().decode()).encrypt("")
