"""The buttons on a post's message and in the queue: Cancel, Retry, Reschedule, and Posted (which asks
for the link of a post a person put on TikTok by hand); `/content posts [channel]`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.models.views import View

from bot.forms import BadInput, read_button
from bot.roles import Role, guard
from bot.schedule import open_modal
from bot.services import Services
from bot.verbs import Command, Reply, UsageError, Verb
from bot.views.schedule import Initial
from core.posts import RESCHEDULABLE, PostStatus, TransitionError
from messages.blocks import Metadata, escape, text_input
from messages.posts import CANCEL, POSTED, RESCHEDULE, RETRY, note, queue_blocks, show_post
from storage import posts
from storage.channels import get_channel

LINK_CALLBACK = "post_link"
LINK = "link"
# A TikTok video's address as the app's Share → Copy link gives it once opened in a browser.
_VIDEO_URL = re.compile(r"https://(?:www\.|m\.)?tiktok\.com/(?:@[\w.-]+/)?video/(\d{8,25})(?:[/?#].*)?")


@dataclass(frozen=True)
class LinkMeta(Metadata):
    post_id: int = 0


def show_posts(command: Command) -> Reply:
    with command.services.db() as session:
        channel = get_channel(session, " ".join(command.args)) if command.args else None
        if command.args and channel is None:
            raise UsageError(f"`{escape(' '.join(command.args))}` is not a channel.")
        coming = posts.upcoming(session, channel.id if channel else None)
    return Reply(
        text=f"{len(coming)} post(s) coming up", blocks=queue_blocks(coming, command.services.settings.tz)
    )


VERBS = [Verb(("posts",), "posts [channel]", "posts coming up, with Cancel and Reschedule", show_posts)]


def video_id(link: str) -> str:
    """The video id in a TikTok link, or BadInput saying which link is wanted."""
    found = _VIDEO_URL.fullmatch(link.strip())
    if found is None:
        raise BadInput(
            "Paste the video's TikTok link, e.g. https://www.tiktok.com/@name/video/7234567890123456789 "
            "(a short vm.tiktok.com link opens to one in a browser)."
        )
    return found.group(1)


def link_view(post_id: int) -> View:
    return View(
        type="modal",
        callback_id=LINK_CALLBACK,
        title="Posted on TikTok",
        submit="Save",
        close="Cancel",
        private_metadata=LinkMeta(post_id).dump(),
        blocks=[text_input(LINK, "The post's TikTok link", "", hint="In TikTok: Share → Copy link.")],
    )


def register(app: App, services: Services) -> None:
    only_reviewers = guard(services.roles, Role.REVIEWER, "cancel, retry or reschedule posts")

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
        if body.get("container", {}).get("message_ts") != post.slack_ts:
            respond(text=f"Cancelled post {post.id}.", replace_original=False)

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

    @app.action(RESCHEDULE, middleware=[only_reviewers])
    def reschedule_clicked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Any) -> None:
        """The schedule modal for this post: a new time or the next free slot, every check again."""
        ack()
        post_id = _post_id(body, respond)
        if post_id is None:
            return
        with services.db() as session:
            post = posts.get_post(session, post_id)
        if post is None or post.status not in RESCHEDULABLE:
            state = post.status.label if post else "gone"
            respond(text=f"Nothing changed: post {post_id} is {state}.", replace_original=False)
            return
        initial = Initial(
            content=str(post.content_id),
            channel=post.channel_name,
            when="next",
            privacy=post.privacy_level,
            settings=post.settings,
        )
        open_modal(
            services, client, body["trigger_id"], initial, body.get("channel", {}).get("id", ""), post.id
        )

    @app.action(POSTED)
    def posted_clicked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Any) -> None:
        ack()
        post_id = _post_id(body, respond)
        if post_id is None:
            return
        client.views_open(trigger_id=body["trigger_id"], view=link_view(post_id))

    @app.view(LINK_CALLBACK)
    def link_given(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
        view = body["view"]
        post_id = LinkMeta.load(view.get("private_metadata", "")).post_id
        raw = (view["state"]["values"].get(LINK, {}).get(LINK) or {}).get("value") or ""
        try:
            public_id = video_id(raw)
        except BadInput as exc:
            ack(response_action="errors", errors={LINK: str(exc)})
            return
        with services.db() as session:
            moved = posts.move(
                session,
                post_id,
                None,
                PostStatus.PUBLISHED,
                published_at=datetime.now(UTC),
                public_id=public_id,
            )
            post = posts.get_post(session, post_id)
        if not moved or post is None:
            state = post.status.label if post else "gone"
            ack(
                response_action="errors", errors={LINK: f"Post {post_id} is {state}: nothing to mark posted."}
            )
            return
        ack()
        show_post(services.settings, post)
        note(services.settings, post, f"<@{context['user_id']}> posted it in the TikTok app.")


def _post_id(body: dict[str, Any], respond: Any) -> int | None:
    try:
        return read_button(body)[0]
    except BadInput as exc:
        respond(text=str(exc), replace_original=False)
        return None
