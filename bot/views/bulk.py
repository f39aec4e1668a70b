"""The bulk schedule modal: a CSV file shared in Slack, or rows pasted."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, InputBlock
from slack_sdk.models.blocks.block_elements import FileInputElement
from slack_sdk.models.views import View

from core.bulk import COLUMNS
from messages.blocks import context, text_input

CALLBACK = "schedule_bulk"
FILE = "file"
ROWS = "rows"
# Slack's limit for a text input; a longer list goes in a file.
PASTE_LIMIT = 3000


def bulk_view() -> View:
    blocks: list[Block] = [
        InputBlock(
            block_id=FILE,
            label="CSV file",
            element=FileInputElement(action_id=FILE, filetypes=["csv", "txt", "tsv"], max_files=1),
            optional=True,
            hint="One row per post; a header line is optional.",
        ),
        text_input(
            ROWS,
            "Or paste the rows",
            "",
            multiline=True,
            optional=True,
            max_length=PASTE_LIMIT,
            hint="e.g. 12, Water, next  ·  13, Fire, Fri 18:30, , public",
        ),
        context(
            "Columns, in this order unless a header names them: "
            + ", ".join(f"`{c}`" for c in COLUMNS)
            + ". A time is `next` (the next free slot) or as in `/content schedule`; products are "
            "TikTok Shop product ids; privacy is for channels that post directly. Every row is checked "
            "first: all are scheduled or none."
        ),
    ]
    return View(type="modal", callback_id=CALLBACK, title="Schedule in bulk", submit="Check", blocks=blocks)
