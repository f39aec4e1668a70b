"""Small pieces several views share."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock


def escape(text: str) -> str:
    """Text that Slack's mrkdwn shows as typed: `<` would otherwise start a link or mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def as_dicts(blocks: list[Block]) -> list[dict]:
    return [block.to_dict() for block in blocks]
