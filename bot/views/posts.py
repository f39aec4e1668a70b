"""A post's message (one per post, updated in place, its history in its thread) and the queue of posts.

Like the review message, both the publishing job and the buttons change it, so this module imports
only core and slack_sdk.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ConfirmObject

from bot.forms import button_value
from bot.views.common import context, escape, section
from core.posts import CANCELLABLE, Post, PostStatus

CANCEL = "post_cancel"
RETRY = "post_retry"
POSTED = "post_posted"

_EMOJI = {
    PostStatus.SCHEDULED: ":calendar:",
    PostStatus.QUEUED: ":hourglass_flowing_sand:",
    PostStatus.PUBLISHING: ":arrow_up:",
    PostStatus.PROCESSING: ":gear:",
    PostStatus.AWAITING_POSTER: ":raising_hand:",
    PostStatus.NEEDS_RECONCILE: ":grey_question:",
    PostStatus.PUBLISHED: ":white_check_mark:",
    PostStatus.FAILED: ":x:",
    PostStatus.CANCELLED: ":no_entry_sign:",
}


def when(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%a %d %b %H:%M %Z")


def post_title(post: Post) -> str:
    sandbox = " (sandbox)" if post.sandbox else ""
    return f"Post {post.id} · content #{post.content_id} on {post.channel_name}{sandbox}"


def link(post: Post) -> str | None:
    if not post.public_id:
        return None
    return f"https://www.tiktok.com/video/{post.public_id}"


def post_blocks(post: Post, tz: ZoneInfo) -> list[Block]:
    lines = [f"{_EMOJI[post.status]} *{escape(post_title(post))}*: {post.status.label}"]
    lines.append(
        f"{when(post.scheduled_at, tz)} · {mode_label(post)}"
        + (f" · {post.privacy_level}" if post.privacy_level else "")
    )
    if post.status is PostStatus.PUBLISHED:
        url = link(post)
        lines.append(
            f"<{url}|View on TikTok>"
            if url and not post.sandbox
            else "Posted (sandbox: nothing reached TikTok)."
        )
    if post.failure:
        lines.append(
            f"Reason: {escape(post.failure)}"
            + (f" (TikTok log id {escape(post.log_id)})" if post.log_id else "")
        )
    blocks: list[Block] = [section("\n".join(lines)), context(escape(post.caption[:300]) or " ")]
    buttons = _buttons(post)
    if buttons:
        blocks.append(ActionsBlock(block_id=f"post-{post.id}", elements=buttons))
    return blocks


def mode_label(post: Post) -> str:
    return {"direct": "direct post", "draft": "TikTok inbox draft", "manual": "posted by hand"}.get(
        post.posting_mode, post.posting_mode
    )


def _buttons(post: Post) -> list[ButtonElement]:
    value = button_value(post.id)
    buttons = []
    if post.status is PostStatus.AWAITING_POSTER:
        buttons.append(ButtonElement(text="Posted", action_id=POSTED, value=value, style="primary"))
    if post.status is PostStatus.FAILED:
        buttons.append(ButtonElement(text="Retry", action_id=RETRY, value=value, style="primary"))
    if post.status in CANCELLABLE:
        buttons.append(
            ButtonElement(
                text="Cancel",
                action_id=CANCEL,
                value=value,
                style="danger",
                confirm=ConfirmObject(
                    title="Cancel this post?", text="It will not go out.", confirm="Cancel it", deny="Keep it"
                ),
            )
        )
    return buttons


def queue_blocks(posts: Sequence[Post], tz: ZoneInfo) -> list[Block]:
    if not posts:
        return [section("No posts are coming up.")]
    blocks: list[Block] = []
    for post in posts:
        blocks += post_blocks(post, tz)
    return blocks[:50]
