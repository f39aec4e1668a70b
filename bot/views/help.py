"""`/content help` and the usage message for a bad command."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, HeaderBlock

from bot.verbs import Verb
from messages.blocks import context, escape, section


def help_blocks(verbs: Sequence[Verb]) -> list[Block]:
    lines = [_help_line(verb) for verb in verbs]
    notes = ["Anyone may request content; only reviewers may approve it."]
    if any(verb.handler is None for verb in verbs):
        notes.append("_(not yet)_ marks verbs that are coming but do not work yet.")
    return [
        HeaderBlock(text="contentbot: what /content can do"),
        section("\n".join(lines)),
        context(" ".join(notes)),
    ]


def _help_line(verb: Verb) -> str:
    line = f"`/content {escape(verb.usage)}`: {escape(verb.summary)}"
    if verb.handler is None:
        return f"{line} _(not yet: arrives with {escape(verb.coming_with)})_"
    return line


def usage_blocks(problem: str, verbs: Sequence[Verb]) -> list[Block]:
    usages = "\n".join(f"`/content {escape(verb.usage)}`" for verb in verbs)
    # A problem quotes what was typed; a section holds 3,000 characters.
    return [section(f":warning: {escape(problem)}"[:3000]), context(f"Usage:\n{usages}")]
