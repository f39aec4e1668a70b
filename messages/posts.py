"""A post's message (one per post, updated in place, its history in its thread), shown here for both the
publishing job and the buttons, and the queue of posts."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ConfirmObject

from config.settings import Settings
from core.posts import CANCELLABLE, RESCHEDULABLE, Post, PostStatus
from messages.accounts import RECONNECT_ACTION
from messages.blocks import button_value, context, escape, section
from messages.slack import slack_client
from storage import posts
from storage.accounts import get_account
from storage.db import session_scope
from storage.post_followups import handoff

log = logging.getLogger(__name__)

CANCEL = "post_cancel"
RETRY = "post_retry"
POSTED = "post_posted"
RETRY_CHANNEL = "posts_retry_channel"
RESCHEDULE = "post_reschedule"
# The states in which a refused grant is what holds the post back.
_RECONNECT_HOLDS = frozenset({PostStatus.FAILED, PostStatus.NEEDS_RECONCILE})
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


def post_blocks(post: Post, tz: ZoneInfo, *, reconnect: bool = False) -> list[Block]:
    """The post's message; `reconnect` adds a Reconnect button (the channel's grant was refused)."""
    lines = [f"{_EMOJI[post.status]} *{escape(post_title(post))}*: {post.status.label}"]
    lines.append(
        f"{when(post.scheduled_at, tz)} · {mode_label(post)}"
        + (f" · {post.privacy_level}" if post.privacy_level else "")
    )
    if post.status is PostStatus.PUBLISHED:
        lines.append(published_line(post))
    if post.status is PostStatus.HELD and post.hold_reason:
        lines.append(f"Held: {escape(post.hold_reason)}. Nothing went out; its thread has the choices.")
    if post.failure:
        lines.append(f"Reason: {escape(post.failure)}" + _log_id(post))
    blocks: list[Block] = [section("\n".join(lines)), context(escape(post.caption[:300]) or " ")]
    buttons = _buttons(post)
    if reconnect:
        buttons.insert(
            0, ButtonElement(text="Reconnect", action_id=RECONNECT_ACTION, value=str(post.channel_id))
        )
    if buttons:
        blocks.append(ActionsBlock(block_id=f"post-{post.id}", elements=buttons))
    return blocks


def published_line(post: Post) -> str:
    """Where a published post is, and whether it has metrics: none until TikTok shows a public id."""
    if post.sandbox:
        return "Posted (sandbox: nothing reached TikTok)."
    url = link(post)
    if url:
        return f"<{url}|View on TikTok>"
    return (
        "Metrics unavailable: TikTok has not shown the video publicly yet (moderation can take hours; "
        "a private post never shows). The bot keeps asking and links it here."
    )


def posted_note(post: Post) -> str:
    """The thread's line when TikTok says PUBLISH_COMPLETE."""
    if post.sandbox:
        return "Posted (sandbox: nothing reached TikTok)."
    url = link(post)
    return f"Posted. {url}" if url else f"Posted. {published_line(post)}"


def public_id_note(post: Post) -> str:
    return f"TikTok shows the video publicly now: {link(post)} · its metrics are collected from here on."


def failure_note(post: Post) -> str:
    """The thread's line when a post fails: TikTok's reason in plain words and its log id."""
    return f":x: Failed: {escape(post.failure or 'no reason given')}{_log_id(post)}. Retry sends it again."


def still_processing_note(waited: timedelta, fail_reason: str | None, status: str) -> str:
    minutes = int(waited.total_seconds() // 60)
    reason = f"; TikTok gives the reason `{escape(fail_reason)}`" if fail_reason else ""
    return (
        f":hourglass: Still processing at TikTok after {minutes} minutes ({escape(status)}{reason}). "
        "The bot keeps asking; it is never sent twice."
    )


def handoff_text(post: Post, poster: str, product: str | None) -> str:
    """Draft mode: what the poster does in the TikTok app, with the caption ready to paste (TikTok's
    inbox upload carries no caption, product or privacy)."""
    add = f", add the product *{escape(product)}*" if product else ""
    return (
        f":inbox_tray: <@{poster}> post {post.id} is in the TikTok inbox of *{escape(post.channel_name)}*"
        f"{' (sandbox)' if post.sandbox else ''}. Open TikTok, paste the caption below{add}, and post it; "
        f"the bot finds it on the account and links it here.\n```{escape(post.caption)}```"
    )


def draft_found_note(post: Post) -> str:
    return f"Posted from the TikTok inbox: {link(post)}"


def retry_channel_blocks(channel_id: int, failed: int) -> list[Block]:
    """The "Retry all failed for this channel" button, for the message that says it is connected again."""
    label = f"Retry {failed} failed post{'s' if failed != 1 else ''} for this channel"
    return [
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=label[:75], action_id=RETRY_CHANNEL, value=str(channel_id), style="primary"
                )
            ]
        )
    ]


def _log_id(post: Post) -> str:
    return f" (TikTok log id {escape(post.log_id)})" if post.log_id else ""


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
    # A failed post has Retry (now); Reschedule moves one not yet sent to another time.
    if post.status in RESCHEDULABLE - {PostStatus.FAILED} and not post.publish_id:
        buttons.append(ButtonElement(text="Reschedule", action_id=RESCHEDULE, value=value))
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


def queue_blocks(posts: Sequence[Post], tz: ZoneInfo, *, room: int = 50) -> list[Block]:
    """The posts coming up, per channel in time order, each with its buttons, in at most `room` blocks."""
    if not posts:
        return [section("No posts are coming up.")]
    by_channel: dict[str, list[Post]] = {}
    for post in sorted(posts, key=lambda p: (p.scheduled_at, p.id)):
        by_channel.setdefault(post.channel_name, []).append(post)
    blocks: list[Block] = []
    left_out = 0
    for channel, coming in by_channel.items():
        heading: Block | None = section(f"*Coming up on {escape(channel)}*")
        for post in coming:
            drawn = post_blocks(post, tz)
            needed = len(drawn) + (1 if heading else 0)
            if len(blocks) + needed > room - 1:
                left_out += 1
                continue
            if heading:
                blocks.append(heading)
                heading = None
            blocks += drawn
    if left_out:
        blocks.append(context(f"{left_out} more post(s): narrow the list by channel."))
    return blocks


def show_post(settings: Settings, post: Post, *, client: Any = None) -> None:
    """Post the post's message, or update it in place, in REVIEW_CHANNEL."""
    client = client or slack_client(settings)
    text = f"{post_title(post)}: {post.status.label}"
    blocks = post_blocks(post, settings.tz, reconnect=_reconnect_holds(settings, post))
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


def _reconnect_holds(settings: Settings, post: Post) -> bool:
    if post.sandbox or post.status not in _RECONNECT_HOLDS:
        return False
    with session_scope(settings.database_url) as session:
        account = get_account(session, post.channel_id)
    return account is None or not account.connected


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


def poster_of(settings: Settings, post: Post) -> str:
    """Who finishes the channel's manual posts and drafts (channel setup), else whoever scheduled it."""
    with session_scope(settings.database_url) as session:
        return handoff(session, post).poster


def hand_to_poster(settings: Settings, post: Post) -> None:
    """A manual post at its slot: the caption ready to paste and the video, in the post's thread, for its
    poster, who presses Posted with the link."""
    poster = poster_of(settings, post)
    attached = ", the video is attached" if post.media else ""
    note(
        settings,
        post,
        f"<@{poster}> Time to post this on {escape(post.channel_name)} by hand: "
        f"the caption is below{attached}. Then press *Posted* and paste the TikTok link.",
    )
    note(settings, post, f"```{escape(post.caption)}```" if post.caption else "(no caption)")
    if not (post.media and post.slack_channel and post.slack_ts and Path(post.media).is_file()):
        return
    try:
        slack_client(settings).files_upload_v2(
            channel=post.slack_channel,
            thread_ts=post.slack_ts,
            file=post.media,
            filename=Path(post.media).name,
            title=f"Video for post {post.id}",
        )
    except SlackApiError as exc:
        log.error("post %s: its video could not be shared: %s", post.id, exc.response["error"])
        note(
            settings,
            post,
            f"The video could not be shared here ({exc.response['error']}): it is at {post.media}.",
        )


def remind_poster(settings: Settings, post: Post, waited: int) -> None:
    poster = poster_of(settings, post)
    note(
        settings,
        post,
        f"<@{poster}> Reminder: post {post.id} has waited {waited} min to be posted on "
        f"{escape(post.channel_name)} by hand. Press *Posted* with its link, or Cancel.",
    )
