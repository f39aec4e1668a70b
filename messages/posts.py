"""A post's message (one per post, updated in place, its history in its thread), shown here for both the
publishing job and the buttons, and the queue of posts."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ConfirmObject

from config.settings import Settings
from core.posts import CANCELLABLE, Post, PostStatus
from messages.blocks import button_value, context, escape, section
from messages.slack import slack_client
from storage import posts
from storage.db import session_scope

log = logging.getLogger(__name__)

CANCEL = "post_cancel"
RETRY = "post_retry"
POSTED = "post_posted"
WITHOUT_PRODUCT = "post_without_product"
PICK_PRODUCT = "post_pick_product"

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
    PostStatus.HELD: ":double_vertical_bar:",
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
    if post.status is PostStatus.HELD and post.hold_reason:
        lines.append(f"Held: {escape(post.hold_reason)}. Nothing went out; its thread has the choices.")
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
        buttons.append(_cancel_button(value))
    return buttons


def _cancel_button(value: str) -> ButtonElement:
    return ButtonElement(
        text="Cancel",
        action_id=CANCEL,
        value=value,
        style="danger",
        confirm=ConfirmObject(
            title="Cancel this post?", text="It will not go out.", confirm="Cancel it", deny="Keep it"
        ),
    )


def queue_blocks(posts: Sequence[Post], tz: ZoneInfo) -> list[Block]:
    if not posts:
        return [section("No posts are coming up.")]
    blocks: list[Block] = []
    for post in posts:
        blocks += post_blocks(post, tz)
    return blocks[:50]


def show_post(settings: Settings, post: Post, *, client: Any = None) -> None:
    """Post the post's message, or update it in place, in REVIEW_CHANNEL."""
    client = client or slack_client(settings)
    text = f"{post_title(post)}: {post.status.label}"
    blocks = post_blocks(post, settings.tz)
    try:
        if post.slack_channel and post.slack_ts:
            client.chat_update(channel=post.slack_channel, ts=post.slack_ts, text=text, blocks=blocks)
            return
        if not settings.review_channel:
            return
        answer = client.chat_postMessage(channel=settings.review_channel, text=text, blocks=blocks)
        with session_scope(settings.database_url) as session:
            posts.set_thread(session, post.id, settings.review_channel, str(answer["ts"]))
    except SlackApiError as exc:
        log.error("post %s: its message could not be shown: %s", post.id, exc.response["error"])


def held_blocks(post: Post) -> list[Block]:
    """The choices for a post held because its product stopped being live."""
    value = button_value(post.id)
    return [
        section(
            f":double_vertical_bar: *Held, not posted*: {escape(post.hold_reason or 'its product is not live')}. "
            "Post it without the product, pick another product, or cancel it."
        ),
        ActionsBlock(
            block_id=f"held-{post.id}",
            elements=[
                ButtonElement(
                    text="Post without it", action_id=WITHOUT_PRODUCT, value=value, style="primary"
                ),
                ButtonElement(text="Pick another", action_id=PICK_PRODUCT, value=value),
                _cancel_button(value),
            ],
        ),
    ]


def held_note(settings: Settings, post: Post) -> None:
    note(settings, post, f"Held: {escape(post.hold_reason or '')}.", blocks=held_blocks(post))


def product_note(post: Post, title: str) -> str:
    """What the thread says of a post's product: no TikTok API attaches one to a video (§4.5)."""
    named = f"*{escape(title)}* ({escape(post.product_id or '')})"
    if post.posting_mode == "direct":
        return (
            f":shopping_trolley: Promotes {named}. No TikTok API attaches a product to a video: this direct "
            "post goes out marked as promotional content, with the product named in its caption. "
            "The day after, Shop analytics show whether the video carries the product; this thread will say."
        )
    return (
        f":shopping_trolley: Promotes {named}. No TikTok API attaches a product to a video: when you post "
        f"it in the TikTok app, add the product {named} to the video there."
    )


def note(settings: Settings, post: Post, text: str, *, blocks: list[Block] | None = None) -> None:
    """A line in the post's thread (`blocks` when it carries buttons; `text` is then the fallback)."""
    if not (post.slack_channel and post.slack_ts):
        return
    try:
        slack_client(settings).chat_postMessage(
            channel=post.slack_channel, thread_ts=post.slack_ts, text=text, blocks=blocks
        )
    except SlackApiError as exc:
        log.error("post %s: could not add to its thread: %s", post.id, exc.response["error"])
