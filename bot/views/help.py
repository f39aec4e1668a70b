"""`/content help` and the usage message for a bad command."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, HeaderBlock

from bot.verbs import Verb
from bot.views.common import context, escape, section


def help_blocks(verbs: Sequence[Verb]) -> list[Block]:
    lines = [f"`/content {escape(verb.usage)}`: {escape(verb.summary)}" for verb in verbs]
    return [
        HeaderBlock(text="contentbot: what /content can do"),
        section("\n".join(lines)),
        context("Anyone may request content; only reviewers may approve it."),
    ]


def usage_blocks(problem: str, verbs: Sequence[Verb]) -> list[Block]:
    usages = "\n".join(f"`/content {escape(verb.usage)}`" for verb in verbs)
    return [section(f":warning: {escape(problem)}"), context(f"Usage:\n{usages}")]
