"""Small pieces several views share."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from typing import Self

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View


def escape(text: str) -> str:
    """Text that Slack's mrkdwn shows as typed: `<` would otherwise start a link or mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def as_dicts(blocks: list[Block]) -> list[dict]:
    return [block.to_dict() for block in blocks]


def text_input(
    block_id: str,
    label: str,
    value: str,
    *,
    multiline: bool = False,
    optional: bool = False,
    hint: str = "",
    max_length: int | None = None,
) -> InputBlock:
    """A modal's text field; its action_id is its block_id, so submissions read values[id][id]."""
    return InputBlock(
        block_id=block_id,
        label=label,
        element=PlainTextInputElement(
            action_id=block_id, initial_value=value or None, multiline=multiline, max_length=max_length
        ),
        optional=optional,
        hint=hint or None,
    )


def notice_view(title: str, blocks: list[Block]) -> View:
    """A small modal pushed over the one a button was pressed in (such a button has no response_url)."""
    return View(type="modal", title=title[:24], close="Close", blocks=blocks)


def button_value(*ids: int) -> str:
    """What a button carries: the ids it acts on, never state (bot.forms.read_button reads it back)."""
    return ":".join(str(i) for i in ids)


class Metadata:
    """What a modal carries from open to submit (Slack's private_metadata): a frozen dataclass whose
    fields are plain JSON values. Subclass it instead of writing a dump and a load per modal."""

    def dump(self) -> str:
        return json.dumps(asdict(self))  # type: ignore[call-overload]

    @classmethod
    def load(cls, raw: str) -> Self:
        data = json.loads(raw or "{}")
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})  # type: ignore[arg-type]
