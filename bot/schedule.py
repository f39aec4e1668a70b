"""Scheduling: approved content on a channel at a time, and the buttons on a post's message.

    /content schedule <content> <channel> [when] [privacy] [video <path or https URL>]

Every check a post must pass runs first, and a refusal says each reason at once: the content is
approved, its element fits the channel, nothing like it is on another channel's schedule or
history, the time keeps to the channel's windows, daily cap and minimum gap, and the content's shop
product (picked in the generate form) is in the synced catalogue and live. A direct post's
privacy is chosen by a person from the creator's options, never defaulted (TikTok's guidelines).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.forms import BadInput, read_button
from bot.inputs import parse_id
from bot.roles import Role, guard
from bot.services import Services
from bot.verbs import Command, Reply, UsageError, Verb
from core.content import ContentStatus
from core.fingerprint import Fingerprint
from core.posts import PostStatus, TransitionError
from core.products import refusals, with_product
from core.slots import check_time, next_free_slot
from core.when import WhenError, parse_when
from messages.blocks import escape
from messages.posts import CANCEL, POSTED, RETRY, note, product_note, queue_blocks, show_post, when
from storage import posts
from storage.accounts import get_account
from storage.channels import get_channel, list_channels
from storage.contents import get_content, latest_version, version_row_id, version_text
from storage.fingerprints import conflicts
from storage.post_followups import pending_share_problem
from storage.products import unpromotable
from workers.accounts import sandbox as use_sandbox
from workers.publishers import SANDBOX_CREATOR

log = logging.getLogger(__name__)

PRIVACY_WORDS = {
    "public": "PUBLIC_TO_EVERYONE",
    "friends": "MUTUAL_FOLLOW_FRIENDS",
    "followers": "FOLLOWER_OF_CREATOR",
    "private": "SELF_ONLY",
}


def schedule(command: Command) -> Reply:
    args = list(command.args)
    usage = "`schedule` needs a content id and a channel, e.g. `/content schedule 12 Water next`"
    if len(args) < 2:
        raise UsageError(f"{usage}.")
    content_id = parse_id(args[0], "content id", usage)
    return place(command.services, command.client, command.user_id, content_id, args[1], args[2:])


def place(
    services: Services, client: WebClient, user_id: str, content_id: int, channel_name: str, rest: list[str]
) -> Reply:
    """Schedule content `content_id` on `channel_name`; `rest` holds the time, privacy and video words."""
    media = None
    if "video" in rest:
        video_at = rest.index("video")
        media, rest = " ".join(rest[video_at + 1 :]) or None, rest[:video_at]
    privacy_words = [w for w in rest if w.lower() in PRIVACY_WORDS]
    when_words = [w for w in rest if w.lower() not in PRIVACY_WORDS]
    now = datetime.now(UTC)
    settings = services.settings
    try:
        wanted = parse_when(" ".join(when_words), now, settings.tz)
    except WhenError as exc:
        raise UsageError(str(exc)) from None

    problems: list[str] = []
    with services.db() as session:
        content = get_content(session, content_id) if content_id < 2**31 else None
        channel = get_channel(session, channel_name)
        if content is None:
            raise UsageError(f"There is no content {content_id}.")
        if channel is None or channel.id is None:
            names = ", ".join(c.name for c in list_channels(session))
            raise UsageError(f"`{escape(channel_name)}` is not a channel; the channels are {escape(names)}.")
        version = latest_version(session, content_id)
        if content.status is not ContentStatus.APPROVED or version is None:
            problems.append(
                f"Content #{content_id} is {content.status.label}: only approved content is scheduled."
            )
        product = content.product if content.product and content.product.id else None
        if product is not None:
            assert product.id is not None
            problems += [escape(line) for line in refusals(unpromotable(session, [product.id]))]
        if content.element and content.element != channel.element.value:
            problems.append(
                f"Content #{content_id} is {content.element.title()} content and {escape(channel.name)} is a "
                f"{channel.element.label} channel."
            )
        taken = posts.taken_times(session, channel.id, now - timedelta(days=2), now + timedelta(days=62))
        if wanted is None:
            slot = next_free_slot(
                now, (), channel.windows, channel.daily_cap, channel.min_gap, taken, settings.tz
            )
            if slot.at is None:
                problems.append(slot.reason)
            at = slot.at or now
        else:
            at = wanted
            problems += check_time(
                at, channel.windows, channel.daily_cap, channel.min_gap, taken, settings.tz, now
            )
        if version is not None:
            text = version_text(version.fields)
            found = conflicts(session, Fingerprint.of_text(text), channel_id=channel.id, when=at)
            problems += [f"It repeats {c.reason}" for c in found[:5]]
        if channel.posting_mode.value == "draft":
            share = pending_share_problem(session, channel.id, at)
            problems += [share] if share else []
        sandbox = use_sandbox(settings)
        account = None if sandbox else get_account(session, channel.id)
        if not sandbox and (account is None or not account.connected):
            problems.append(
                f"{escape(channel.name)} has no connected TikTok account: an admin connects it in "
                f"`/content channel setup {escape(channel.name)}`."
            )
        privacy = None
        if channel.posting_mode.value == "direct":
            # The creator's own options, as TikTok's guidelines ask (the sandbox offers all four).
            options = (
                account.creator.privacy_level_options if account else SANDBOX_CREATOR.privacy_level_options
            )
            if not privacy_words:
                problems.append(
                    "A direct post needs its privacy chosen: add one of "
                    + ", ".join(f"`{w}`" for w, level in PRIVACY_WORDS.items() if level in options)
                    + " (there is no default)."
                )
            elif PRIVACY_WORDS[privacy_words[0].lower()] not in options:
                problems.append(f"This account does not offer `{escape(privacy_words[0])}` privacy.")
            else:
                privacy = PRIVACY_WORDS[privacy_words[0].lower()]
        if media is not None and not media.startswith("https://") and not Path(media).is_file():
            problems.append(f"The video `{escape(media)}` is not a file I can read (or an https URL).")
        if media is None and not sandbox:
            problems.append("A post needs its video: add `video <path or https URL>`.")
        if problems:
            return Reply(text="Not scheduled:\n" + "\n".join(f"• {p}" for p in problems))
        assert version is not None
        row = posts.create_post(
            session,
            version_id=version_row_id(session, content_id, version.number),
            channel_id=channel.id,
            scheduled_at=at,
            created_by=user_id,
            posting_mode=channel.posting_mode.value,
            privacy_level=privacy,
            caption=with_product(caption_of(version.fields), product.title if product else None),
            media=media,
            product_id=product.id if product else None,
            sandbox=sandbox,
        )
        post = posts.get_post(session, row.id)
    assert post is not None
    show_post(settings, post, client=client)
    with services.db() as session:
        post = posts.get_post(session, row.id) or post
    note(settings, post, f"Scheduled by <@{user_id}> for {when(at, settings.tz)}.")
    if product is not None:
        note(settings, post, product_note(post, product.title))
    sandbox_note = " It goes to the local sandbox (no TikTok credentials)." if post.sandbox else ""
    return Reply(
        text=f"Scheduled post {post.id}: content #{content_id} on {escape(channel.name)} at {when(at, settings.tz)}.{sandbox_note}"
    )


def caption_of(fields: dict[str, Any] | Any) -> str:
    """The text that goes out: the agent's caption (or script's caption), then its hashtags."""
    body = str(fields.get("caption") or fields.get("hook") or version_text(fields))
    tags = " ".join(fields.get("hashtags") or [])
    return f"{body}\n\n{tags}".strip()


def show_posts(command: Command) -> Reply:
    with command.services.db() as session:
        channel = get_channel(session, " ".join(command.args)) if command.args else None
        if command.args and channel is None:
            raise UsageError(f"`{escape(' '.join(command.args))}` is not a channel.")
        coming = posts.upcoming(session, channel.id if channel else None)
    return Reply(
        text=f"{len(coming)} post(s) coming up", blocks=queue_blocks(coming, command.services.settings.tz)
    )


VERBS = [
    Verb(
        ("schedule",),
        "schedule <content> <channel> [when] [privacy] [video <file or URL>]",
        "put approved content on a channel: `next` free slot or a time; direct posts need a privacy",
        schedule,
    ),
    Verb(("posts",), "posts [channel]", "posts coming up, with Cancel", show_posts),
]


def register(app: App, services: Services) -> None:
    only_reviewers = guard(services.roles, Role.REVIEWER, "cancel or retry posts")

    @app.action(CANCEL, middleware=[only_reviewers])
    def cancel_clicked(ack: Ack, body: dict[str, Any], context: dict[str, Any], respond: Any) -> None:
        ack()
        post_id = _post_id(body, respond)
        if post_id is None:
            return
        try:
            with services.db() as session:
                post = posts.cancel(session, post_id)
        except TransitionError as exc:
            respond(text=f"Nothing changed: {exc}.", replace_original=False)
            return
        show_post(services.settings, post)
        note(services.settings, post, f"Cancelled by <@{context['user_id']}>.")

    @app.action(RETRY, middleware=[only_reviewers])
    def retry_clicked(ack: Ack, body: dict[str, Any], context: dict[str, Any], respond: Any) -> None:
        ack()
        post_id = _post_id(body, respond)
        if post_id is None:
            return
        now = datetime.now(UTC)
        with services.db() as session:
            moved = posts.retry(session, post_id, now)
            post = posts.get_post(session, post_id)
        if not moved or post is None:
            respond(text="Nothing changed: only a failed post can be retried.", replace_original=False)
            return
        show_post(services.settings, post)
        note(services.settings, post, f"<@{context['user_id']}> asked to retry it now.")

    @app.action(POSTED)
    def posted_clicked(ack: Ack, body: dict[str, Any], context: dict[str, Any], respond: Any) -> None:
        ack()
        post_id = _post_id(body, respond)
        if post_id is None:
            return
        with services.db() as session:
            moved = posts.move(session, post_id, None, PostStatus.PUBLISHED, published_at=datetime.now(UTC))
            post = posts.get_post(session, post_id)
        if not moved or post is None:
            respond(text="Nothing changed: that post is not waiting for its poster.", replace_original=False)
            return
        show_post(services.settings, post)
        note(services.settings, post, f"<@{context['user_id']}> posted it in the TikTok app.")


def _post_id(body: dict[str, Any], respond: Any) -> int | None:
    try:
        return read_button(body)[0]
    except BadInput as exc:
        respond(text=str(exc), replace_original=False)
        return None
