"""The message of a bulk schedule, one per batch in its sender's DM, updated in place: checking (with
progress), refused (every problem by line and column), scheduled (with Undo), undone."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ConfirmObject

from config.settings import Settings
from core.bulk import Batch
from core.posts import Post, PostStatus
from messages.blocks import button_value, context, escape, section
from messages.posts import when
from messages.slack import slack_client

log = logging.getLogger(__name__)

UNDO = "bulk_undo"
# Slack takes 3,000 characters a section and 50 blocks a message: problems and posts are listed up to
# these, then counted.
SHOWN_PROBLEMS = 40
SHOWN_POSTS = 25
_SECTION_CHARS = 2_900
_LINE_CHARS = 300


def title(batch: Batch) -> str:
    source = f"`{escape(batch.file_name)}`" if batch.file_name else "a pasted list"
    return f"Bulk schedule {batch.id} from {source}"


def progress_blocks(batch: Batch, done: int, total: int | None) -> list[Block]:
    if total is None:
        return [section(f":hourglass_flowing_sand: *{title(batch)}*: reading the rows…")]
    return [section(f":hourglass_flowing_sand: *{title(batch)}*: checking row {done:,} of {total:,}…")]


def refused_blocks(batch: Batch, problems: Sequence[str], more: int, rows: int) -> list[Block]:
    """`problems`: lines of mrkdwn whose user text is already escaped."""
    head = f":x: *{title(batch)}*: nothing was scheduled. "
    head += f"{rows:,} row(s) read; fix these and send it again:" if rows else "Fix this and send it again:"
    blocks: list[Block] = [section(head)]
    blocks += _sections([f"• {_cut(p)}" for p in problems])
    if more:
        blocks.append(context(f"…and {more:,} more problem(s) not shown."))
    return blocks


def failed_blocks(batch: Batch) -> list[Block]:
    return [
        section(
            f":x: *{title(batch)}*: the check stopped on an error (it is in the worker's log); nothing was "
            "scheduled. Send it again."
        )
    ]


def scheduled_blocks(batch: Batch, posts: Sequence[Post], lines: dict[int, int], tz: ZoneInfo) -> list[Block]:
    """`lines`: each post's line in the file."""
    sandbox = " (sandbox: no TikTok credentials)" if posts and posts[0].sandbox else ""
    blocks: list[Block] = [
        section(f":calendar: *{title(batch)}*: scheduled {len(posts):,} post(s){sandbox}, all checked.")
    ]
    listed = sorted(posts, key=lambda p: lines.get(p.id, 0))
    blocks += _sections([_post_line(post, lines.get(post.id), tz) for post in listed[:SHOWN_POSTS]])
    if len(listed) > SHOWN_POSTS:
        blocks.append(
            context(f"…and {len(listed) - SHOWN_POSTS:,} more: `/content posts` lists what is coming.")
        )
    blocks.append(
        ActionsBlock(
            block_id=f"bulk-{batch.id}",
            elements=[
                ButtonElement(
                    text="Undo",
                    action_id=UNDO,
                    value=button_value(batch.id),
                    style="danger",
                    confirm=ConfirmObject(
                        title="Undo this batch?",
                        text=f"Its {len(posts):,} post(s) that have not started are cancelled.",
                        confirm="Undo",
                        deny="Keep them",
                    ),
                )
            ],
        )
    )
    return blocks


def undone_blocks(batch: Batch, posts: Sequence[Post], user_id: str, tz: ZoneInfo) -> list[Block]:
    cancelled = [p for p in posts if p.status is PostStatus.CANCELLED]
    gone = [p for p in posts if p.status is not PostStatus.CANCELLED]
    blocks: list[Block] = [
        section(
            f":leftwards_arrow_with_hook: *{title(batch)}*: undone by <@{user_id}>: "
            f"{len(cancelled):,} of {len(posts):,} post(s) cancelled."
        )
    ]
    if gone:
        blocks.append(section(f"{len(gone):,} had already started and were left as they are:"))
        blocks += _sections([f"{_post_line(p, None, tz)}: {p.status.label}" for p in gone[:SHOWN_POSTS]])
        if len(gone) > SHOWN_POSTS:
            blocks.append(context(f"…and {len(gone) - SHOWN_POSTS:,} more."))
    return blocks


def show(settings: Settings, batch: Batch, text: str, blocks: list[Block]) -> None:
    """Update the batch's message in place."""
    if not (batch.slack_channel and batch.slack_ts):
        return
    try:
        slack_client(settings).chat_update(
            channel=batch.slack_channel, ts=batch.slack_ts, text=text, blocks=blocks
        )
    except SlackApiError as exc:
        log.error("bulk schedule %s: its message could not be updated: %s", batch.id, exc.response["error"])


def _post_line(post: Post, line: int | None, tz: ZoneInfo) -> str:
    where = f"line {line} · " if line else ""
    return f"{where}post {post.id} · content #{post.content_id} on {escape(post.channel_name)} · {when(post.scheduled_at, tz)}"


def _cut(text: str) -> str:
    return text if len(text) <= _LINE_CHARS else text[: _LINE_CHARS - 1] + "…"


def _sections(lines: Sequence[str]) -> list[Block]:
    blocks: list[Block] = []
    chunk: list[str] = []
    for line in lines:
        if chunk and len("\n".join([*chunk, line])) > _SECTION_CHARS:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return blocks
