"""What a job reads from its process: the settings.

A worker process reads them from the environment once; `contentbot console` and the tests
run workers inside a process whose settings they chose, and say so with `use()`.
"""

from __future__ import annotations

from config.settings import Settings

_current: Settings | None = None


def settings() -> Settings:
    global _current
    if _current is None:
        _current = Settings()
    return _current


def use(chosen: Settings | None) -> None:
    """Make `chosen` the settings jobs in this process see (None: read the environment again)."""
    global _current
    _current = chosen
