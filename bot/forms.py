"""What people send through Slack's surfaces, read in one place: modal values and button values.

A submitted modal is read through `Form(view)`: typed values by block id, each input drawn with its
action id equal to its block id (as every builder in bot/views and messages draws them). A missing or
empty input reads as empty, so a form's reader checks what it means and says so under the field
(core.forms).

A button carries ids, never state: `button_value(content.id, version.number)` when it is drawn,
`read_button(body, 2)` when it is pressed. A value that is not one the bot drew (a forged or
truncated payload) is refused in words, never a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.verbs import UsageError
from core.forms import FieldError

# The largest id a database column holds (PostgreSQL's integer).
MAX_ID = 2**31 - 1


class Form:
    """A submitted view's values (`view["state"]["values"]`), read by block id."""

    def __init__(self, view: Mapping[str, Any]) -> None:
        self.values: Mapping[str, Mapping[str, Any]] = view.get("state", {}).get("values", {})

    def _entry(self, block: str) -> Mapping[str, Any]:
        return self.values.get(block, {}).get(block) or {}

    def raw(self, block: str) -> str:
        """A text input as typed (line numbers in messages count from its first line); "" when empty."""
        return str(self._entry(block).get("value") or "")

    def text(self, block: str) -> str:
        """A text input, without surrounding white space; "" when empty."""
        return self.raw(block).strip()

    def lines(self, block: str) -> list[str]:
        """A multi-line text input's non-blank lines, each stripped."""
        return [line.strip() for line in self.text(block).splitlines() if line.strip()]

    def selected(self, block: str) -> str:
        """The chosen option's value of a single select or radio buttons; "" when none."""
        return str((self._entry(block).get("selected_option") or {}).get("value", ""))

    def selected_all(self, block: str) -> list[str]:
        """The chosen options' values of a multi-select or checkboxes, in order."""
        return [str(option["value"]) for option in self._entry(block).get("selected_options") or []]

    def user(self, block: str) -> str | None:
        """The user a users select picked."""
        return self._entry(block).get("selected_user") or None

    def files(self, block: str) -> list[dict[str, Any]]:
        """The file objects a file input reported (Slack uploads what the person picked)."""
        return list(self._entry(block).get("files") or [])


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
