"""The `/content` verbs and how a command line is split into a verb and its arguments."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.views.common import escape

if TYPE_CHECKING:
    from slack_sdk import WebClient
    from slack_sdk.models.blocks import Block

    from bot.services import Services


class UsageError(ValueError):
    """A command that cannot be run as typed; the message says what was wrong."""


@dataclass
class Command:
    """One `/content` invocation, as the handlers see it."""

    services: Services
    client: WebClient
    user_id: str
    channel_id: str
    trigger_id: str
    args: list[str]


@dataclass
class Reply:
    """What the command answers, visible to the sender only unless `in_channel`."""

    text: str
    blocks: list[Block] = field(default_factory=list)
    in_channel: bool = False


Handler = Callable[[Command], Reply]


@dataclass(frozen=True)
class Verb:
    words: tuple[str, ...]
    usage: str
    summary: str
    handler: Handler | None = None
    # The issue that brings the verb, for verbs listed before they work.
    coming_with: str = ""
    max_args: int | None = None

    @property
    def name(self) -> str:
        return " ".join(self.words)


def split_command(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as exc:
        # An unmatched quote: tell the person instead of guessing where it ends.
        raise UsageError(f"I could not read that command: {escape(str(exc))}.") from exc


def match_verb(text: str, verbs: Sequence[Verb]) -> tuple[Verb, list[str]]:
    """The verb that the longest prefix of `text` names, and the words after it."""
    words = split_command(text)
    if not words:
        return _find(("help",), verbs), []
    lowered = [w.lower() for w in words]
    for verb in sorted(verbs, key=lambda v: len(v.words), reverse=True):
        if tuple(lowered[: len(verb.words)]) == verb.words:
            args = words[len(verb.words) :]
            if verb.max_args is not None and len(args) > verb.max_args:
                extra = " ".join(args[verb.max_args :])
                raise UsageError(f"`{verb.name}` takes {_count(verb.max_args)}; I got `{escape(extra)}` too.")
            return verb, args
    raise UsageError(f"`{escape(words[0])}` is not a /content verb.")


def _find(words: tuple[str, ...], verbs: Sequence[Verb]) -> Verb:
    return next(v for v in verbs if v.words == words)


def _count(n: int) -> str:
    return "no arguments" if n == 0 else f"at most {n} argument{'s' if n > 1 else ''}"
