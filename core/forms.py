"""Field errors: what a person must fix in a form, every field at once.

A rule raises `FieldError(field, message)`; a form's reader collects them with `Errors` and raises
`FieldErrors` holding all of them, so a modal marks every wrong field in one go instead of one per
submit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


class FieldError(ValueError):
    """One field a person must fix; `field` names it, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class FieldErrors(FieldError):
    """Every field a person must fix, by field name; as a FieldError it is the first of them."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        first = next(iter(errors))
        super().__init__(first, errors[first])
        self.errors = dict(errors)


class Errors:
    """Collects field errors; the first error of each field is the one shown."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    @contextmanager
    def checking(self) -> Iterator[None]:
        """Record a FieldError raised inside the block (or each one a FieldErrors holds) and go on."""
        try:
            yield
        except FieldError as found:
            for field, message in getattr(found, "errors", {found.field: str(found)}).items():
                self.errors.setdefault(field, message)

    def read(self, read: Callable[[], T], default: T) -> T:
        """`read()`, or `default` when it raised a FieldError (recorded), so later checks still run."""
        with self.checking():
            return read()
        return default

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def raise_any(self) -> None:
        if self.errors:
            raise FieldErrors(self.errors)
