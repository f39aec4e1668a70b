"""What a job reads from its process: the settings, once per process."""

from __future__ import annotations

from functools import cache

from contentbot.settings import Settings


@cache
def settings() -> Settings:
    return Settings()
