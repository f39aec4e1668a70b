"""What people send through Slack's surfaces, read in one place: button values.

A button carries ids, never state: `button_value(content.id, version.number)` when it is drawn,
`read_button(body, 2)` when it is pressed. A value that is not one the bot drew (a forged or
truncated payload) is refused in words, never a traceback.
"""

from __future__ import annotations

import re
from typing import Any

from bot.verbs import UsageError
from core.forms import FieldError

# The largest id a database column holds (PostgreSQL's integer).
MAX_ID = 2**31 - 1


def field_errors(exc: FieldError) -> dict[str, str]:
    """A modal's inline errors, by block id, from one field error or many (core.forms)."""
    return dict(getattr(exc, "errors", {exc.field: str(exc)}))


class BadInput(UsageError):
    """Input the bot cannot act on; the message says so plainly, for the person who sent it."""


def read_button(body: dict[str, Any], count: int = 1, *, at_least: int | None = None) -> tuple[int, ...]:
    """The ids the pressed button carries: exactly `count`, or from `at_least` to `count` of them."""
    try:
        raw = str(body["actions"][0]["value"])
    except (KeyError, IndexError, TypeError):
        raise BadInput("That button carried no value, so nothing changed.") from None
    parts = raw.split(":")
    fewest = count if at_least is None else at_least
    if not fewest <= len(parts) <= count or not all(
        re.fullmatch("[0-9]{1,10}", p) and 0 < int(p) <= MAX_ID for p in parts
    ):
        raise BadInput("That button's value is not one I drew, so nothing changed.")
    return tuple(int(p) for p in parts)
