"""Passwords in service URLs never reach a log or a person."""

from __future__ import annotations

import pytest

from config.redact import redact_text, redact_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:hunter2@cache:6379/0", "redis://:***@cache:6379/0"),
        ("rediss://app:hunter2@cache:6380/1", "rediss://app:***@cache:6380/1"),
        ("postgresql+psycopg://app:hun@ter2@db:5432/prod", "postgresql+psycopg://app:***@db:5432/prod"),
        ("smtp://mailer:hunter2@mail.example:587", "smtp://mailer:***@mail.example:587"),
        ("redis://cache:6379/0?password=hunter2&db=2", "redis://cache:6379/0?password=***&db=2"),
        ("postgresql://db/prod?user=app&password=hunter2", "postgresql://db/prod?user=app&password=***"),
        ("sqlite:///contentbot.db", "sqlite:///contentbot.db"),
        ("redis://localhost:6379/0", "redis://localhost:6379/0"),
    ],
)
def test_a_url_keeps_everything_but_its_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_every_url_in_an_error_text_is_redacted() -> None:
    text = "cannot reach redis://:one@a:6379/0 nor postgresql://u:two@b/c (timed out)"
    assert redact_text(text) == "cannot reach redis://:***@a:6379/0 nor postgresql://u:***@b/c (timed out)"
