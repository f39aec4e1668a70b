"""DIGEST_TIME and DIGEST_CHANNEL: a bad time is refused in words; a missing channel is said once."""

from __future__ import annotations

from datetime import time

import pytest
from pydantic import ValidationError

from config.settings import Settings


def test_digest_time_is_a_local_time_of_day() -> None:
    assert Settings(digest_time="07:30").digest_at == time(7, 30)
    with pytest.raises(ValidationError, match="DIGEST_TIME '25:00' is not a time of day such as 09:00"):
        Settings(digest_time="25:00")


def test_without_a_digest_channel_the_daily_digest_is_off_and_says_so() -> None:
    notes = Settings(digest_channel=None).missing()
    assert "DIGEST_CHANNEL is not set: no daily digest is posted (`/content digest` still shows it)." in notes
    assert not any("DIGEST_CHANNEL" in note for note in Settings(digest_channel="C0DIGEST").missing())
