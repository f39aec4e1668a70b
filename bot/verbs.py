"""The `/content` verbs and how a command line is split into a verb and its arguments."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from messages.blocks import escape

if TYPE_CHECKING:
    from slack_sdk import WebClient
    from slack_sdk.models.blocks import Block

    from bot.services import Services


class UsageError(ValueError):
    """A command that cannot be run as typed; the message says what was wrong."""


# How much of what someone typed a message quotes back: a message must fit Slack's block limits.
QUOTE_LIMIT = 60


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """What someone typed, cut to `limit` characters, for a message that names it."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


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

    @property
    def channel_at(self) -> int | None:
        """Which argument names a channel: the usage names the arguments, so it says where."""
        names = [word.strip("[]<>.") for word in self.usage.split()[len(self.words) :]]
        return names.index("channel") if "channel" in names else None


# Straight and typographic quotes (Slack's clients may type either).
_CLOSING = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019"}


def split_command(text: str) -> list[str]:
    """Words separated by spaces; a quote opening a word groups words until a quote ending one.

    Any other quote is part of its word, so captions keep their apostrophes (`kids' pool`,
    `don't`) and a quote that never closes is just a character: a command is never refused
    for its quotes.
    """
    words: list[str] = []
    i, end = 0, len(text)
    while i < end:
        if text[i].isspace():
            i += 1
            continue
        closing = _CLOSING.get(text[i])
        if closing is not None:
            close = _closing_quote(text, i + 1, closing)
            if close is not None:
                words.append(text[i + 1 : close])
                i = close + 1
                continue
        stop = i
        while stop < end and not text[stop].isspace():
            stop += 1
        words.append(text[i:stop])
        i = stop
    return words


def _closing_quote(text: str, start: int, quote: str) -> int | None:
    """The first `quote` at or after `start` that ends a word (followed by a space or the end)."""
    at = text.find(quote, start)
    while at >= 0:
        if at + 1 == len(text) or text[at + 1].isspace():
            return at
        at = text.find(quote, at + 1)
    return None


def join_channel(args: list[str], at: int, names: Iterable[str]) -> list[str]:
    """`args` with the words from `at` that spell a channel name (the longest one) as one argument.

    Channel names may hold spaces; matching the words against the names people gave lets them
    type `Water Park` without quotes.
    """
    if at >= len(args):
        return args
    known = {_folded(name) for name in names}
    for stop in range(len(args), at, -1):
        if _folded(" ".join(args[at:stop])) in known:
            return [*args[:at], " ".join(args[at:stop]), *args[stop:]]
    listed = escape(", ".join(names))
    raise UsageError(
        f"`{escape(quote(args[at]))}` is not a channel; the channels are {listed}. "
        'Type a name with spaces as it is, or in quotes: `"Water Park"`.'
    )


def _folded(name: str) -> str:
    return " ".join(name.lower().split())


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
                extra = quote(" ".join(args[verb.max_args :]))
                raise UsageError(f"`{verb.name}` takes {_count(verb.max_args)}; I got `{escape(extra)}` too.")
            return verb, args
    raise UsageError(f"`{escape(quote(words[0]))}` is not a /content verb.")


def _find(words: tuple[str, ...], verbs: Sequence[Verb]) -> Verb:
    return next(v for v in verbs if v.words == words)


def _count(n: int) -> str:
    return "no arguments" if n == 0 else f"at most {n} argument{'s' if n > 1 else ''}"
